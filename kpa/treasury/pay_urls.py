"""The pay pages, under "paie/" in the "treasury" namespace."""

from __future__ import annotations

from django.urls import URLPattern, path

from kpa.treasury import pay_views as views

urlpatterns: list[URLPattern] = [
    path("demander/", views.pay_request_new, name="pay_request_new"),
    path("mes-demandes/", views.pay_request_mine, name="pay_request_mine"),
    path("<int:pk>/annuler/", views.pay_request_cancel, name="pay_request_cancel"),
    path("a-transmettre/", views.pay_review_queue, name="pay_review_queue"),
    path("<int:pk>/transmettre/", views.pay_request_transmit, name="pay_request_transmit"),
    path("<int:pk>/refuser/", views.pay_request_refuse, name="pay_request_refuse"),
    path("gestion/", views.payroll_index, name="payroll_index"),
    path("gestion/<int:structure_pk>/", views.payroll_month, name="payroll_month"),
    path("gestion/<int:structure_pk>/reglages/", views.payroll_settings,
         name="payroll_settings"),
    path("gestion/<int:structure_pk>/date-limite/", views.payroll_cutoff,
         name="payroll_cutoff"),
    path("gestion/<int:structure_pk>/export/", views.payroll_export, name="payroll_export"),
    path("gestion/<int:structure_pk>/import/", views.payroll_import, name="payroll_import"),
]
