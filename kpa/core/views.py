"""Thin views: gate → one service or selector → render. Out of reach is 404, never 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kpa.core import notifications, selectors
from kpa.core.forms import LoginForm, PasswordResetForm
from kpa.core.tenancy import get_in_scope

NOTIFICATIONS_PER_PAGE = 50


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_of(request.user), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "core/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one read, then go where it invites the user to act — only if that is on this site."""
    notification = get_in_scope(selectors.notifications_of(request.user), pk=pk)
    try:
        notifications.mark_read(actor=request.user, notification=notification)
    except PermissionDenied:
        raise Http404 from None
    if notification.has_safe_url:
        return redirect(notification.url)
    return redirect("core:notification_list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    try:
        count = notifications.mark_all_read(actor=request.user)
    except PermissionDenied:
        raise Http404 from None
    if count:
        messages.success(request, _("Toutes vos notifications sont marquées comme lues."))
    return redirect("core:notification_list")
