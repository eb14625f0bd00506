"""Notifications: `notify` (inbox rows, e-mails after commit), marking read, the inbox page and
the nav badge."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import Client
from django.urls import reverse

from conftest import Cast
from kpa.core import notifications
from kpa.core.models import AuditEvent, Notification
from kpa.core.notifications import mark_all_read, mark_read, notify
from kpa.directory.tests.factories import UserFactory

TOPIC = "journey.contract.sent"
LIST_URL = "/notifications/"


def user_of(cast: Cast, persona: str) -> User:
    user: User | None = getattr(cast, persona).user
    assert user is not None
    return user


def tell(*users: User, url: str = "/kpa/", subject: str = "Contrat à signer",
         body: str = "Votre CAPE vous attend.") -> list[Notification]:
    return notify(recipients=users, subject=subject, body=body, url=url, topic=TOPIC)


def text_of(response: Any) -> str:
    """The page as a reader sees it: tags dropped, entities turned back into characters."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.fixture
def site(settings: Any) -> str:
    settings.KPA_SITE_URL = "https://kpa.example.org/"
    return "https://kpa.example.org"


# --- notify ----------------------------------------------------------------------------------

def test_notify_creates_one_row_per_recipient_and_emails_each_after_commit(
    db: None, site: str, django_capture_on_commit_callbacks: Any
) -> None:
    camille = UserFactory.create(username="camille", email="camille@example.org")
    dominique = UserFactory.create(username="dominique", email="dominique@example.org")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = tell(camille, dominique)
        assert mail.outbox == [], "nothing leaves before the transaction commits"

    assert len(callbacks) == 1
    rows = Notification.objects.order_by("recipient__username")
    assert [n.recipient for n in rows] == [camille, dominique]
    assert all(n.topic == TOPIC and n.url == "/kpa/" and n.read_at is None for n in rows)
    assert all(n.emailed for n in rows)
    assert all(n.emailed for n in created)
    assert sorted(m.to[0] for m in mail.outbox) == ["camille@example.org",
                                                   "dominique@example.org"]
    message = mail.outbox[0]
    assert len(message.to) == 1, "one e-mail per recipient: nobody sees the others' addresses"
    assert "Contrat à signer" in message.subject
    assert "Votre CAPE vous attend." in message.body
    assert f"{site}/kpa/" in message.body
    assert f"{site}/notifications/" in message.body


