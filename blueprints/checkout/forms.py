"""The checkout form: the passengers of a rail hold (one set of fields per seat) or an event's
contact, and the payment method. Built per hold with `CheckoutForm.for_quote`."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, RadioField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from services.phones import PhoneError, normalise_phone

GENDERS = [("", _l("Choose")), ("female", _l("Female")), ("male", _l("Male")), ("other", _l("Other"))]


def _phone(form, field):
    if field.data:
        try:
            field.data = normalise_phone(field.data)
        except PhoneError as exc:
            raise ValidationError(str(exc)) from None


class CheckoutForm(FlaskForm):
    contact_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    contact_phone = TelField(_l("Mobile number"), validators=[DataRequired(), Length(max=32), _phone])
    contact_email = EmailField(_l("Email (for the tickets by email)"),
                               validators=[Optional(), Length(max=254),
                                           Email(message=_l("Enter a valid email address."))])
    gateway = RadioField(_l("Pay with"), validators=[InputRequired(message=_l("Choose how to pay."))])

    @classmethod
    def for_quote(cls, quote, gateways: list[tuple[str, str]], saved=(), **kwargs) -> "CheckoutForm":
        """Fields `name-<seat>`, `age-<seat>`, `gender-<seat>` and `saved-<seat>` per rail seat."""
        fields = {}
        saved_choices = [("", _l("Type the details"))] + [(str(p.id), p.name) for p in saved]
        for line in quote.lines:
            if line.kind != "seat":
                continue
            s = line.seat_id
            fields[f"saved-{s}"] = SelectField(_l("Saved passenger"), choices=saved_choices, validators=[Optional()])
            fields[f"name-{s}"] = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
            fields[f"age-{s}"] = IntegerField(_l("Age"), validators=[Optional(), NumberRange(0, 120)])
            fields[f"gender-{s}"] = SelectField(_l("Gender"), choices=GENDERS, validators=[Optional()])
        form = type("HoldCheckoutForm", (cls,), fields)(**kwargs)
        form.gateway.choices = gateways
        form.seat_ids = [line.seat_id for line in quote.lines if line.kind == "seat"]
        return form

    def seat_fields(self, seat_id: int):
        return {k: self[f"{k}-{seat_id}"] for k in ("saved", "name", "age", "gender")}

    def passengers(self, saved_by_id: dict) -> dict:
        """{seat id: Passenger}; a seat whose details are missing gets its errors on the form (None)."""
        from services.checkout.start import Passenger

        found, ok = {}, True
        for seat_id in self.seat_ids:
            fields = self.seat_fields(seat_id)
            chosen = saved_by_id.get(fields["saved"].data) if fields["saved"].data else None
            name = (fields["name"].data or "").strip() or (chosen.name if chosen else "")
            age = fields["age"].data if fields["age"].data is not None else (chosen and chosen.age)
            gender = fields["gender"].data or (chosen.gender if chosen else "")
            for field, value, message in ((fields["name"], name, _l("Give the passenger's name.")),
                                          (fields["age"], age, _l("Give the passenger's age.")),
                                          (fields["gender"], gender, _l("Choose the passenger's gender."))):
                if value in (None, ""):
                    field.errors = [*field.errors, str(message)]
                    ok = False
            if name and age is not None and gender:
                found[seat_id] = Passenger(name, int(age), gender)
        return found if ok else None
