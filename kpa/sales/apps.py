from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "kpa.sales"
    verbose_name = _("Ventes")
    default_auto_field = "django.db.models.BigAutoField"
