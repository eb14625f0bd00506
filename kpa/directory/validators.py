"""Identifier checks delegated to python-stdnum: it, not us, decides what a valid SIREN is."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren, siret


def validate_siren(value: str) -> None:
    try:
        siren.validate(value)
    except StdnumError:
        raise ValidationError(
            _("« %(value)s » n'est pas un SIREN valide : il faut 9 chiffres, comme sur l'avis "
              "de situation INSEE."),
            code="invalid_siren",
            params={"value": value},
        ) from None


def validate_siret(value: str) -> None:
    try:
        siret.validate(value)
    except StdnumError:
        raise ValidationError(
            _("« %(value)s » n'est pas un SIRET valide : il faut 14 chiffres (le SIREN suivi du "
              "numéro d'établissement). Vérifiez-le sur l'avis de situation INSEE."),
            code="invalid_siret",
            params={"value": value},
        ) from None


def compact_identifier(value: str) -> str:
    """Spaces and dots people type in a SIREN or SIRET are not part of it."""
    return siret.compact(value or "")
