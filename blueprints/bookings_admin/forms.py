"""Forms of the staff booking pages, and the words staff read for the codes stored about a booking:
the states of it, its items, tickets, payments, refunds and purchase attempts; refund kinds, genders."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from blueprints.converters import INT8_MAX
from models.bookings import ATTEMPT_RESULTS
from services.checkout.staff import REASON_MAX

CODE_LABELS = {
    "booking": {"pending_payment": _l("Awaiting payment"), "confirmed": _l("Confirmed"),
                "partially_cancelled": _l("Partly cancelled"), "cancelled": _l("Cancelled"),
                "expired": _l("Expired"), "failed": _l("Failed")},
    "item": {"active": _l("Active"), "cancelled": _l("Cancelled")},
    "ticket": {"valid": _l("Valid"), "used": _l("Used"), "cancelled": _l("Cancelled"), "expired": _l("Expired")},
    "payment": {"initiated": _l("Started"), "succeeded": _l("Paid"), "succeeded_late": _l("Paid late"),
                "failed": _l("Failed"), "cancelled": _l("Cancelled"), "partially_refunded": _l("Partly refunded"),
                "refunded": _l("Refunded")},
    "refund": {"pending": _l("Pending"), "done": _l("Done"), "failed": _l("Failed")},
    "refund_kind": {"cancellation": _l("Cancellation"), "late_payment": _l("Late payment"),
                    "amount_mismatch": _l("Wrong amount paid"), "duplicate": _l("Paid twice"),
                    "staff": _l("By staff")},
    "gender": {"female": _l("female"), "male": _l("male"), "other": _l("other")},
    "attempt": {"started": _l("Started"), "paid": _l("Paid"), "failed": _l("Failed"), "abandoned": _l("Abandoned")},
}


class BookingSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search box

    q = StringField(_l("Reference, PNR, phone or email"), validators=[Optional(), Length(max=254)])


class AttemptFilterForm(FlaskForm):
    class Meta:
        csrf = False

    result = SelectField(_l("Result"), choices=[("", _l("Any result"))] + [(r, CODE_LABELS["attempt"][r])
                                                                          for r in ATTEMPT_RESULTS],
                         validators=[Optional()])


class CancelItemsForm(FlaskForm):
    item = SelectMultipleField(_l("What to cancel"), coerce=int, validate_choice=False,
                               validators=[DataRequired(message=_l("Choose what to cancel."))])
    full_refund = BooleanField(_l("Refund in full, whatever the policy"))

    def validate_item(self, field):
        if any(not 0 < i <= INT8_MAX for i in field.data or []):
            raise ValidationError(str(_l("Choose from the booking's items.")))


class GoodwillRefundForm(FlaskForm):
    """The amount is only parsed here: the service says whether it can go back (more than zero,
    paisa at most, no more than is left on the payment)."""

    amount = DecimalField(_l("Amount (BDT)"), validators=[InputRequired(message=_l("Enter the amount to refund."))])
    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("Say why the money goes back.")),
                                                   Length(max=REASON_MAX)])
