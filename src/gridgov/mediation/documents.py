"""The mediation agreement (人民调解协议书) and the parties' application for its judicial confirmation (司法确认申请书),
generated from Chinese templates as DOCX (docxtpl, templates/<kind>.docx) and PDF (WeasyPrint, templates/<kind>.html
with the Noto CJK fonts), with the parties and the agreed terms.

The parties' full names are in the document (it is signed by them); ID and phone numbers are masked unless the
caller may unmask PII. Every generation is audited (the document carries personal data)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from docxtpl import DocxTemplate, Listing
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from gridgov.common.audit import record_audit
from gridgov.common.errors import Conflict, InvalidInput
from gridgov.common.principal import Principal
from gridgov.common.security import pii_cipher
from gridgov.common.timeutil import utcnow
from gridgov.db import settings_of
from gridgov.mediation import parties
from gridgov.mediation.access import load, require_mediator
from gridgov.mediation.dispute_types import dispute_type
from gridgov.mediation.models import Dispute, MediationAgency, Mediator
from gridgov.mediation.rules import MediationAudit, PartyRole, Stage
from gridgov.org import cache

AGREED = frozenset({Stage.AGREED, Stage.CONFIRMED, Stage.FOLLOWED_UP, Stage.CLOSED})
FORMATS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_HTML = Environment(loader=PackageLoader("gridgov.mediation", "templates"), autoescape=select_autoescape(default=True))


def _template(name: str) -> Any:
    return resources.files("gridgov.mediation").joinpath(f"templates/{name}")


@dataclass(frozen=True)
class Kind:
    template: str  # templates/<template>.html and .docx
    title: str


AGREEMENT = Kind("agreement", "调解协议书")
CONFIRMATION = Kind("confirmation", "司法确认申请书")
KINDS = {k.template: k for k in (AGREEMENT, CONFIRMATION)}


def fill_html(context: dict[str, Any], kind: Kind = AGREEMENT) -> str:
    """The document's HTML, filled (templates/<kind>.html with the shared templates/document.css)."""
    return _HTML.get_template(f"{kind.template}.html").render(**context)


def render_pdf(context: dict[str, Any], kind: Kind = AGREEMENT) -> bytes:
    from weasyprint import HTML  # heavy (pango): loaded on the first document only

    pdf: bytes = HTML(string=fill_html(context, kind)).write_pdf()
    return pdf


def render_docx(context: dict[str, Any], kind: Kind = AGREEMENT) -> bytes:
    with _template(f"{kind.template}.docx").open("rb") as f:
        doc = DocxTemplate(io.BytesIO(f.read()))
    doc.render(context | {"terms": Listing(context["terms"])}, autoescape=True)  # its line breaks kept
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class Document:
    filename: str
    media_type: str
    content: bytes


def context_for(session: Session, actor: Principal, dispute: Dispute) -> dict[str, Any]:
    cipher = pii_cipher(settings_of(session).pii_secret)
    rows = []
    for row in dispute.parties:
        full = parties.opened(cipher, row)
        rows.append(
            {
                "role": PartyRole(row.role).label,
                "name": full.name,
                "id_number": (full.id_number if actor.can_unmask_pii else row.id_number_masked) or "—",
                "phone": (full.phone if actor.can_unmask_pii else row.phone_masked) or "—",
            }
        )
    mediator = session.get(Mediator, dispute.mediator_id) if dispute.mediator_id else None
    agency = session.get(MediationAgency, mediator.agency_id) if mediator and mediator.agency_id else None
    tz = ZoneInfo(settings_of(session).timezone)
    day = (dispute.agreed_at or utcnow()).astimezone(tz)
    today = utcnow().astimezone(tz)
    snap = cache.snapshot(session)
    district = snap.ancestor_at(dispute.division_id, "district")
    return {
        "number": dispute.number,
        "parties": rows,
        "dispute_type": dispute_type(dispute.dispute_type).label,
        "place": dispute.address_text,
        "amount": f"{dispute.amount:,.2f}",
        "description": dispute.description,
        "terms": dispute.terms or "",
        "copies": len(rows) + 1,
        "mediator": mediator.name if mediator else "",
        "agency": agency.name if agency else "人民调解委员会",
        "date": f"{day.year}年{day.month}月{day.day}日",
        "agreed_on": f"{day.year}年{day.month}月{day.day}日",
        "applied_on": f"{today.year}年{today.month}月{today.day}日",
        "court": f"{snap.divisions[district].name}人民法院" if district is not None else "有管辖权的人民法院",
    }


def agreement_document(
    session: Session, actor: Principal, dispute_id: int, fmt: str, now: datetime | None = None, kind: str = "agreement"
) -> Document:
    """The dispute's agreement (kind `agreement`) or the application for its judicial confirmation (`confirmation`)
    as PDF or DOCX, once agreed (达成协议 or later)."""
    require_mediator(actor)
    if fmt not in FORMATS:
        raise InvalidInput(f"文书格式“{fmt}”不支持；可选：pdf、docx", field="format")
    doc = KINDS.get(kind)
    if doc is None:
        raise InvalidInput(f"文书“{kind}”不存在；可选：agreement、confirmation", field="kind")
    dispute = load(session, actor, dispute_id)
    if Stage(dispute.stage) not in AGREED or not dispute.terms:
        raise Conflict(
            f"纠纷处于“{Stage(dispute.stage).label}”阶段，尚未达成协议，不能生成{doc.title}", field="dispute_id"
        )
    context = context_for(session, actor, dispute)
    if doc is CONFIRMATION:
        context["date"] = context["applied_on"]  # the application is dated the day it is made
    content = render_pdf(context, doc) if fmt == "pdf" else render_docx(context, doc)
    detail = {
        "number": dispute.number,
        "document": doc.template,
        "format": fmt,
        "unmasked": actor.can_unmask_pii,
        "at": (now or utcnow()).isoformat(),
    }
    record_audit(session, actor, MediationAudit.DOCUMENT, "dispute", dispute.id, detail)
    return Document(f"{doc.title}-{dispute.number}.{fmt}", FORMATS[fmt], content)
