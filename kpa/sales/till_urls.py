"""The till's routes, included by the sales urls under "caisse/" in the "sales" namespace."""

from __future__ import annotations

from django.urls import URLPattern, path

from kpa.sales import till_views as views

urlpatterns: list[URLPattern] = [
    path("activite/<int:activity_pk>/", views.till_list, name="till_list"),
    path("activite/<int:activity_pk>/ouvrir/", views.till_open, name="till_open"),
    path("<int:pk>/", views.till_detail, name="till_detail"),
    path("<int:pk>/vendre/", views.till_sell, name="till_sell"),
    path("<int:pk>/tickets/<int:number>/", views.till_ticket, name="till_ticket"),
    path("<int:pk>/cloturer/", views.till_close, name="till_close"),
    path("<int:pk>/clotures/", views.till_closings, name="till_closings"),
    path("<int:pk>/clotures/<int:number>/", views.till_closing, name="till_closing"),
    path("<int:pk>/integrite/", views.till_verify, name="till_verify"),
]
