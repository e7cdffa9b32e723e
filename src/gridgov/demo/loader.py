"""Load the Shenzhen demo: divisions (from PyPI packages), departments per tier, users for every role,
the event catalog and the working calendar. Demo passwords are generated here, never stored in the repo."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.address.loading import load_records
from gridgov.catalog.services import builtin_catalog_text, import_catalog, seed_calendar_from_package
from gridgov.common.audit import AuditAction, record_audit
from gridgov.common.choices import published
from gridgov.common.principal import SYSTEM_PRINCIPAL, Role
from gridgov.common.security import hash_password
from gridgov.demo.address_library import build_demo_library
from gridgov.demo.blockdata_files import DEFAULT_PEOPLE
from gridgov.demo.blockdata_load import BlockdataResult, load_blockdata
from gridgov.demo.classify_text import DEFAULT_TEXTS, train_demo_classifier
from gridgov.demo.geography import DemoGeography, build_demo_geography
from gridgov.demo.mediation import load_mediation_demo
from gridgov.demo.parser_training import train_and_save
from gridgov.migrate import analyze
from gridgov.org import cache
from gridgov.org.models import DemoSource, Department, Division, GridAssignment, User

# Department types and the names they take at each tier ({d}: the division's name).
DISTRICT_DEPTS: dict[str, str] = {
    "chengguan": "{d}城市管理和综合执法局",
    "zhujian": "{d}住房和建设局",
    "jiaotong": "{d}交通运输局",
    "jiaojing": "{d}交警大队",
    "shengtai": "{d}生态环境分局",
    "shuiwu": "{d}水务局",
    "yingji": "{d}应急管理局",
    "xiaofang": "{d}消防救援大队",
    "gongan": "{d}公安分局",
    "shichang": "{d}市场监督管理局",
    "weijian": "{d}卫生健康局",
    "minzheng": "{d}民政局",
    "renshe": "{d}人力资源局（劳动监察大队）",
    "jiaoyu": "{d}教育局",
    "sifa": "{d}司法局",
    "guihua": "{d}规划和自然资源局",
    "gongdian": "{d}供电局",
    "ranqi": "{d}燃气公司",
    "zongzhi": "{d}社会治理指挥中心",
    "zongguan": "{d}出租屋综合管理中心",
}
STREET_DEPTS: dict[str, str] = {
    "chengguan": "{d}综合行政执法队",
    "gongan": "{d}派出所",
    "sifa": "{d}司法所",
    "zongzhi": "{d}综治中心",
    "shichang": "{d}市场监管所",
    "yingji": "{d}应急管理办公室",
    "zongguan": "{d}出租屋综合管理所",
    "zhujian": "{d}建设办",
    "renshe": "{d}劳动保障事务所",
    "minzheng": "{d}民政办",
}
COMMUNITY_DEPTS: dict[str, str] = {"shequ": "{d}工作站"}
DEMO_ROLES = ("admin", "dispatcher", "leader", "handler", "community_staff", "grid_worker", "resident")


@published("audit_action")
class DemoAudit(AuditAction):
    LOAD = ("demo.load", "载入演示数据")


@dataclass
class DemoResult:
    divisions: int = 0
    departments: int = 0
    addresses: int = 0
    users: int = 0
    categories: int = 0
    calendar_days: int = 0
    disputes: int = 0
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)  # (username, password, role, scope)
    credentials_file: Path | None = None
    blockdata: BlockdataResult | None = None


def load_demo(
    session: Session,
    var_dir: Path,
    district_names: Sequence[str] | None = None,
    grids_target: int = 4000,
    progress: Callable[[str, int, int], None] | None = None,
    geography: DemoGeography | None = None,
    buildings_per_community: int | None = None,
    parser_sequences: int = 0,
    blockdata_people: int = DEFAULT_PEOPLE,
    classifier_texts: int = DEFAULT_TEXTS,
    link_people: bool = True,
) -> DemoResult:
    """Idempotent only on an empty database: refuses to load twice."""
    if session.scalar(select(func.count()).select_from(Division)):
        raise RuntimeError("the database already holds divisions; run on a fresh database (gridgov init --reset)")
    geo = geography or build_demo_geography(district_names, grids_target, progress=progress)
    result = DemoResult()
    by_code = _insert_divisions(session, geo)
    result.divisions = len(by_code)
    result.departments = _insert_departments(session, geo, by_code)
    result.users, result.logins = _insert_users(session, geo, by_code)
    for src in geo.sources:
        session.add(
            DemoSource(
                dataset="divisions",
                package=src["package"],
                version=src["version"],
                note="codes, names and district boundaries; street/community/grid polygons are "
                "generated demo geometry (Voronoi)",
            )
        )
    session.add(
        DemoSource(
            dataset="catalog",
            package="gridgov",
            version=version("gridgov"),
            note="built-in catalog (catalog/data/catalog.csv)",
        )
    )
    record_audit(
        session,
        SYSTEM_PRINCIPAL,
        DemoAudit.LOAD,
        "division",
        "*",
        {"divisions": result.divisions, "departments": result.departments, "users": result.users},
    )
    session.commit()
    cache.invalidate()
    lib = build_demo_library(geo, buildings_per_community=buildings_per_community, progress=progress)
    result.addresses = load_records(session, SYSTEM_PRINCIPAL, lib.addresses, progress=progress)
    session.add(
        DemoSource(
            dataset="addresses",
            package="gridgov",
            version=version("gridgov"),
            note="synthetic standard address library (roads, doors, compounds, buildings) generated "
            "inside the demo grids; not real addresses",
        )
    )
    session.commit()
    stats = import_catalog(session, SYSTEM_PRINCIPAL, builtin_catalog_text())
    result.categories = stats["created"]
    cal = seed_calendar_from_package(session, SYSTEM_PRINCIPAL, range(2024, 2028))
    result.calendar_days = int(cal["added"])
    session.commit()
    result.disputes = load_mediation_demo(session).disputes  # needs the org tree, the library and the calendar
    session.commit()
    if classifier_texts > 0:  # the shipped classifier, trained on text generated for this catalog
        if progress:
            progress("classifier", 0, 1)
        train_demo_classifier(session, var_dir, classifier_texts)
        session.commit()
        if progress:
            progress("classifier", 1, 1)
    result.credentials_file = _write_credentials(var_dir, result.logins)
    if blockdata_people > 0:  # people, companies and rental rooms, through the real department-file import
        names = {d.code: d.name for d in lib.divisions}
        result.blockdata = load_blockdata(
            session, var_dir, lib.addresses, names, people=blockdata_people, progress=progress, link=link_people
        )
    if parser_sequences > 0:  # a parser of this library's own (else the packaged model serves; see address/shipped.py)
        if progress:
            progress("parser", 0, 1)
        train_and_save(lib, var_dir, parser_sequences)
        if progress:
            progress("parser", 1, 1)
    analyze(session.get_bind().engine)
    return result


def _insert_divisions(session: Session, geo: DemoGeography) -> dict[str, Division]:
    by_code: dict[str, Division] = {}
    for d in geo.divisions:
        parent = by_code[d.parent_code] if d.parent_code else None
        row = Division(
            code=d.code,
            name=d.name,
            level=d.level,
            parent=parent,
            area_class=d.area_class,
            geometry=d.geometry,
            center_lon=d.center[0],
            center_lat=d.center[1],
            demo_geometry=d.demo_geometry,
            code_is_official=d.code_is_official,
        )
        session.add(row)
        by_code[d.code] = row
    session.flush()
    for d in geo.divisions:  # parents come first, so their paths are ready
        row = by_code[d.code]
        row.path = (by_code[d.parent_code].path if d.parent_code else "/") + f"{row.id}/"
    session.flush()
    return by_code


def _insert_departments(session: Session, geo: DemoGeography, by_code: dict[str, Division]) -> int:
    count = 0
    tiers = {"district": DISTRICT_DEPTS, "street": STREET_DEPTS, "community": COMMUNITY_DEPTS}
    for d in geo.divisions:
        names = tiers.get(d.level)
        if not names:
            continue
        div = by_code[d.code]
        for dept_type, pattern in names.items():
            session.add(
                Department(
                    code=f"{d.code}-{dept_type}",
                    name=pattern.format(d=d.name),
                    dept_type=dept_type,
                    division_id=div.id,
                    level=d.level,
                )
            )
            count += 1
    session.flush()
    return count


# The demo accounts shown in the logins file each get a password of their own; the thousands of others get none
# (an argon2 hash each would take minutes) and cannot log in until an admin gives them one
# (`gridgov users password NAME` or POST /api/users/{id}/password).
NO_PASSWORD = "!no-password"


def _insert_users(
    session: Session, geo: DemoGeography, by_code: dict[str, Division]
) -> tuple[int, list[tuple[str, str, str, str]]]:
    depts = {(dep.division_id, dep.dept_type): dep for dep in session.scalars(select(Department))}
    users: list[User] = []
    logins: list[tuple[str, str, str, str]] = []

    def add(
        username: str,
        name: str,
        role: Role,
        division: Division | None = None,
        department: Department | None = None,
        showcase: bool = False,
        unmask: bool = False,
    ) -> User:
        password = secrets.token_urlsafe(12) if showcase else None
        user = User(
            username=username,
            display_name=name,
            role=role.value,
            password_hash=hash_password(password) if password else NO_PASSWORD,
            division_id=division.id if division else (department.division_id if department else None),
            department_id=department.id if department else None,
            can_unmask_pii=unmask,
        )
        users.append(user)
        if showcase:
            scope = department.name if department else (division.name if division else "全市")
            logins.append((username, password or "", role.value, scope))
        return user

    city = next(by_code[d.code] for d in geo.divisions if d.level == "city")
    add("admin", "系统管理员", Role.ADMIN, city, showcase=True, unmask=True)
    add("city_leader", "市指挥中心领导", Role.LEADER, city, showcase=True)
    # the city's centre holds the reports that name no district and could not be placed (intake.unplaced_owner)
    add(f"dsp_{city.code}", "市分拨中心分拨员", Role.DISPATCHER, city, unmask=True)
    first_district = first_street = first_community = None
    grid_workers: list[tuple[User, Division]] = []
    for d in geo.divisions:
        div = by_code[d.code]
        if d.level == "district":
            first = first_district is None
            first_district = first_district or div
            add(f"dsp_{d.code}", f"{d.name}分拨员", Role.DISPATCHER, div, showcase=first, unmask=True)
            add(f"ldr_{d.code}", f"{d.name}领导", Role.LEADER, div, showcase=first)
            for t in DISTRICT_DEPTS:
                add(
                    f"h_{d.code}_{t}",
                    f"{depts[(div.id, t)].name}处置员",
                    Role.HANDLER,
                    department=depts[(div.id, t)],
                    showcase=first and t in ("chengguan", "zhujian", "guihua"),
                )
        elif d.level == "street":
            first = first_street is None
            first_street = first_street or div
            add(f"dsp_{d.code}", f"{d.name}分拨员", Role.DISPATCHER, div, showcase=first)
            for t in STREET_DEPTS:
                add(
                    f"h_{d.code}_{t}",
                    f"{depts[(div.id, t)].name}处置员",
                    Role.HANDLER,
                    department=depts[(div.id, t)],
                    showcase=first and t in ("chengguan", "gongan"),
                )
        elif d.level == "community":
            first = first_community is None
            first_community = first_community or div
            add(
                f"cs_{d.code}",
                f"{d.name}工作人员",
                Role.COMMUNITY_STAFF,
                div,
                department=depts[(div.id, "shequ")],
                showcase=first,
            )
        elif d.level == "grid":
            first = not grid_workers
            user = add(
                f"gw_{d.code}",
                f"{d.name}网格员",
                Role.GRID_WORKER,
                by_code[d.parent_code or ""],
                showcase=first,
            )
            grid_workers.append((user, div))
    for i in range(1, 4):
        add(f"resident{i}", f"演示居民{i}", Role.RESIDENT, showcase=True)
    session.add_all(users)
    session.flush()
    session.add_all(GridAssignment(user_id=u.id, grid_id=g.id) for u, g in grid_workers)
    session.flush()
    return len(users), logins


def _write_credentials(var_dir: Path, logins: list[tuple[str, str, str, str]]) -> Path:
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "demo-logins.txt"
    lines = [
        "# gridgov demo logins (generated at demo load, one password per account; other demo accounts have none",
        "# until an admin sets one: gridgov users password USERNAME)",
        "# username\tpassword\trole\tscope",
    ]
    lines += ["\t".join(row) for row in logins]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path
