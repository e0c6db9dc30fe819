"""Message templates: the tenant's own wording (message_templates rows) or the built-in one, per
kind, channel and language; rendered in a sandboxed Jinja environment (an operator's template can
read the variables it is given and nothing else)."""
from __future__ import annotations

import functools

import jinja2
import sqlalchemy as sa
from flask_babel import force_locale, gettext as _
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from models import db
from models.messaging import MessageTemplate
from services import audit, transactions
from services.errors import ServiceError
from services.notify.builtin import BUILTIN, KIND_NAMES, KIND_VARIABLES, VARIABLES

CHANNELS = ("sms", "email")
LANGUAGES = ("bn", "en")
MAX_SMS_SEGMENTS = 4
_env = SandboxedEnvironment(autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=False)


class TemplateInvalid(ServiceError):
    pass


def kinds() -> list[tuple[str, str]]:
    return [(kind, str(name)) for kind, name in KIND_NAMES.items()]


def variables(kind: str) -> list[tuple[str, str]]:
    return [(name, str(VARIABLES[name])) for name in KIND_VARIABLES[kind]]


def builtin(kind: str, channel: str, language: str) -> tuple[str, str]:
    """(subject, body) of the built-in wording in `language`."""
    with force_locale(language):
        if channel == "sms":
            return "", str(BUILTIN[kind]["sms"])
        subject, body = BUILTIN[kind]["email"]
        return str(subject), str(body)


def custom(kind: str, channel: str, language: str) -> MessageTemplate | None:
    return db.session.scalar(sa.select(MessageTemplate).where(
        MessageTemplate.kind == kind, MessageTemplate.channel == channel, MessageTemplate.language == language))


def own() -> dict[tuple[str, str, str], MessageTemplate]:
    """The tenant's own wordings by (kind, channel, language); any other message uses the built-in one."""
    return {(t.kind, t.channel, t.language): t for t in db.session.scalars(sa.select(MessageTemplate))}


def effective(kind: str, channel: str, language: str) -> tuple[str, str, bool]:
    """(subject, body, is the tenant's own)."""
    row = custom(kind, channel, language)
    if row is not None:
        return row.subject, row.body, True
    return (*builtin(kind, channel, language), False)


@functools.lru_cache(maxsize=512)
def _compiled(source: str) -> jinja2.Template:
    """Compiling is most of a render's cost: each wording is compiled once per process."""
    return _env.from_string(source)


def _render_text(source: str, context: dict, channel: str = "email") -> str:
    text = _compiled(source).render(context).strip()
    if channel == "sms":  # the no-break spaces dates are formatted with would make an SMS Unicode (70 a part)
        text = text.translate(_SMS_PLAIN)
    return text


_SMS_PLAIN = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2009": " "})


def render(kind: str, channel: str, language: str, context: dict) -> tuple[str, str]:
    """(subject, body). A tenant's template that no longer renders falls back to the built-in one
    rather than leaving the customer without a message."""
    subject, body, own = effective(kind, channel, language)
    try:
        return _render_text(subject, context), _render_text(body, context, channel)
    except jinja2.TemplateError:
        if not own:
            raise
        subject, body = builtin(kind, channel, language)
        return _render_text(subject, context), _render_text(body, context, channel)


def sms_segments(text: str) -> tuple[int, str]:
    """How many SMS parts a text takes: 160/153 GSM characters, or 70/67 in Unicode (Bangla)."""
    gsm = all(ord(ch) < 128 for ch in text)
    single, multi = (160, 153) if gsm else (70, 67)
    n = len(text)
    return (1 if n <= single else -(-n // multi)), ("GSM" if gsm else "Unicode")


def check(kind: str, channel: str, subject: str, body: str) -> dict[str, str]:
    """Problems by field ('subject', 'body'); empty when the template can be saved."""
    allowed = set(KIND_VARIABLES[kind])
    errors = {}
    for field, source in (("subject", subject), ("body", body)):
        if channel == "sms" and field == "subject":
            continue
        if not source.strip():
            errors[field] = _("This cannot be empty.")
            continue
        try:
            used = meta.find_undeclared_variables(_env.parse(source))
        except jinja2.TemplateSyntaxError as exc:
            errors[field] = _("Line %(line)s: %(message)s", line=exc.lineno, message=exc.message)
            continue
        unknown = sorted(used - allowed)
        if unknown:
            errors[field] = _("Unknown variable: %(names)s", names=", ".join(unknown))
    return errors


def preview(kind: str, channel: str, language: str, subject: str, body: str) -> tuple[str, str, dict[str, str]]:
    """(subject, body, errors) rendered with a sample booking in `language`."""
    errors = check(kind, channel, subject, body)
    if errors:
        return "", "", errors
    with force_locale(language):
        context = sample_context()
    try:
        return _render_text(subject, context) if channel == "email" else "", _render_text(body, context, channel), {}
    except jinja2.TemplateError as exc:
        return "", "", {"body": str(exc)}


def sample_context() -> dict:
    """Variables as a train booking would give them (for the preview)."""
    from decimal import Decimal

    from blueprints.web import money
    from services import tenant_db

    return {"site": tenant_db.require_tenant().name, "name": "Rahima Khatun", "reference": "RAIL-2026-000123",
            "pnr_note": " (PNR K7M2QX9PTA)", "title": "701 Subarna Express, Dhaka → Chattogram",
            "when": "12 Dec 2026, 07:00", "place": "Dhaka (Kamalapur)", "seats": "KA-12, KA-13",
            "details": "RAIL-2026-000123-1 · KA-12 · Rahima Khatun\nRAIL-2026-000123-2 · KA-13 · Karim Uddin",
            "total": money(Decimal("1040")), "amount": money(Decimal("520")),
            "refund_note": " " + _("A refund of %(amount)s is on its way.", amount=money(Decimal("520"))),
            "hold_until": "07:12", "link": "https://rail.example/bookings/…",
            "tickets_link": "https://rail.example/bookings/…/tickets"}


def save(kind: str, channel: str, language: str, subject: str, body: str, actor: audit.Actor) -> MessageTemplate:
    if kind not in KIND_VARIABLES or channel not in CHANNELS or language not in LANGUAGES:
        raise TemplateInvalid(_("There is no such message."))
    errors = check(kind, channel, subject, body)
    if errors:
        raise TemplateInvalid(next(iter(errors.values())), next(iter(errors)))

    def unit():
        row = custom(kind, channel, language)
        before = {"subject": row.subject, "body": row.body} if row else None
        if row is None:
            row = MessageTemplate(kind=kind, channel=channel, language=language)
            db.session.add(row)
        row.subject, row.body = (subject.strip() if channel == "email" else ""), body.strip()
        row.updated_by_id = actor.id if actor.type == "staff" else None
        transactions.flush({"uq_message_templates_kind_channel_language":
                            _("Someone saved this message at the same moment: look at it again.")},
                           error=TemplateInvalid)
        audit.record(actor, "message_template.saved", "message_template", f"{kind}:{channel}:{language}",
                     before=before, after={"subject": row.subject, "body": row.body})
        transactions.commit()
        return row

    return transactions.run(unit)


def reset(kind: str, channel: str, language: str, actor: audit.Actor) -> None:
    """Back to the built-in wording."""
    def unit():
        row = custom(kind, channel, language)
        if row is not None:
            audit.record(actor, "message_template.reset", "message_template", f"{kind}:{channel}:{language}",
                         before={"subject": row.subject, "body": row.body})
            db.session.delete(row)
        transactions.commit()

    transactions.run(unit)
