"""The audit actions of sign-ins and accounts."""

from __future__ import annotations

from gridgov.common.audit import AuditAction
from gridgov.common.choices import published


@published("audit_action")
class AuthAudit(AuditAction):
    LOGIN = ("auth.login", "登录成功")
    LOGIN_FAIL = ("auth.login_fail", "登录失败")
    LOGIN_LOCK = ("auth.lock", "登录失败过多，临时锁定")
    LOGOUT = ("auth.logout", "退出登录")
    REFRESH_REPLAY = ("auth.refresh_replay", "刷新凭据被重放，会话已终止")
    PASSWORD_CHANGE = ("user.password_change", "修改密码")
    PASSWORD_SET = ("user.password_set", "管理员设置密码")
    USER_DEACTIVATE = ("user.deactivate", "停用用户")
    USER_ACTIVATE = ("user.activate", "启用用户")
