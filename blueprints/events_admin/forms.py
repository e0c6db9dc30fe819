from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (DateField, DateTimeLocalField, DecimalField, IntegerField, SelectField, StringField,
                     TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from blueprints.converters import INT4_MAX, MONEY_MAX, DateRange
from models.events import ADMISSIONS, TICKET_KINDS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
ADMISSION_LABELS = {"general": _l("General admission (ticket types)"), "timed": _l("Timed entry (day and time slot)"),
                    "seated": _l("Seated (seat plan)")}
KIND_LABELS = {"adult": _l("Adult"), "child": _l("Child"), "student": _l("Student"), "senior": _l("Senior"),
               "vip": _l("VIP"), "group": _l("Group"), "general": _l("General")}


class PrefixedForm(FlaskForm):
    """A form that shares its page with another: a prefix keeps field names and ids apart."""

    PREFIX = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", self.PREFIX)
        super().__init__(*args, **kwargs)


class VenueForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=80)])
    latitude = DecimalField(_l("Latitude"), places=6, validators=[Optional(), NumberRange(-90, 90)])
    longitude = DecimalField(_l("Longitude"), places=6, validators=[Optional(), NumberRange(-180, 180)])
    capacity = IntegerField(_l("Capacity"), validators=[Optional(), NumberRange(min=1, max=INT4_MAX)])
    amenities = StringField(_l("Amenities (separated by commas)"), validators=[Optional(), Length(max=500)])


class ZoneForm(PrefixedForm):
    PREFIX = "zone"
    name = StringField(_l("Zone name"), validators=[DataRequired(), Length(max=120)])
    capacity = IntegerField(_l("Capacity"), validators=[Optional(), NumberRange(min=1, max=INT4_MAX)])


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)])
    category = StringField(_l("Category"), validators=[Optional(), Length(max=60)])
    venue_id = SelectField(_l("Venue"), coerce=int, validators=[Optional()])
    zone_id = SelectField(_l("Zone"), coerce=int, validators=[Optional()])
    starts_at = DateTimeLocalField(_l("Starts"), format=DATETIME_FORMAT, validators=[InputRequired(), DateRange()])
    ends_at = DateTimeLocalField(_l("Ends"), format=DATETIME_FORMAT, validators=[InputRequired(), DateRange()])
    admission = SelectField(_l("Admission"), choices=[(a, ADMISSION_LABELS[a]) for a in ADMISSIONS])


class TicketTypeForm(FlaskForm):
    name = StringField(_l("Ticket name"), validators=[DataRequired(), Length(max=80)])
    kind = SelectField(_l("Kind"), choices=[(k, KIND_LABELS[k]) for k in TICKET_KINDS], default="adult")
    price = DecimalField(_l("Price (BDT)"), places=2, validators=[InputRequired(), NumberRange(min=0, max=MONEY_MAX)])
    quantity = IntegerField(_l("Quantity (empty: no limit of its own)"),
                            validators=[Optional(), NumberRange(min=0, max=INT4_MAX)])
    min_per_order = IntegerField(_l("Least per order"), default=1,
                                 validators=[InputRequired(), NumberRange(min=1, max=INT4_MAX)])
    max_per_order = IntegerField(_l("Most per order"), default=10,
                                 validators=[InputRequired(), NumberRange(min=1, max=INT4_MAX)])
    sales_start = DateTimeLocalField(_l("Sales start (empty: now)"), format=DATETIME_FORMAT,
                                     validators=[Optional(), DateRange()])
    sales_end = DateTimeLocalField(_l("Sales end (empty: when the event ends)"), format=DATETIME_FORMAT,
                                   validators=[Optional(), DateRange()])


class SlotsForm(FlaskForm):
    first_day = DateField(_l("First day"), validators=[InputRequired(), DateRange()])
    last_day = DateField(_l("Last day"), validators=[InputRequired(), DateRange()])
    opens = TimeField(_l("Opens"), validators=[InputRequired()])
    closes = TimeField(_l("Closes"), validators=[InputRequired()])
    every_minutes = IntegerField(_l("Slot length (minutes)"), default=60,
                                 validators=[InputRequired(), NumberRange(min=5, max=1440)])
    capacity = IntegerField(_l("Visitors per slot"), validators=[InputRequired(), NumberRange(min=1, max=INT4_MAX)])


class ImageForm(FlaskForm):
    image = FileField(_l("Image (JPEG, PNG or WebP)"), validators=[FileRequired(_l("Choose an image file to upload."))])


class CategoryForm(PrefixedForm):
    PREFIX = "category"
    name = StringField(_l("Category name"), validators=[DataRequired(), Length(max=60)])
    price = DecimalField(_l("Price (BDT)"), places=2, validators=[InputRequired(), NumberRange(min=0, max=MONEY_MAX)])
    color = StringField(_l("Colour"), default="#0b6e4f", validators=[Optional(), Length(max=7)])


class SectionForm(PrefixedForm):
    PREFIX = "section"
    name = StringField(_l("Section name"), validators=[DataRequired(), Length(max=60)])
    rows = IntegerField(_l("Rows"), validators=[InputRequired(), NumberRange(min=1, max=100)])
    seats_per_row = IntegerField(_l("Seats per row"), validators=[InputRequired(), NumberRange(min=1, max=200)])
    category_id = SelectField(_l("Price category"), coerce=int, validators=[Optional()])


class RowCategoryForm(FlaskForm):
    row = IntegerField(_l("Row number"), validators=[InputRequired(), NumberRange(min=1, max=INT4_MAX)])
    category_id = SelectField(_l("Price category"), coerce=int, validators=[Optional()])
