"""The form that opens a gate."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

KIND_LABELS = {"event": _l("An event, any time it is open"),
               "timed": _l("Timed entry on one day"),
               "trip": _l("A train, boarding at one station")}


class OpenGateForm(FlaskForm):
    name = StringField(_l("Gate name"), validators=[DataRequired(message=_l("Name the gate, e.g. North gate.")),
                                                    Length(max=60)])
    kind = RadioField(_l("This gate admits"), choices=list(KIND_LABELS.items()), validators=[InputRequired()])
    event_id = SelectField(_l("Event"), coerce=int, choices=[], validate_choice=False, validators=[Optional()])
    day = DateField(_l("Day"), validators=[Optional()])
    current_slot_only = BooleanField(_l("Only the current entry slot"))
    grace_minutes = IntegerField(_l("Grace period, minutes before and after a slot"), default=15,
                                 validators=[InputRequired(), NumberRange(min=0, max=240)])
    boarding = SelectField(_l("Train and boarding station"), choices=[], validate_choice=False,
                           validators=[Optional()])
    allows_exit = BooleanField(_l("Scan exits too (visitors may come back in)"))

    def for_tenant(self, kind: str, choices) -> "OpenGateForm":
        """Rail tenants open trip gates; event tenants event or timed-entry gates."""
        kinds = ["trip"] if kind == "rail" else ["event", "timed"]
        self.kind.choices = [(k, KIND_LABELS[k]) for k in kinds]
        if not self.kind.data or self.kind.data not in kinds:
            self.kind.data = kinds[0]
        self.event_id.choices = choices.events
        self.boarding.choices = choices.boardings
        return self

    def trip_and_seq(self) -> tuple[int | None, int | None]:
        try:
            trip, seq = (self.boarding.data or "").split(":")
            return int(trip), int(seq)
        except ValueError:
            return None, None
