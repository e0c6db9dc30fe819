"""Bangladeshi mobile numbers: every common way of typing one gives the same canonical form."""
import pytest

from services.phones import PhoneError, display_phone, normalise_phone


@pytest.mark.parametrize("typed", [
    "01712345678", "01712-345678", "0171 234 5678", "+8801712345678", "+880 1712-345678", "8801712345678",
    "008801712345678", "(017) 1234-5678", "০১৭১২৩৪৫৬৭৮",
])
def test_the_ways_people_type_a_number_give_one_canonical_form(typed):
    assert normalise_phone(typed) == "+8801712345678"


@pytest.mark.parametrize("prefix", ["013", "014", "015", "016", "017", "018", "019"])
def test_every_operator_prefix_is_accepted(prefix):
    assert normalise_phone(f"{prefix}12345678") == f"+880{prefix[1:]}12345678"


@pytest.mark.parametrize("typed,why", [
    ("", "such as 01712-345678"),
    ("01212345678", "013 to 019"),          # no operator uses 012
    ("01112345678", "013 to 019"),
    ("0171234567", "11 digits"),            # one digit short
    ("017123456789", "11 digits"),          # one digit too many
    ("+8801712345678 ext 2", "digits only"),
    ("0171234567a", "digits only"),
    ("1712345678", "such as 01712-345678"),  # missing the leading 0
    ("+44 7700 900123", "such as 01712-345678"),
])
def test_numbers_that_are_not_bangladeshi_mobiles_get_a_clear_reason(typed, why):
    with pytest.raises(PhoneError) as caught:
        normalise_phone(typed)
    assert why in str(caught.value)


def test_a_canonical_number_is_shown_the_way_people_write_it():
    assert display_phone("+8801712345678") == "01712-345678"
    assert display_phone(None) == ""
