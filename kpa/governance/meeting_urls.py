"""Routes of the meetings, under `/gouvernance/reunions/` (namespace "governance")."""

from __future__ import annotations

from django.urls import URLPattern, path

from kpa.governance import meeting_views as views

urlpatterns: list[URLPattern] = [
    path("", views.meeting_index, name="meeting_index"),
    path("kpa/<int:kpa_pk>/", views.meeting_list, name="meeting_list"),
    path("kpa/<int:kpa_pk>/nouvelle/", views.meeting_new, name="meeting_new"),
    path("reseau/<int:network_pk>/", views.meeting_list_network, name="meeting_list_network"),
    path("reseau/<int:network_pk>/nouvelle/", views.meeting_new_network,
         name="meeting_new_network"),
    path("<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("<int:pk>/modifier/", views.meeting_edit, name="meeting_edit"),
    path("<int:pk>/annuler/", views.meeting_cancel, name="meeting_cancel"),
    path("<int:pk>/presences/", views.meeting_attendance, name="meeting_attendance"),
    path("<int:pk>/compte-rendu/", views.meeting_minutes, name="meeting_minutes"),
    path("<int:pk>/vote-a-main-levee/", views.meeting_show_of_hands,
         name="meeting_show_of_hands"),
    path("<int:pk>/reunion.ics", views.meeting_ics, name="meeting_ics"),
    path("agenda/", views.calendar_feed, name="calendar_feed"),
    path("agenda/<str:token>.ics", views.calendar_feed_ics, name="calendar_feed_ics"),
]
