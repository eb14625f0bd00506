from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasesConfig(AppConfig):
    name = "kpa.purchases"
    verbose_name = _("Achats et dépenses")
    default_auto_field = "django.db.models.BigAutoField"
