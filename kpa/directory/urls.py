from django.urls import path

app_name = "directory"

urlpatterns: list = []
