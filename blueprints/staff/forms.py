from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Email, Length, NumberRange, Optional

from blueprints.converters import INT8_MAX


class StaffLoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class LogoutForm(FlaskForm):
    everywhere = HiddenField(validators=[Optional(), AnyOf(["", "1"])])  # "1": on every device


ROLE_CHOICES = [("admin", _l("Admin: everything")), ("operator", _l("Operator: schedules, events, bookings")),
                ("gate", _l("Gate: the gate console only")), ("viewer", _l("Viewer: read-only"))]


class NewStaffForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validators=[DataRequired()])
    password = PasswordField(_l("First password (they can be told it in person)"),
                             validators=[DataRequired(), Length(max=200)])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validators=[DataRequired()])


class ActiveForm(FlaskForm):
    active = HiddenField(validators=[AnyOf(["0", "1"])])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    action = StringField(_l("Action"), validators=[Optional(), Length(max=64)])
    resource = StringField(_l("Resource"), validators=[Optional(), Length(max=64)])
    actor_type = SelectField(_l("Who"), choices=[("", _l("Anyone")), ("staff", _l("Staff")),
                                                ("customer", _l("Customers")), ("system", _l("System"))],
                             validators=[Optional()])
    text = StringField(_l("Person or record id"), validators=[Optional(), Length(max=120)])
    before = IntegerField(validators=[Optional(), NumberRange(min=0, max=INT8_MAX)])  # audit ids are bigint
