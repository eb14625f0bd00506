from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path

from config.api import api
from kpa.core import views as core_views

# Account pages are listed one by one (not `django.contrib.auth.urls`) so that `login` has one
# URL and password reset uses our form.
account_patterns = [
    path("connexion/", core_views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("password_reset/", core_views.PasswordResetView.as_view(), name="password_reset"),
    path("password_reset/done/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    # Core's pages (notifications/…) clash with none of the directory's; core first, lowest.
    path("", include("kpa.core.urls")),
    path("", include("kpa.directory.urls")),
    path("comptabilite/", include("kpa.ledger.urls")),
    path("parcours/", include("kpa.journey.urls")),
    path("ventes/", include("kpa.sales.urls")),
    path("depenses/", include("kpa.purchases.urls")),
    path("tresorerie/", include("kpa.treasury.urls")),
    path("gouvernance/", include("kpa.governance.urls")),
    path("compte/", include(account_patterns)),
    path("langue/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
