from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TreasuryConfig(AppConfig):
    name = "kpa.treasury"
    verbose_name = _("Trésorerie")
    default_auto_field = "django.db.models.BigAutoField"
