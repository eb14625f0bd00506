"""SIREN and SIRET: python-stdnum, not us, decides what is valid; we say it in French."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from kpa.directory.tests.factories import valid_siren, valid_siret
from kpa.directory.validators import compact_identifier, validate_siren, validate_siret

digits = st.text(alphabet="0123456789", min_size=0, max_size=16)
# What people actually type: digits with spaces and dots, sometimes a stray letter or dash.
typed = st.text(alphabet="0123456789 .-A", min_size=0, max_size=20)


@st.composite
def luhn_valid(draw: st.DrawFn, length: int) -> str:
    """Bodies with a right check digit, so the valid branch is exercised as often as the other."""
    body = draw(st.text(alphabet="0123456789", min_size=length - 1, max_size=length - 1))
    return body + luhn.calc_check_digit(body)


def raises_validation_error(validator, value: str) -> bool:
    try:
        validator(value)
    except ValidationError:
        return True
    return False


@given(digits | typed | luhn_valid(9))
@example("732829320")  # a real, valid SIREN
@example("732829321")
@example("")
def test_our_siren_validator_refuses_exactly_what_stdnum_refuses(value):
    assert raises_validation_error(validate_siren, value) == (not stdnum_siren.is_valid(value))


@given(digits | typed | luhn_valid(14))
@example("73282932000074")  # a real, valid SIRET
@example("73282932000075")
@example("35600000049837")  # La Poste: its establishments do not follow the Luhn rule
@example("")
def test_our_siret_validator_refuses_exactly_what_stdnum_refuses(value):
    assert raises_validation_error(validate_siret, value) == (not stdnum_siret.is_valid(value))


@given(st.integers(min_value=0, max_value=99_999_999), st.integers(min_value=1, max_value=9999))
def test_the_factories_only_make_identifiers_that_stdnum_accepts(seed, establishment):
    siren = valid_siren(seed)
    siret = valid_siret(siren, establishment)

    assert stdnum_siren.is_valid(siren)
    assert stdnum_siret.is_valid(siret)
    assert siret.startswith(siren)


@pytest.mark.parametrize("value", ["12345678", "1234567890", "732829321", "73282932A", ""])
def test_an_invalid_siren_is_refused_with_a_french_message_naming_the_value(value):
    with pytest.raises(ValidationError) as caught:
        validate_siren(value)

    error = caught.value
    assert error.code == "invalid_siren"
    message = error.messages[0]
    assert "n'est pas un SIREN valide" in message
    assert "9 chiffres" in message
    assert f"« {value} »" in message


@pytest.mark.parametrize("value", ["7328293200007", "73282932000075", "7328293200007A", ""])
def test_an_invalid_siret_is_refused_with_a_french_message_naming_the_value(value):
    with pytest.raises(ValidationError) as caught:
        validate_siret(value)

    error = caught.value
    assert error.code == "invalid_siret"
    message = error.messages[0]
    assert "n'est pas un SIRET valide" in message
    assert "14 chiffres" in message
    assert f"« {value} »" in message


def test_a_valid_siren_and_siret_pass_silently():
    assert validate_siren("732829320") is None
    assert validate_siret("73282932000074") is None


def test_the_validator_error_is_not_chained_to_the_stdnum_exception():
    with pytest.raises(ValidationError) as caught:
        validate_siren("123")

    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


@pytest.mark.parametrize(
    ("typed_value", "compact"),
    [
        ("732 829 320", "732829320"),
        ("732.829.320", "732829320"),
        ("732 829 320 00074", "73282932000074"),
        ("732.829.320.00074", "73282932000074"),
        ("  73282932000074  ", "73282932000074"),
        ("73282932000074", "73282932000074"),
        ("", ""),
    ],
)
def test_compact_identifier_strips_the_spaces_and_dots_people_type(typed_value, compact):
    assert compact_identifier(typed_value) == compact


def test_compact_identifier_treats_none_as_empty():
    assert compact_identifier(None) == ""  # type: ignore[arg-type]


@given(st.text(alphabet="0123456789 .", max_size=30))
def test_compact_identifier_keeps_every_digit_in_order_and_nothing_else(value):
    assert compact_identifier(value) == "".join(c for c in value if c.isdigit())


@given(luhn_valid(9))
def test_a_siren_typed_with_spaces_is_valid_once_compacted(siren):
    spaced = f"{siren[:3]} {siren[3:6]} {siren[6:]}"

    assert not raises_validation_error(validate_siren, compact_identifier(spaced))
    assert compact_identifier(spaced) == siren
