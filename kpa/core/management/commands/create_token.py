"""`kpa create_token USERNAME [--label L]`: create an API token and print it, once."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from kpa.core.services import create_api_token


class Command(BaseCommand):
    help = (
        "Crée un jeton d'API pour un compte et l'affiche une seule fois "
        "(à passer dans l'en-tête « Authorization: Bearer <jeton> »)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username", help="Nom d'utilisateur du compte.")
        parser.add_argument("--label", default="", help="Libellé du jeton (à quoi il sert).")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        user_model = get_user_model()
        user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(
                f"Aucun compte « {username} ». Vérifiez le nom d'utilisateur "
                "(la liste des comptes est dans l'administration, /admin/)."
            )
        if not user.is_active:
            raise CommandError(
                f"Le compte « {username} » est désactivé : un jeton ne servirait à rien. "
                "Réactivez d'abord le compte."
            )
        token, secret = create_api_token(actor=None, user=user, label=options["label"])
        self.stdout.write(secret)
        self.stderr.write(
            f"Jeton créé pour « {username} » (commence par {token.prefix}…). "
            "Conservez-le maintenant : il ne sera plus jamais affiché."
        )
