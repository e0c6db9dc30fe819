from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, Form, SearchField, SelectField
from wtforms.validators import Length, NumberRange, Optional

from blueprints.converters import MONEY_MAX


class EventSearchForm(Form):
    """The query string of /events: shareable, so a plain Form without CSRF."""

    q = SearchField(_l("Search events"), validators=[Optional(), Length(max=200)])
    category = SelectField(_l("Category"), validators=[Optional()], validate_choice=False)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    price_max = DecimalField(_l("Price up to (BDT)"), places=2,
                             validators=[Optional(), NumberRange(min=0, max=MONEY_MAX)])
