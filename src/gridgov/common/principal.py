"""Who is acting: the identity and data scope every service call checks."""

from __future__ import annotations

from dataclasses import dataclass, field

from gridgov.common.choices import ChoiceSet, published


@published("role")
class Role(ChoiceSet):
    RESIDENT = ("resident", "居民", "#5b8ff9")
    GRID_WORKER = ("grid_worker", "网格员", "#5ad8a6")
    COMMUNITY_STAFF = ("community_staff", "社区工作人员", "#9270ca")
    DISPATCHER = ("dispatcher", "分拨员", "#f6bd16")
    HANDLER = ("handler", "部门处置人员", "#e8684a")
    LEADER = ("leader", "领导", "#6dc8ec")
    ADMIN = ("admin", "系统管理员", "#ff9d4d")
    SYSTEM = ("system", "系统", "#888888")


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    username: str
    role: Role
    division_id: int | None = None
    division_path: str | None = None  # scope root for community staff, dispatchers and leaders
    department_id: int | None = None  # for handlers
    grid_ids: frozenset[int] = field(default_factory=frozenset)  # for grid workers
    api_key_id: int | None = None
    can_unmask_pii: bool = False
    # An anonymous reporter holding a case's follow-up token sees and acts on that one case only.
    public_event_id: int | None = None
    # Idempotency scope of an anonymous reporter (derived from their phone number's blind index).
    public_scope: str | None = None

    @property
    def idempotency_scope(self) -> str:
        if self.public_scope is not None:
            return f"public:{self.public_scope}"
        if self.api_key_id is not None:
            return f"key:{self.api_key_id}"
        return f"user:{self.user_id}"


SYSTEM_PRINCIPAL = Principal(user_id=None, username="system", role=Role.SYSTEM)
