"""The REST API under /api/v1/ (OpenAPI at /api/v1/openapi.json). Apps add their routers here.

Every route needs `Authorization: Bearer <token>` (see `kpa create_token`); the OpenAPI document
and the docs page stay public. Errors always answer JSON with a `detail`:
401 no or bad token, 403 a gate refused, 404 unknown or out of reach, 422 invalid input
(`detail` is then a list of `{loc, msg, type}`, with French messages from the services).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.parser import Parser

from kpa.core.api_auth import ApiTokenAuth
from kpa.directory.api import router as directory_router
from kpa.governance.api import router as governance_router
from kpa.journey.api import router as journey_router
from kpa.ledger.api import router as ledger_router
from kpa.purchases.api import router as purchases_router
from kpa.sales.api import router as sales_router
from kpa.treasury.api import router as treasury_router


class ExactJsonParser(Parser):
    """JSON numbers become `Decimal`, never `float`: an amount keeps every digit it was sent
    with, and the services judge it (NaN and Infinity are not JSON: refused)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return json.loads(request.body, parse_float=Decimal,  # type: ignore[no-any-return]
                          parse_constant=_refuse_constant)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


api = NinjaAPI(
    title="kpa",
    parser=ExactJsonParser(),
    version="1",
    description="L'API de la plateforme des coopératives KPA-Cité.",
    urls_namespace="api",
    auth=ApiTokenAuth(),
)

api.add_router("/", directory_router)
api.add_router("/ledger/", ledger_router)
api.add_router("/journey/", journey_router)
api.add_router("/sales/", sales_router)
api.add_router("/purchases/", purchases_router)
api.add_router("/treasury/", treasury_router)
api.add_router("/governance/", governance_router)


def _error(request: HttpRequest, detail: Any, status: int) -> HttpResponse:
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, _("Jeton d'API manquant, invalide ou révoqué."), 401)
    response["WWW-Authenticate"] = 'Bearer realm="kpa"'
    return response


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, _("Vous n'avez pas le droit de faire cela ici."), 403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, _("Introuvable."), 404)


@api.exception_handler(DjangoValidationError)
def _invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    """A service refused the input: one `{loc, msg, type}` per message, keyed by field."""
    if hasattr(exc, "error_dict"):
        detail = [
            {"loc": ["body"] if field == NON_FIELD_ERRORS else ["body", field],
             "msg": message, "type": "value_error"}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        detail = [{"loc": ["body"], "msg": message, "type": "value_error"}
                  for message in exc.messages]
    return _error(request, detail, 422)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja answers 400 when the body is not JSON; like any other invalid input, that is a 422.
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        return _error(request, [{
            "loc": ["body"], "msg": _("Le corps de la requête n'est pas un JSON valide."),
            "type": "json_invalid",
        }], 422)
    return _error(request, str(exc), exc.status_code)
