from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DecimalField, IntegerField, SelectField, SelectMultipleField,
                     StringField, TimeField, widgets)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from blueprints.converters import DateRange
from models.rail import TRAIN_TYPES

WEEKDAY_CHOICES = [(0, _l("Mon")), (1, _l("Tue")), (2, _l("Wed")), (3, _l("Thu")), (4, _l("Fri")), (5, _l("Sat")),
                   (6, _l("Sun"))]
DAY_MODE_CHOICES = [("daily", _l("Every day")), ("weekdays", _l("Weekdays (Sun–Thu)")),
                    ("weekends", _l("Weekends (Fri–Sat)")), ("chosen", _l("Only on the chosen days")),
                    ("off_days", _l("Every day except the chosen off-days"))]


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class StationForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=8),
                                               Regexp(r"^[A-Za-z0-9_]+$", message=_l("Letters and digits only."))])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=80)])
    name_bn = StringField(_l("Name (Bangla)"), validators=[DataRequired(), Length(max=80)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=80)])
    latitude = DecimalField(_l("Latitude"), places=6, validators=[Optional(), NumberRange(-90, 90)])
    longitude = DecimalField(_l("Longitude"), places=6, validators=[Optional(), NumberRange(-180, 180)])


class TrainForm(FlaskForm):
    number = StringField(_l("Number"), validators=[DataRequired(), Length(max=10)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    train_type = SelectField(_l("Type"), choices=[(t, t.title()) for t in TRAIN_TYPES])
    mode = SelectField(_l("Runs"), choices=DAY_MODE_CHOICES)
    days = CheckboxesField(_l("Days"), choices=WEEKDAY_CHOICES, coerce=int, validators=[Optional()])


class StopForm(FlaskForm):
    station_id = SelectField(_l("Station"), coerce=int, validators=[DataRequired(message=_l("Choose a station."))])
    arrival_time = TimeField(_l("Arrives"), validators=[Optional()])
    departure_time = TimeField(_l("Departs"), validators=[Optional()])
    day_offset = IntegerField(_l("Day (+ days after the origin)"), default=0,
                              validators=[InputRequired(), NumberRange(0, 3)])
    distance_km = DecimalField(_l("Distance from origin (km)"), places=1, default=0,
                               validators=[InputRequired(), NumberRange(0, 5000)])


class CoachForm(FlaskForm):
    coach_class_id = SelectField(_l("Class"), coerce=int, validators=[DataRequired(message=_l("Choose a class."))])
    layout_id = SelectField(_l("Layout"), coerce=int, validators=[DataRequired(message=_l("Choose a layout."))])
    code = StringField(_l("Coach code (blank for the next one)"), validators=[Optional(), Length(max=8)])


class ClassForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=16)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    is_ac = BooleanField(_l("Air-conditioned (VAT applies)"))
    rate_per_km = DecimalField(_l("Fare per km (৳)"), places=4, validators=[InputRequired(), NumberRange(0, 1000)])
    minimum_fare = DecimalField(_l("Minimum fare (৳)"), places=2, validators=[InputRequired(), NumberRange(0, 100000)])
    vat_percent = DecimalField(_l("VAT % (AC classes)"), places=2, default=15,
                               validators=[InputRequired(), NumberRange(0, 100)])


class LayoutForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    rows = IntegerField(_l("Rows"), validators=[InputRequired(), NumberRange(1, 40)])
    cols = IntegerField(_l("Columns (aisles included)"), validators=[InputRequired(), NumberRange(1, 12)])
    aisles = StringField(_l("Aisle columns (e.g. 3)"), validators=[Optional(), Regexp(r"^[0-9 ,]*$")])
    berths = BooleanField(_l("Berths (sleeping) instead of seats"))
    unavailable = StringField(_l("Unavailable cells (e.g. 1A, 14E)"), validators=[Optional(), Length(max=400)])


class SegmentFareForm(FlaskForm):
    from_station_id = SelectField(_l("From"), coerce=int, validators=[DataRequired()])
    to_station_id = SelectField(_l("To"), coerce=int, validators=[DataRequired()])
    coach_class_id = SelectField(_l("Class"), coerce=int, validators=[DataRequired()])
    amount = DecimalField(_l("Fare (৳, VAT included)"), places=2, validators=[InputRequired(), NumberRange(1, 100000)])


class GenerateForm(FlaskForm):
    train_ids = CheckboxesField(_l("Trains"), coerce=int,
                                validators=[DataRequired(message=_l("Choose at least one train."))])
    start_date = DateField(_l("First date"), validators=[DataRequired(), DateRange()])
    end_date = DateField(_l("Last date"), validators=[DataRequired(), DateRange()])


class DelayForm(FlaskForm):
    new_departure = TimeField(_l("New departure"), validators=[DataRequired()])


class DayForm(FlaskForm):
    class Meta:
        csrf = False

    day = DateField(_l("Date"), validators=[Optional(), DateRange()])
