from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

DEPARTURE_CHOICES = [("", _l("Any time")), ("morning", _l("Before noon")), ("afternoon", _l("Noon to 6 pm")),
                     ("evening", _l("After 6 pm"))]


class TrainSearchForm(FlaskForm):
    """Read from the query string: a search is a shareable URL, so no CSRF token."""

    class Meta:
        csrf = False

    from_ = StringField(_l("From"), name="from", validators=[DataRequired(), Length(max=80)])
    to = StringField(_l("To"), validators=[DataRequired(), Length(max=80)])
    date = DateField(_l("Date of journey"), validators=[DataRequired(message=_l("Choose a date."))])
    coach_class = SelectField(_l("Class"), name="class", choices=[("", _l("Any class"))], validators=[Optional()],
                              validate_choice=False)
    departure = SelectField(_l("Departure"), choices=DEPARTURE_CHOICES, validators=[Optional()])
