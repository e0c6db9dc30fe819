from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from blueprints.converters import INT4_MAX


class SeatChoiceForm(FlaskForm):
    """Seats picked on a map (rail coach or event seat plan)."""

    seat = SelectMultipleField(_l("Seats"), coerce=int, validate_choice=False,
                               validators=[DataRequired(message=_l("Choose at least one seat."))])

    def validate_seat(self, field):
        if any(not 0 < s <= INT4_MAX for s in field.data or []):
            field.errors.append(str(_l("Choose seats from the map.")))
            raise ValueError(str(_l("Choose seats from the map.")))


class TripSeatsForm(SeatChoiceForm):
    board = IntegerField(validators=[InputRequired(), NumberRange(0, 1000)])
    alight = IntegerField(validators=[InputRequired(), NumberRange(1, 1000)])
    coach = IntegerField(validators=[Optional(), NumberRange(1, INT4_MAX)])
    coach_class = StringField(name="class", validators=[Optional()])


class SeatReleaseForm(FlaskForm):
    seat = IntegerField(validators=[DataRequired(), NumberRange(1, INT4_MAX)])
