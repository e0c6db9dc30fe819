"""Forms of the staff messages pages, and the words staff read for the codes of the notifications
log: statuses, channels, kinds, languages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from blueprints.converters import INT8_MAX
from models.bookings import NOTIFICATION_STATUSES
from services.notify import log
from services.notify.builtin import KIND_NAMES
from services.notify.templates import CHANNELS

BODY_MAX = 5000  # a long email; an SMS says how many parts it takes
SUBJECT_MAX = 200  # message_templates.subject

LABELS = {
    "status": {"queued": _l("Queued"), "sending": _l("Sending"), "sent": _l("Sent"), "failed": _l("Failed")},
    "channel": {"sms": _l("SMS"), "email": _l("Email")},
    "language": {"bn": _l("Bangla"), "en": _l("English")},
    "kind": {**KIND_NAMES, "otp": _l("One-time code"), "password_reset": _l("Password reset link"),
             "account": _l("Account notice")},
    "attachment": {"tickets": _l("The tickets, as a PDF")},
}


def kind_label(kind: str) -> str:
    return str(LABELS["kind"].get(kind, kind))


class LogFilterForm(FlaskForm):
    """The log's filters and search box (a GET form). Kinds are whatever the log holds: the choice is
    not checked against a list, an unknown one simply finds nothing."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[("", _l("Any status"))]
                         + [(s, LABELS["status"][s]) for s in NOTIFICATION_STATUSES], validators=[Optional()])
    channel = SelectField(_l("Channel"), choices=[("", _l("SMS and email"))]
                          + [(c, LABELS["channel"][c]) for c in CHANNELS], validators=[Optional()])
    kind = SelectField(_l("Message"), choices=[("", _l("Every message"))], validate_choice=False,
                       validators=[Optional(), Length(max=32)])
    q = StringField(_l("Mobile number, email or booking reference"), validators=[Optional(), Length(max=254)])
    before = IntegerField(validators=[Optional(), NumberRange(min=1, max=INT8_MAX)])

    def with_kinds(self, kinds: list[str]) -> "LogFilterForm":
        """The kind choices: the built-in messages and whatever else the log holds."""
        known = list(KIND_NAMES) + [k for k in kinds if k not in KIND_NAMES]
        if self.kind.data and self.kind.data not in known:
            known.append(self.kind.data)
        self.kind.choices = [("", _l("Every message"))] + [(k, kind_label(k)) for k in known]
        return self

    def filters(self) -> log.Filters:
        return log.Filters(status=self.status.data or None, channel=self.channel.data or None,
                           kind=self.kind.data or None, text=(self.q.data or "").strip(), before=self.before.data)


class TemplateForm(FlaskForm):
    """An email's subject and body, or an SMS's text. Whether the wording renders (known variables,
    sound syntax) is the service's to say."""

    subject = StringField(_l("Subject"), validators=[Length(max=SUBJECT_MAX)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(message=_l("Write the message.")),
                                                 Length(max=BODY_MAX)])
