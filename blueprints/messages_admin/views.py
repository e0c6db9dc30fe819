"""Thin views: parse a form, call one notify service, render the page or the block htmx asked for.
The log is for whoever sees bookings; resending needs bookings.manage; the templates settings.manage."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, flash, request, url_for
from flask_babel import gettext as _

from blueprints.converters import INT8_MAX
from blueprints.messages_admin import bp
from blueprints.messages_admin.forms import BODY_MAX, LABELS, SUBJECT_MAX, LogFilterForm, TemplateForm, kind_label
from blueprints.staff.guard import current_staff, staff_required
from blueprints.web import client_actor, redirect_to, render, show_error
from services.notify import log, outbox
from services.notify import templates as wording

VIEW, MANAGE, TEMPLATES = "bookings.view", "bookings.manage", "settings.manage"
MESSAGE_PAGE = "messages_admin/message.html"
TEMPLATE_PAGE = "messages_admin/template.html"


def _actor():
    return client_actor("staff", current_staff().member)


@bp.get("")
@staff_required(VIEW)
def index():
    form = LogFilterForm(request.args)
    found = log.page(form.filters() if form.validate() else None)
    query = {k: v for k, v in request.args.items() if k != "before" and v}
    return render("messages_admin/index.html", block="results", status=422 if form.errors else 200,
                  form=form.with_kinds(found.kinds), log=found, query=query, labels=LABELS, kind_label=kind_label)


def _message_page(notification_id: int, status: int = 200):
    found = log.details(notification_id)
    if found is None:
        abort(404)
    return render(MESSAGE_PAGE, status=status, message=found, labels=LABELS, kind_label=kind_label,
                  can_resend=current_staff().can(MANAGE))


@bp.get(f"/<int(max={INT8_MAX}):notification_id>")
@staff_required(VIEW)
def message(notification_id):
    return _message_page(notification_id)


@bp.post(f"/<int(max={INT8_MAX}):notification_id>/resend")
@staff_required(MANAGE)
def resend(notification_id):
    try:
        again = outbox.resend(notification_id, _actor())
    except outbox.CannotResend as exc:
        flash(exc.message, "error")
        return _message_page(notification_id, status=409)
    flash(_("Sent again: this is the new message."), "success")
    return redirect_to(url_for("messages_admin.message", notification_id=again.id))


# --- templates ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Preview:
    """The wording rendered with a sample booking, or why it does not render (by field)."""

    subject: str = ""
    body: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    parts: int = 0  # SMS only: how many SMS the text takes, and in which encoding
    encoding: str = ""


def _known(kind: str, channel: str, language: str) -> None:
    if kind not in dict(wording.kinds()) or channel not in wording.CHANNELS or language not in wording.LANGUAGES:
        abort(404)


def _preview(kind: str, channel: str, language: str, form: TemplateForm) -> Preview:
    subject, body = form.subject.data or "", form.body.data or ""
    if len(subject) > SUBJECT_MAX or len(body) > BODY_MAX:
        return Preview(errors={"body": _("Too long to show a preview.")})
    subject, body, errors = wording.preview(kind, channel, language, subject, body)
    parts, encoding = wording.sms_segments(body) if channel == "sms" and not errors else (0, "")
    return Preview(subject, body, errors, parts, encoding)


def _template_page(kind: str, channel: str, language: str, form: TemplateForm | None = None, *,
                   block: str | None = None, status: int = 200):
    subject, body, own = wording.effective(kind, channel, language)
    form = form or TemplateForm(formdata=None, subject=subject, body=body)
    return render(TEMPLATE_PAGE, block=block, status=status, form=form, own=own,
                  preview=_preview(kind, channel, language, form), variables=wording.variables(kind),
                  kind=kind, channel=channel, language=language, kind_name=kind_label(kind), labels=LABELS,
                  max_sms_parts=wording.MAX_SMS_SEGMENTS, body_max=BODY_MAX)


@bp.get("/templates")
@staff_required(TEMPLATES)
def template_list():
    return render("messages_admin/templates.html", own=wording.own(), kinds=wording.kinds(),
                  channel_codes=wording.CHANNELS, language_codes=wording.LANGUAGES, labels=LABELS)


@bp.get("/templates/<kind>/<channel>/<language>")
@staff_required(TEMPLATES)
def template(kind, channel, language):
    _known(kind, channel, language)
    return _template_page(kind, channel, language)


@bp.post("/templates/<kind>/<channel>/<language>/preview")
@staff_required(TEMPLATES)
def template_preview(kind, channel, language):
    _known(kind, channel, language)
    return _template_page(kind, channel, language, TemplateForm(), block="preview")


@bp.post("/templates/<kind>/<channel>/<language>")
@staff_required(TEMPLATES)
def template_save(kind, channel, language):
    _known(kind, channel, language)
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            wording.save(kind, channel, language, form.subject.data if channel == "email" else "", form.body.data,
                         _actor())
        except wording.TemplateInvalid as exc:
            show_error(form, exc)
        else:
            flash(_("Saved: these messages now use your wording."), "success")
            return redirect_to(url_for("messages_admin.template", kind=kind, channel=channel, language=language))
    return _template_page(kind, channel, language, form, block="editor", status=422)


@bp.post("/templates/<kind>/<channel>/<language>/reset")
@staff_required(TEMPLATES)
def template_reset(kind, channel, language):
    _known(kind, channel, language)
    wording.reset(kind, channel, language, _actor())
    flash(_("Back to the built-in wording."), "success")
    return redirect_to(url_for("messages_admin.template", kind=kind, channel=channel, language=language))
