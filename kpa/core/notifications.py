"""Notifications: a message to some users, shown in their inbox and e-mailed to those with an
address. Any app calls `notify` from its services, inside the transaction of the write it
announces.

`mark_read` and `mark_all_read` are writes by a user, yet they record no audit event on purpose:
they change the user's own inbox state, not tenant data, and nobody else sees or relies on it.
(That also keeps the outsider probe honest: a GET or an empty POST by anyone writes no event.)
`notify` records none either: the write it announces is audited by the service that made it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import permissions
from kpa.core.auth import AnyUser
from kpa.core.links import is_safe_relative_url
from kpa.core.models import Notification

__all__ = ["absolute_url", "is_safe_relative_url", "mark_all_read", "mark_read", "notify"]

logger = logging.getLogger(__name__)


def absolute_url(url: str) -> str:
    """`url` on the public site (`settings.KPA_SITE_URL`), or as given when that is not set."""
    site = getattr(settings, "KPA_SITE_URL", "")
    return f"{site.rstrip('/')}{url}" if site and url.startswith("/") else url


@dataclass(frozen=True)
class _Mail:
    notification: Notification
    address: str
    subject: str
    text: str


def _mail_for(notification: Notification, address: str) -> _Mail:
    """Written now, in the caller's language; sent once the transaction has committed."""
    parts = [notification.body.strip()]
    if notification.url:
        parts.append(_("Pour agir : %(link)s") % {"link": absolute_url(notification.url)})
    parts.append("-- \n" + _("Toutes vos notifications : %(link)s") % {
        "link": absolute_url(reverse("core:notification_list")),
    })
    # A header never holds a line break (send_mail refuses one): fold it onto one line.
    subject = " ".join(f"[KPA-Cité] {notification.subject}".split())
    return _Mail(notification, address, subject, "\n\n".join(parts) + "\n")


def _send(mails: list[_Mail]) -> None:
    """Send each e-mail on one connection; one that fails leaves `emailed` False, the rest go."""
    sent: list[Notification] = []
    with get_connection() as connection:
        for mail in mails:
            try:
                send_mail(subject=mail.subject, message=mail.text, from_email=None,
                          recipient_list=[mail.address], connection=connection)
            except OSError:  # smtplib.SMTPException is an OSError
                logger.exception("Notification %s: e-mail to user %s failed",
                                 mail.notification.pk, mail.notification.recipient_id)
            else:
                sent.append(mail.notification)
    if sent:
        Notification.objects.filter(pk__in=[n.pk for n in sent]).update(emailed=True)
        for notification in sent:
            notification.emailed = True


@transaction.atomic
def notify(
    *,
    recipients: Iterable[User],
    subject: str,
    body: str,
    url: str = "",
    topic: str,
) -> list[Notification]:
    """Tell each active user among `recipients` (each once) about something.

    One inbox row per user; one e-mail per user with an address, sent after commit. `url` is a
    site-relative link to act on it; `topic` a dotted name (`journey.contract.sent`) to filter on.
    """
    if topic.count(".") < 2:
        raise ValueError(f"Notification topic must be dotted app.thing.verb, got {topic!r}")
    if url and not is_safe_relative_url(url):
        raise ValueError(f"Notification url must be a path on this site, got {url!r}")
    users: dict[int, User] = {}
    for user in recipients:
        if user.is_active and user.pk not in users:
            users[user.pk] = user
    notifications = [
        Notification(recipient=user, subject=subject, body=body, url=url, topic=topic)
        for user in users.values()
    ]
    for notification in notifications:
        notification.full_clean(exclude=["recipient"])  # lengths: SQLite would not refuse them
    created = Notification.objects.bulk_create(notifications)
    mails = [_mail_for(n, n.recipient.email) for n in created if n.recipient.email]
    if mails:
        # After commit, never before: a write that rolls back must not have announced itself
        # by e-mail (an e-mail cannot be taken back), and a slow mail server must not hold the
        # transaction and its locks open. `robust`: a failing send is logged and does not turn
        # a committed write into an error page.
        transaction.on_commit(lambda: _send(mails), robust=True)
    return created


def _require_recipient(actor: AnyUser, notification: Notification) -> None:
    if not permissions.can_mark_notification_read(actor, notification):
        raise PermissionDenied


@transaction.atomic
def mark_read(*, actor: AnyUser, notification: Notification) -> Notification:
    """The recipient has read `notification`. Marking it twice keeps the first time."""
    _require_recipient(actor, notification)
    now = timezone.now()
    updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=now
    )
    if updated:
        notification.read_at = now
    elif notification.read_at is None:
        notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def mark_all_read(*, actor: AnyUser) -> int:
    """Mark every unread notification of `actor` read; return how many were unread."""
    if not permissions.can_read_notifications(actor):
        raise PermissionDenied
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
