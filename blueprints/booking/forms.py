from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError, Regexp

from blueprints.converters import INT4_MAX

MAX_QUANTITY = 1000  # far above any order limit: only a bound for the database


class SeatChoiceForm(FlaskForm):
    """Seats picked on a map (rail coach or event seat plan)."""

    seat = SelectMultipleField(_l("Seats"), coerce=int, validate_choice=False,
                               validators=[DataRequired(message=_l("Choose at least one seat."))])

    def validate_seat(self, field):
        if any(not 0 < s <= INT4_MAX for s in field.data or []):
            raise ValidationError(str(_l("Choose seats from the map.")))  # a ValueError here would be a 500


class TripSeatsForm(SeatChoiceForm):
    board = IntegerField(validators=[InputRequired(), NumberRange(0, 1000)])
    alight = IntegerField(validators=[InputRequired(), NumberRange(1, 1000)])
    coach = IntegerField(validators=[Optional(), NumberRange(1, INT4_MAX)])
    coach_class = StringField(name="class", validators=[Optional()])


class SeatReleaseForm(FlaskForm):
    seat = IntegerField(validators=[DataRequired(), NumberRange(1, INT4_MAX)])


class QuantitiesForm(FlaskForm):
    """How many of each ticket type (fields `qty-<ticket type id>`), and the entry slot of a timed
    event. Built per event with `for_ticket_types`. `step` is what the − and + buttons send when
    no script runs: "<ticket type id>:-1" or ":+1" (the page is shown again with it applied)."""

    slot = IntegerField(validators=[Optional(), NumberRange(1, INT4_MAX, message=_l("Choose an entry time."))])
    step = StringField(validators=[Optional(), Regexp(r"^[0-9]{1,10}:[+-]1$", message=_l("Choose how many tickets."))])

    @classmethod
    def for_ticket_types(cls, ticket_types, **kwargs) -> "QuantitiesForm":
        in_range = NumberRange(0, MAX_QUANTITY, message=_l("Choose from 0 to %(max)s tickets.", max=MAX_QUANTITY))
        fields = {f"qty-{t.id}": IntegerField(t.name, default=0, validators=[Optional(), in_range])
                  for t in ticket_types}
        form = type("EventQuantitiesForm", (cls,), fields)(**kwargs)
        form.ticket_types = list(ticket_types)
        return form

    def quantity_field(self, ticket_type_id: int):
        return self[f"qty-{ticket_type_id}"]

    def quantities(self) -> dict[int, int]:
        """The numbers sent (an empty one is 0); a type the form did not send keeps what is held."""
        fields = {t.id: self.quantity_field(t.id) for t in self.ticket_types}
        return {type_id: field.data or 0 for type_id, field in fields.items() if field.raw_data}

    def apply_step(self) -> None:
        """− from the least one may order goes to none, + from none to the least; within the order limit."""
        type_id, _, delta = self.step.data.partition(":")
        ticket_type = next((t for t in self.ticket_types if t.id == int(type_id)), None)
        if ticket_type is None:
            return
        field = self.quantity_field(ticket_type.id)
        now = field.data or 0
        if delta == "+1":
            wanted = ticket_type.min_per_order if now < ticket_type.min_per_order else now + 1
        else:
            wanted = 0 if now <= ticket_type.min_per_order else now - 1
        field.data = max(0, min(wanted, ticket_type.max_per_order))
        self.step.data = None
