"""Forms of the staff occupancy pages: seats picked on a map and blocked with a reason, or one
seat unblocked. Shared by the rail and the events pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from blueprints.converters import INT4_MAX, DateRange
from services.inventory.staff import MAX_SEATS_PER_BLOCK, REASON_MAX


class BlockSeatsForm(FlaskForm):
    seat = SelectMultipleField(_l("Seats"), coerce=int, validate_choice=False,
                               validators=[DataRequired(message=_l("Choose at least one seat."))])
    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("Say why the seats are blocked.")),
                                                   Length(max=REASON_MAX)])

    def validate_seat(self, field):
        if any(not 0 < s <= INT4_MAX for s in field.data or []) or len(field.data or []) > MAX_SEATS_PER_BLOCK:
            raise ValidationError(str(_l("Choose seats from the map.")))


class TripBlockSeatsForm(BlockSeatsForm):
    """On a trip: for the stretch the map shows (both ends are stops' sequence numbers)."""

    board = IntegerField(validators=[InputRequired(), NumberRange(0, INT4_MAX)])
    alight = IntegerField(validators=[InputRequired(), NumberRange(0, INT4_MAX)])


class UnblockSeatForm(FlaskForm):
    seat = IntegerField(validators=[InputRequired(), NumberRange(1, INT4_MAX)])
    board = IntegerField(validators=[Optional(), NumberRange(0, INT4_MAX)])
    alight = IntegerField(validators=[Optional(), NumberRange(0, INT4_MAX)])


class DayForm(FlaskForm):
    """The day whose entry times an event's occupancy shows (`?day=`)."""

    class Meta:
        csrf = False

    day = DateField(_l("Date"), validators=[Optional(), DateRange()])
