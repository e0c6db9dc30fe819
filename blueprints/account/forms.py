from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, HiddenField, PasswordField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from blueprints.converters import DateRange


class RegisterForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    phone = TelField(_l("Mobile number"), validators=[Optional(), Length(max=32)])
    email = EmailField(_l("Email (optional if you give a mobile number)"), validators=[Optional(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class LoginForm(FlaskForm):
    identifier = StringField(_l("Mobile number or email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class CodeForm(FlaskForm):
    code = StringField(_l("6-digit code"), validators=[
        DataRequired(), Regexp(r"^\s*\d{6}\s*$", message=_l("The code has 6 digits."))],
                       render_kw={"inputmode": "numeric", "maxlength": "6"})


class ResendForm(FlaskForm):
    pass


class ForgotForm(FlaskForm):
    identifier = StringField(_l("Mobile number or email"), validators=[DataRequired(), Length(max=254)])


class ResetByCodeForm(FlaskForm):
    code = StringField(_l("6-digit code"), validators=[
        DataRequired(), Regexp(r"^\s*\d{6}\s*$", message=_l("The code has 6 digits."))],
                       render_kw={"inputmode": "numeric", "maxlength": "6"})
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])


class ResetByLinkForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])


class ProfileForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    phone = TelField(_l("Mobile number"), validators=[Optional(), Length(max=32)])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=254)])
    nid = StringField(_l("National ID number (optional)"), validators=[Optional(), Length(max=32)])


GENDER_CHOICES = [("", _l("Not given")), ("female", _l("Female")), ("male", _l("Male")), ("other", _l("Other"))]
DOCUMENT_CHOICES = [("", _l("None")), ("nid", _l("National ID")), ("passport", _l("Passport"))]


class PassengerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional(), DateRange()])
    gender = SelectField(_l("Gender"), choices=GENDER_CHOICES, validators=[Optional()])
    document_kind = SelectField(_l("ID document"), choices=DOCUMENT_CHOICES, validators=[Optional()])
    document_number = StringField(_l("Document number"), validators=[Optional(), Length(max=32)])


class ButtonForm(FlaskForm):
    """A form that is only a button (delete, log out everywhere): CSRF token and nothing else."""
