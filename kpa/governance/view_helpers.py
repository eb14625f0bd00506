"""What the governance pages share: a gate refused, a form handed to a service, a button that
calls one. A refused gate stays a 403: the page itself was in reach, only the act is not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kpa.core.forms import add_service_errors

T = TypeVar("T")


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def form_data(request: HttpRequest) -> Any:
    """What a form is bound to: the POST, or nothing on a GET."""
    return request.POST if request.method == "POST" else None


def submit(request: HttpRequest, form: BaseForm, save: Callable[[], T], success: str,
           then: Callable[[T], str]) -> HttpResponse | None:
    """On a valid POST, call the service and redirect to `then(result)`; None re-renders the
    form with the service's French refusal on it."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        saved = save()
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    messages.success(request, success)
    return redirect(then(saved))


def acted(request: HttpRequest, call: Callable[[], T], success: str) -> T | None:
    """One service behind a button: its French refusal becomes an error message."""
    try:
        result = call()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return None
    messages.success(request, success)
    return result


def form_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A form page: 400 when a POST comes back to it refused."""
    return render(request, template, context, status=400 if request.method == "POST" else 200)
