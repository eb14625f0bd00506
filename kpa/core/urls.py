from django.urls import path

from kpa.core import views

app_name = "core"

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/lue/", views.notification_read, name="notification_read"),
    path("notifications/tout-lu/", views.notification_read_all, name="notification_read_all"),
]