def test_a_rolled_back_write_leaves_no_notification_and_sends_no_email(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    camille = UserFactory.create(email="camille@example.org")

    def write_that_fails() -> None:
        with transaction.atomic():
            tell(camille)
            raise RuntimeError("the write it announces failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(
        RuntimeError
    ):
        write_that_fails()

    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_inactive_users_are_skipped_and_duplicates_collapsed(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    camille = UserFactory.create(email="camille@example.org")
    gone = UserFactory.create(email="gone@example.org", is_active=False)
    same_camille = User.objects.get(pk=camille.pk)

    with django_capture_on_commit_callbacks(execute=True):
        created = tell(camille, gone, same_camille, camille)

    assert [n.recipient_id for n in created] == [camille.pk]
    assert Notification.objects.count() == 1
    assert [m.to for m in mail.outbox] == [["camille@example.org"]]


def test_a_user_without_an_email_address_gets_the_notification_in_the_app_only(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    silent = UserFactory.create(email="")
    camille = UserFactory.create(email="camille@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        tell(silent, camille)

    assert Notification.objects.get(recipient=silent).emailed is False
    assert Notification.objects.get(recipient=camille).emailed is True
    assert [m.to for m in mail.outbox] == [["camille@example.org"]]


def test_without_a_site_url_the_email_carries_the_relative_link(
    db: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    del settings.KPA_SITE_URL
    camille = UserFactory.create(email="camille@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        tell(camille, url="/kpa/3/")

    assert "Pour agir : /kpa/3/" in mail.outbox[0].body


def test_a_failing_email_is_logged_and_leaves_emailed_false_while_the_others_go(
    db: None, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    camille = UserFactory.create(email="camille@example.org")
    broken = UserFactory.create(email="broken@example.org")
    real_send_mail = notifications.send_mail

    def send_mail(**kwargs: Any) -> int:
        if kwargs["recipient_list"] == ["broken@example.org"]:
            raise OSError("mail server down")
        return real_send_mail(**kwargs)

    monkeypatch.setattr(notifications, "send_mail", send_mail)
    with django_capture_on_commit_callbacks(execute=True):
        tell(broken, camille)

    assert Notification.objects.get(recipient=broken).emailed is False
    assert Notification.objects.get(recipient=camille).emailed is True
    assert [m.to for m in mail.outbox] == [["camille@example.org"]]


def test_a_subject_with_line_breaks_is_folded_for_the_email_header(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    camille = UserFactory.create(email="camille@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        tell(camille, subject="Contrat\nà signer")
    assert mail.outbox[0].subject == "[KPA-Cité] Contrat à signer"


@pytest.mark.parametrize("url", ["//evil.example", "https://evil.example/", "javascript:alert(1)",
                                 "/\\evil.example", "kpa/3/"])
def test_notify_refuses_a_link_that_is_not_a_path_on_this_site(db: None, url: str) -> None:
    camille = UserFactory.create()
    with pytest.raises(ValueError, match="path on this site"):
        tell(camille, url=url)
    assert not Notification.objects.exists()


def test_notify_refuses_an_undotted_topic(db: None) -> None:
    with pytest.raises(ValueError, match="dotted"):
        notify(recipients=[UserFactory.create()], subject="x", body="y", topic="contract")


def test_notify_writes_no_audit_event(db: None) -> None:
    tell(UserFactory.create())
    assert not AuditEvent.objects.exists()


# --- marking read ----------------------------------------------------------------------------

def test_the_recipient_marks_a_notification_read_once_and_nothing_is_audited(db: None) -> None:
    camille = UserFactory.create()
    [notification] = tell(camille)

    mark_read(actor=camille, notification=notification)
    first = notification.read_at
    mark_read(actor=camille, notification=Notification.objects.get(pk=notification.pk))

    notification.refresh_from_db()
    assert first is not None
    assert notification.read_at == first
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("persona", ["referent", "admin", "outsider"])
def test_nobody_but_the_recipient_marks_a_notification_read(cast: Cast, persona: str) -> None:
    [notification] = tell(user_of(cast, "cooperant"))

    with pytest.raises(PermissionDenied):
        mark_read(actor=user_of(cast, persona), notification=notification)

    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_all_read_touches_only_the_actors_notifications(db: None) -> None:
    camille, dominique = UserFactory.create(), UserFactory.create()
    tell(camille)
    tell(camille)
    tell(dominique)

    assert mark_all_read(actor=camille) == 2
    assert mark_all_read(actor=camille) == 0
    assert not Notification.objects.filter(recipient=camille, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=dominique, read_at__isnull=True).count() == 1


# --- the inbox page --------------------------------------------------------------------------

def test_the_inbox_asks_to_log_in_first(db: None, client: Client) -> None:
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_inbox_shows_only_ones_own_notifications_newest_first_unread_highlighted(
    cast: Cast, client: Client
) -> None:
    cooperant = user_of(cast, "cooperant")
    [old] = tell(cooperant, subject="Ancienne nouvelle")
    mark_read(actor=cooperant, notification=old)
    tell(cooperant, subject="Dernière nouvelle")
    tell(user_of(cast, "referent"), subject="Pour la référente seulement")
    client.force_login(cooperant)

    response = client.get(reverse("core:notification_list"))

    assert response.status_code == 200
    page = text_of(response)
    assert "Pour la référente seulement" not in page
    assert page.index("Dernière nouvelle") < page.index("Ancienne nouvelle")
    assert "Non lue Dernière nouvelle" in page
    assert "Non lue Ancienne nouvelle" not in page
    assert response.content.count(b'class="notification unread"') == 1
    assert response.content.count(b"<time datetime=") == 2


def test_the_inbox_pages_by_fifty(cast: Cast, client: Client) -> None:
    cooperant = user_of(cast, "cooperant")
    for n in range(51):
        tell(cooperant, subject=f"Nouvelle {n}")
    client.force_login(cooperant)

    first = client.get(LIST_URL)
    second = client.get(LIST_URL, {"page": 2})

    assert first.content.count(b'<li class="notification') == 50
    assert second.content.count(b'<li class="notification') == 1
    assert "Nouvelle 0" in text_of(second)
    assert "Page 1 sur 2" in text_of(first)


def test_the_inbox_keeps_its_query_count_as_notifications_pile_up(
    cast: Cast, client: Client,
    django_assert_max_num_queries: Any, django_assert_num_queries: Any,
) -> None:
    cooperant = user_of(cast, "cooperant")
    tell(cooperant)
    client.force_login(cooperant)
    client.get(LIST_URL)  # warm up: the first request may settle the session

    with django_assert_max_num_queries(10) as small:
        response = client.get(LIST_URL)
    assert response.status_code == 200
    for n in range(20):
        tell(cooperant, subject=f"Nouvelle {n}")

    with django_assert_num_queries(len(small)):
        response = client.get(LIST_URL)
    assert response.content.count(b'<li class="notification') == 21


def test_marking_read_from_the_inbox_goes_where_the_notification_invites_to_act(
    cast: Cast, client: Client
) -> None:
    cooperant = user_of(cast, "cooperant")
    [notification] = tell(cooperant, url="/kpa/")
    client.force_login(cooperant)

    response = client.post(reverse("core:notification_read", args=[notification.pk]))

    assert response.status_code == 302
    assert response["Location"] == "/kpa/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_marking_read_a_notification_without_a_link_goes_back_to_the_inbox(
    cast: Cast, client: Client
) -> None:
    cooperant = user_of(cast, "cooperant")
    [notification] = tell(cooperant, url="")
    client.force_login(cooperant)

    response = client.post(reverse("core:notification_read", args=[notification.pk]))

    assert response["Location"] == LIST_URL


@pytest.mark.parametrize("url", ["//evil.example", "https://evil.example", "/\\evil.example"])
def test_an_unsafe_link_is_neither_followed_nor_offered(
    cast: Cast, client: Client, url: str
) -> None:
    cooperant = user_of(cast, "cooperant")
    # notify refuses such links; a row written by other means must still not send anyone away.
    notification = Notification.objects.create(recipient=cooperant, subject="Piège", body="…",
                                               url=url, topic=TOPIC)
    client.force_login(cooperant)

    assert b"evil.example" not in client.get(LIST_URL).content
    response = client.post(reverse("core:notification_read", args=[notification.pk]))

    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    assert b"evil.example" not in client.get(LIST_URL).content


def test_marking_another_users_notification_answers_404_and_changes_nothing(
    cast: Cast, client: Client
) -> None:
    [notification] = tell(user_of(cast, "cooperant"))
    client.force_login(user_of(cast, "outsider"))

    response = client.post(reverse("core:notification_read", args=[notification.pk]))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_read_takes_a_post_only(cast: Cast, client: Client) -> None:
    cooperant = user_of(cast, "cooperant")
    [notification] = tell(cooperant)
    client.force_login(cooperant)

    response = client.get(reverse("core:notification_read", args=[notification.pk]))

    assert response.status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_all_read_from_the_inbox_leaves_others_unread(
    cast: Cast, client: Client
) -> None:
    cooperant, referent = user_of(cast, "cooperant"), user_of(cast, "referent")
    tell(cooperant)
    tell(cooperant)
    tell(referent)
    client.force_login(cooperant)

    response = client.post(reverse("core:notification_read_all"), follow=True)

    assert response.redirect_chain == [(LIST_URL, 302)]
    assert "Toutes vos notifications sont marquées comme lues." in text_of(response)
    assert not cooperant.notifications.filter(read_at__isnull=True).exists()
    assert referent.notifications.filter(read_at__isnull=True).count() == 1
    assert not AuditEvent.objects.filter(action__startswith="core.notification").exists()


# --- the nav badge ---------------------------------------------------------------------------

def test_the_nav_shows_the_unread_count_to_eyes_and_screen_readers(
    cast: Cast, client: Client
) -> None:
    cooperant = user_of(cast, "cooperant")
    tell(cooperant)
    tell(cooperant)
    [read] = tell(cooperant)
    mark_read(actor=cooperant, notification=read)
    tell(user_of(cast, "referent"))
    client.force_login(cooperant)

    response = client.get(LIST_URL)

    assert b'<span class="badge" aria-hidden="true">2</span>' in response.content
    assert "Notifications 2 (2 non lues)" in text_of(response)


def test_the_nav_says_one_unread_in_the_singular(cast: Cast, client: Client) -> None:
    cooperant = user_of(cast, "cooperant")
    tell(cooperant)
    client.force_login(cooperant)

    assert "(1 non lue)" in text_of(client.get(LIST_URL))


def test_the_nav_shows_no_badge_when_everything_is_read(cast: Cast, client: Client) -> None:
    client.force_login(user_of(cast, "cooperant"))

    response = client.get(LIST_URL)

    assert b'class="badge"' not in response.content
    assert "non lue" not in text_of(response)
    assert "Notifications" in text_of(response)
