"""The fast phone path agrees with phonenumbers, on any input."""

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.phones import InvalidPhone, PhoneNormaliser, readable

FR = PhoneNormaliser("FR")


def reference(raw, region="FR"):
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def ours(raw, normaliser=FR):
    try:
        return normaliser.normalise(raw) or None
    except InvalidPhone:
        return None


digits = st.text(alphabet="0123456789", min_size=9, max_size=9)
prefix = st.sampled_from(["0", "+33", "0033", "+33 ", "0033 ", "+33 (0)"])
separator = st.sampled_from(["", " ", ".", "-", "/"])


@st.composite
def french_looking(draw):
    national = draw(digits)
    sep = draw(separator)
    body = national[0] + sep + sep.join(national[i : i + 2] for i in range(1, 9, 2))
    return draw(prefix) + body


@settings(max_examples=3000, deadline=None)
@given(french_looking())
def test_fast_path_agrees_with_phonenumbers_on_french_shapes(raw):
    assert ours(raw) == reference(raw)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="0123456789 +.-()/", min_size=0, max_size=18))
def test_agrees_with_phonenumbers_on_arbitrary_strings(raw):
    if raw.strip() == "":
        assert ours(raw) is None
    else:
        assert ours(raw) == reference(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("01 42 68 53 00", "+33142685300"),
        ("+32 470 12 34 56", "+32470123456"),
    ],
)
def test_common_written_forms(raw, expected):
    assert FR.normalise(raw) == expected


@pytest.mark.parametrize("raw", ["06 12", "06 39 99 99 99", "bonjour", "+33 6 12 34 56 78 9"])
def test_not_phone_numbers_are_refused(raw):
    with pytest.raises(InvalidPhone):
        FR.normalise(raw)


def test_other_regions_still_work():
    be = PhoneNormaliser("BE")
    assert ours("0470 12 34 56", be) == reference("0470 12 34 56", "BE") == "+32470123456"


@pytest.mark.parametrize(
    ("stored", "region", "shown"),
    [
        ("+33612345678", "FR", "06 12 34 56 78"),
        ("+33145678901", "FR", "01 45 67 89 01"),
        ("+32470123456", "FR", "+32 470 12 34 56"),
        ("+33612345678", "BE", "+33 6 12 34 56 78"),
        ("", "FR", ""),
        ("06 12", "FR", "06 12"),  # not a number: as it is
    ],
)
def test_a_stored_number_reads_the_way_people_of_the_region_write_it(stored, region, shown):
    assert readable(stored, region) == shown
