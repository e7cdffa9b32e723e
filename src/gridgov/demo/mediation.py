"""Demo mediation: agencies and mediators for the demo districts, and synthetic disputes taken through every stage
by the mediation services themselves (so each carries its steps, audit rows and domain events). Parties' names,
ID and phone numbers are invented (the ID numbers have the right shape, not real people)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.common.principal import Principal, Role
from gridgov.common.timeutil import utcnow
from gridgov.mediation import assignment, legal_service, petition, services
from gridgov.mediation.channel import submit_dispute
from gridgov.mediation.models import LegalAdviser, LegalConsultation, MediationAgency, Mediator
from gridgov.mediation.parties import PartyData
from gridgov.mediation.registration import DisputeIn
from gridgov.mediation.rules import AgencyKind, MediatorKind, PartyKind, PartyRole, Source, Stage
from gridgov.org.models import Department, Division, User
from gridgov.org.services import principal_for

# agency kind → (name pattern, the org tree's department type it is, if any), per level
AGENCIES: dict[str, list[tuple[AgencyKind, str, str | None]]] = {
    "community": [(AgencyKind.COMMITTEE, "{d}人民调解委员会", "shequ")],
    "street": [
        (AgencyKind.POLICE, "{d}派出所", "gongan"),
        (AgencyKind.JUSTICE, "{d}司法所", "sifa"),
        (AgencyKind.LABOUR, "{d}劳动保障事务所", "renshe"),
        (AgencyKind.WOMEN, "{d}妇联", None),
        (AgencyKind.COMMITTEE, "{d}人民调解委员会", None),
    ],
    "district": [
        (AgencyKind.COURT, "{d}人民法院", None),
        (AgencyKind.INDUSTRY, "{d}医疗纠纷人民调解委员会", None),
        (AgencyKind.INDUSTRY, "{d}交通事故人民调解委员会", None),
        (AgencyKind.LAW_FIRM, "{d}公共法律服务中心律师团", None),
        (AgencyKind.LABOUR, "{d}劳动人事争议仲裁院", "renshe"),
        (AgencyKind.JUSTICE, "{d}司法局", "sifa"),
    ],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "海燕")
COMPANIES = ("深圳市鹏安物业管理有限公司", "深圳市华强装饰工程有限公司", "深圳市福景餐饮管理有限公司")

# (type, title, description, amount in yuan, the stage the demo takes it to)
STORIES: list[tuple[str, str, str, int, Stage]] = [
    ("neighbour", "楼上漏水浸泡楼下天花", "楼上卫生间漏水，楼下天花板发霉，双方多次协商未果。", 3000, Stage.CLOSED),
    ("property", "物业费与停车管理争议", "业主认为停车管理混乱拒交物业费，物业公司催缴。", 8600, Stage.CONFIRMED),
    ("family", "离婚后子女抚养费纠纷", "前夫拖欠抚养费半年，争吵中扬言要报复，曾推搡对方。", 36000, Stage.MEDIATING),
    ("labour", "装修工人讨要工资", "十二名工人被拖欠三个月工资，情绪激动，称不给钱就跳楼。", 186000, Stage.ASSIGNED),
    ("tenancy", "租客提前退租押金纠纷", "租客提前退租，房东扣押全部押金。", 9000, Stage.FOLLOWED_UP),
    ("consumer", "预付卡健身房闭店退费", "健身房闭店，会员要求退还预付卡余额。", 4800, Stage.AGREED),
    ("traffic", "小区内电动车碰撞", "电动车在小区内碰撞行人，伤者要求赔偿医药费。", 12000, Stage.TRANSFERRED),
    ("medical", "诊所治疗后感染赔偿", "患者在诊所拔牙后感染，要求赔偿。", 50000, Stage.FAILED),
    ("neighbour", "广场舞噪音扰民", "居民反映晚间广场舞音量过大。", 0, Stage.ACCEPTED),
    ("debt", "朋友借款逾期不还", "借款二十万元逾期一年未还，双方在楼下发生拳脚冲突。", 200000, Stage.CLOSED),
]


WEEKDAYS = ("一", "二", "三", "四", "五")


@dataclass
class MediationDemo:
    agencies: int = 0
    mediators: int = 0
    disputes: int = 0
    by_stage: dict[str, int] | None = None


def _person(rng: random.Random) -> tuple[str, str, str]:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    born = datetime(1960, 1, 1) + timedelta(days=rng.randrange(0, 40 * 365))
    id_number = f"440304{born:%Y%m%d}{rng.randrange(100, 999)}{rng.choice('0123456789X')}"
    phone = f"13{rng.randrange(0, 10)}{rng.randrange(10_000_000, 99_999_999)}"
    return name, id_number, phone


def _mediator(
    session: Session,
    div: Division,
    name: str,
    kind: MediatorKind,
    agency: MediationAgency,
    skills: list[str],
    user: int | None,
) -> Mediator:
    found = Mediator(
        name=name,
        kind=kind.value,
        agency_id=agency.id,
        user_id=user,
        division_id=div.id,
        division_path=div.path,
        skills=skills,
    )
    session.add(found)
    return found


def seed_agencies(session: Session) -> tuple[int, int]:
    """Agencies at every community, street and district; a people's mediator per community (its workstation's
    account), a community legal adviser per community, a justice-office mediator per street and industry
    mediators per district."""
    depts = {(d.division_id, d.dept_type): d.id for d in session.scalars(select(Department))}
    staff = {u.division_id: u for u in session.scalars(select(User).where(User.role == "community_staff"))}
    agencies = mediators = 0
    for div in session.scalars(select(Division).where(Division.level.in_(AGENCIES)).order_by(Division.id)):
        made: dict[AgencyKind, MediationAgency] = {}
        for kind, pattern, dept_type in AGENCIES[div.level]:
            agency = MediationAgency(
                name=pattern.format(d=div.name),
                kind=kind.value,
                division_id=div.id,
                department_id=depts.get((div.id, dept_type)) if dept_type else None,
            )
            session.add(agency)
            made.setdefault(kind, agency)
            agencies += 1
        session.flush()

        if div.level == "community":
            user = staff.get(div.id)
            everyday = ["neighbour", "property", "tenancy", "consumer", "family", "general"]
            _mediator(
                session,
                div,
                f"{div.name}人民调解员",
                MediatorKind.PEOPLE,
                made[AgencyKind.COMMITTEE],
                everyday,
                user.id if user else None,
            )
            adviser = _mediator(
                session, div, f"{div.name}法律顾问", MediatorKind.ADVISER, made[AgencyKind.COMMITTEE], [], None
            )
            session.flush()
            session.add(  # 一社区一法律顾问, on duty one afternoon a week
                LegalAdviser(
                    mediator_id=adviser.id,
                    community_id=div.id,
                    community_path=div.path,
                    duty_hours=f"每周{WEEKDAYS[div.id % len(WEEKDAYS)]} 14:30-17:30",
                    office=f"{div.name}党群服务中心法律服务室",
                )
            )
            mediators += 2
        elif div.level == "street":
            _mediator(session, div, f"{div.name}司法所调解员", MediatorKind.OFFICER, made[AgencyKind.JUSTICE], [], None)
            _mediator(
                session,
                div,
                f"{div.name}专职调解员",
                MediatorKind.PEOPLE,
                made[AgencyKind.COMMITTEE],
                ["family", "labour", "traffic", "debt", "property"],
                None,
            )
            mediators += 2
        else:
            _mediator(
                session,
                div,
                f"{div.name}医调委调解员",
                MediatorKind.INDUSTRY,
                made[AgencyKind.INDUSTRY],
                ["medical"],
                None,
            )
            _mediator(
                session,
                div,
                f"{div.name}劳动争议调解员",
                MediatorKind.INDUSTRY,
                made[AgencyKind.LABOUR],
                ["labour"],
                None,
            )
            _mediator(session, div, f"{div.name}公益律师", MediatorKind.LAWYER, made[AgencyKind.LAW_FIRM], [], None)
            mediators += 3
    session.flush()
    return agencies, mediators


def _take_to(
    session: Session, actor_user: User, dispute_id: int, stage: Stage, at: datetime, rng: random.Random
) -> None:
    actor = principal_for(session, actor_user)
    if stage == Stage.ACCEPTED:
        return
    assignment.assign_dispute(session, actor, dispute_id, now=at)
    if stage == Stage.ASSIGNED:
        return
    services.hold_session(session, actor, dispute_id, at, "召集双方到调解室，听取陈述，释法明理。", now=at)
    if stage == Stage.MEDIATING:
        return
    if stage in (Stage.FAILED, Stage.TRANSFERRED):
        services.fail(session, actor, dispute_id, "双方对赔偿金额分歧较大，调解未达成。", now=at)
        if stage == Stage.TRANSFERRED:
            services.transfer(
                session,
                actor,
                dispute_id,
                rng.choice(["litigation", "arbitration"]),
                "引导当事人依法起诉或申请仲裁。",
                now=at,
            )
        return
    services.agree(
        session,
        actor,
        dispute_id,
        "一、被申请人于十五日内一次性支付申请人款项。\n二、双方就本纠纷再无其他争议。",
        now=at,
    )
    if stage == Stage.AGREED:
        return
    services.confirm(session, actor, dispute_id, "已向人民法院申请司法确认并获裁定。", now=at)
    if stage == Stage.CONFIRMED:
        return
    services.follow_up(session, actor, dispute_id, "电话回访：协议已履行，双方满意。", now=at)
    if stage == Stage.FOLLOWED_UP:
        return
    services.close(session, actor, dispute_id, now=at)


def seed_disputes(session: Session, per_street: int = 3, seed: int = 17, now: datetime | None = None) -> dict[str, int]:
    """`per_street` disputes in one community of every street, walked through the stages of STORIES in turn, by the
    community's own workstation account (its people's mediator). Returns the count by stage."""
    rng = random.Random(seed)
    now = now or utcnow()
    counts: dict[str, int] = {}
    staff = {u.division_id: u for u in session.scalars(select(User).where(User.role == "community_staff"))}
    streets = session.scalars(select(Division).where(Division.level == "street").order_by(Division.id)).all()
    story = 0
    for street in streets:
        community = session.scalar(
            select(Division).where(Division.parent_id == street.id, Division.level == "community").order_by(Division.id)
        )
        if community is None or community.id not in staff:
            continue
        addresses = session.scalars(
            select(Address.code).where(Address.community_id == community.id, Address.level == "building").limit(20)
        ).all()
        actor = principal_for(session, staff[community.id])
        for _ in range(per_street):
            kind, title, text, amount, stage = STORIES[story % len(STORIES)]
            story += 1
            at = now - timedelta(days=rng.randrange(1, 40), hours=rng.randrange(0, 8))
            applicant = _person(rng)
            respondent_entity = kind in ("property", "consumer", "medical")
            respondent = (rng.choice(COMPANIES), None, None) if respondent_entity else _person(rng)
            cmd = DisputeIn(
                dispute_type=kind,
                title=title,
                description=text + f"申请人电话 {applicant[2]}。",
                amount=Decimal(amount),
                source=rng.choice([Source.WALK_IN, Source.HOTLINE, Source.POLICE]),
                address_code=addresses[rng.randrange(len(addresses))] if addresses else None,
                division_code=None if addresses else community.code,
                parties=(
                    PartyData(PartyRole.APPLICANT, PartyKind.PERSON, *applicant),
                    PartyData(
                        PartyRole.RESPONDENT,
                        PartyKind.ENTITY if respondent_entity else PartyKind.PERSON,
                        respondent[0],
                        respondent[1],
                        respondent[2],
                    ),
                ),
            )
            dispute = submit_dispute(session, actor, cmd, now=at)  # through the intake port
            _take_to(session, staff[community.id], dispute.id, stage, at + timedelta(hours=2), rng)
            counts[stage.value] = counts.get(stage.value, 0) + 1
    return counts


PETITIONS = [
    ("visit", "小区旧改补偿标准不一，业主准备集体到区信访局反映", "legal_route", "补偿争议可申请行政复议，已释法明理"),
    ("letter", "来信反映工地欠薪半年，扬言要上访", "referred", "属劳动保障监察事项，移交街道劳动保障事务所"),
    ("visit", "与物业多年纠纷未解决，准备上访", "mediation", "属物业纠纷，双方同意人民调解"),
    ("visit", "邻居占用公共楼道，多次协商无果", "", ""),
]
CONSULTS = [
    ("consult", "房东不退押金怎么办？", "answered", "可先协商，协商不成可申请人民调解或向法院起诉"),
    ("legal_aid", "工伤后公司不赔偿，经济困难想申请法律援助", "met", "已约见面谈，指导准备法律援助申请材料"),
    ("consult", "父母遗产如何分配？", "", ""),
]


def seed_legal(session: Session, streets: int = 3, now: datetime | None = None) -> tuple[int, int]:
    """访前甄别 and residents' consultations in the first community of the first `streets` streets, through the
    services (the screenings through every step; a consultation pending, answered, met)."""
    now = now or utcnow()
    rng = random.Random(23)
    staff = {u.division_id: u for u in session.scalars(select(User).where(User.role == "community_staff"))}
    made = consults = 0
    for street in session.scalars(select(Division).where(Division.level == "street").order_by(Division.id)).all():
        community = session.scalar(
            select(Division).where(Division.parent_id == street.id, Division.level == "community").order_by(Division.id)
        )
        if community is None or community.id not in staff or made >= streets * len(PETITIONS):
            continue
        actor = principal_for(session, staff[community.id])
        lawyer = session.scalar(
            select(Mediator).where(Mediator.division_id == community.id, Mediator.kind == MediatorKind.ADVISER.value)
        )
        for i, (channel, matter, outcome, advice) in enumerate(PETITIONS):
            at = now - timedelta(days=20 - i, hours=rng.randrange(0, 6))
            name, _id, phone = _person(rng)
            row = petition.register_petition(
                session, actor, petition.PetitionIn(channel, name, matter, community.code, phone), at
            )
            made += 1
            if not outcome or lawyer is None:
                continue
            cmd = petition.ScreenIn(
                outcome,
                lawyer.id,
                advice,
                referred_to="街道劳动保障事务所" if outcome == "referred" else None,
                dispute_type="property" if outcome == "mediation" else None,
                respondent=rng.choice(COMPANIES) if outcome == "mediation" else None,
            )
            petition.screen_petition(session, actor, row.id, cmd, at + timedelta(hours=3))
            if i < 2:
                note = "电话回访：已按指引办理，未再上访。"
                petition.follow_up_petition(session, actor, row.id, note, True, at + timedelta(days=15))
        resident = Principal(user_id=None, username="public", role=Role.RESIDENT)
        for kind, question, status, answer in CONSULTS:
            name, _id, phone = _person(rng)
            at = now - timedelta(days=rng.randrange(1, 10))
            booking = legal_service.BookingIn(kind, community.code, name, phone, question)
            number, _token = legal_service.book(session, resident, booking, at)
            consults += 1
            if status:
                found = session.scalar(select(LegalConsultation).where(LegalConsultation.number == number))
                assert found is not None
                legal_service.answer(session, actor, found.id, status, answer, at + timedelta(hours=5))
    return made, consults


def load_mediation_demo(session: Session, per_street: int = 3) -> MediationDemo:
    """Agencies, mediators (and one legal adviser per community), disputes, petition screenings and residents'
    consultations for the loaded demo geography; the caller commits."""
    agencies, mediators = seed_agencies(session)
    by_stage = seed_disputes(session, per_street)
    seed_legal(session)
    return MediationDemo(agencies, mediators, sum(by_stage.values()), by_stage)
