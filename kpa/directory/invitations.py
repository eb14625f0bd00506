"""The invitation e-mail: a link to choose a password (Django's password-reset token)."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.http import HttpRequest
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from kpa.directory.models import Kpa, Person


def send_invitation(request: HttpRequest, person: Person, kpa: Kpa) -> None:
    user = person.user
    if user is None or not person.email:
        return
    link = request.build_absolute_uri(reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }))
    send_mail(
        subject=_("Bienvenue au %(kpa)s") % {"kpa": kpa.name},
        message=_(
            "Bonjour %(name)s,\n\nVous êtes invité·e sur la plateforme du %(kpa)s.\n"
            "Choisissez votre mot de passe ici : %(link)s\n\nVotre identifiant : %(username)s\n"
        ) % {"name": person.first_name, "kpa": kpa.name, "link": link,
             "username": user.get_username()},
        from_email=None,
        recipient_list=[person.email],
    )
