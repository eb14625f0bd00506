"""The plumbing every journey page shares: the 404 gate, one service call for a form or for a
button, and the form page that answers 400 after a refused POST."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kpa.core.forms import add_service_errors


def gate(allowed: bool) -> None:
    """A visible object the user may not change: 404 too, so probing learns nothing."""
    if not allowed:
        raise Http404


def form_data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def add_errors(form: BaseForm, error: ValidationError,
               rename: dict[str, str] | None = None) -> None:
    """The service's French errors on the form; `rename` maps a service field to the form's
    (the services speak of the exclusive end, the forms ask for the last day)."""
    if rename and hasattr(error, "error_dict"):
        error = ValidationError({rename.get(field, field): errors
                                 for field, errors in error.error_dict.items()})
    add_service_errors(form, error)


def submit(request: HttpRequest, form: BaseForm, save: Callable[[], Model], success: str,
           *, rename: dict[str, str] | None = None, then: str | None = None
           ) -> HttpResponse | None:
    """On a valid POST, call the service and redirect to `then`, or to what the service
    returns; None re-renders (an unbound form never submits)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        obj = save()
    except ValidationError as error:
        add_errors(form, error, rename)
        return None
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, success)
    return redirect(then or obj.get_absolute_url())  # type: ignore[attr-defined]


def acted(request: HttpRequest, call: Callable[[], object], success: str) -> bool:
    """Run one service for a button on a page; its French refusal becomes an error message."""
    try:
        call()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return False
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, success)
    return True


def form_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A form page; after a refused POST it answers 400 so that tools see the refusal."""
    return render(request, template, context, status=400 if request.method == "POST" else 200)
