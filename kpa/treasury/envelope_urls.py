"""Routes of the contributory budget and the exit settlement, under `/tresorerie/budgets/`
(namespace "treasury")."""

from __future__ import annotations

from django.urls import URLPattern, path

from kpa.treasury import envelope_views as views

urlpatterns: list[URLPattern] = [
    path("", views.envelope_index, name="envelope_index"),
    path("tresorerie/<int:account_pk>/", views.account_envelopes, name="envelope_account"),
    path("tresorerie/<int:account_pk>/ouvrir/", views.envelope_open, name="envelope_open"),
    path("<int:pk>/", views.envelope_detail, name="envelope_detail"),
    path("<int:pk>/taches/", views.envelope_task_add, name="envelope_task_add"),
    path("<int:pk>/retribution/", views.envelope_reward_new, name="envelope_reward_new"),
    path("<int:pk>/cloturer/", views.envelope_close, name="envelope_close"),
    path("retributions/<int:pk>/modifier/", views.envelope_reward_edit,
         name="envelope_reward_edit"),
    path("retributions/<int:pk>/retirer/", views.envelope_reward_withdraw,
         name="envelope_reward_withdraw"),
    path("sorties/", views.exit_list, name="exit_list"),
    path("sorties/<int:account_pk>/", views.exit_settle, name="exit_settle"),
]
