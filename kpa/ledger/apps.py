from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "kpa.ledger"
    verbose_name = _("Comptabilité")
    default_auto_field = "django.db.models.BigAutoField"
