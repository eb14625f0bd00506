from django.urls import path

from kpa.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.home, name="home"),
    path("kpa/", views.kpa_list, name="kpa_list"),
    path("kpa/nouveau/", views.kpa_create, name="kpa_create"),
    path("kpa/<int:pk>/", views.kpa_detail, name="kpa_detail"),
    path("kpa/<int:pk>/modifier/", views.kpa_edit, name="kpa_edit"),
    path("kpa/<int:kpa_pk>/inviter/", views.person_invite, name="person_invite"),
    path("kpa/<int:kpa_pk>/lieux/nouveau/", views.place_create, name="place_create"),
    path("lieux/<int:pk>/modifier/", views.place_edit, name="place_edit"),
    path("structures/", views.structure_list, name="structure_list"),
    path("structures/nouvelle/", views.structure_create, name="structure_create"),
    path("structures/<int:pk>/", views.structure_detail, name="structure_detail"),
    path("structures/<int:pk>/modifier/", views.structure_edit, name="structure_edit"),
    path("reseau/<int:pk>/modifier/", views.network_edit, name="network_edit"),
    path("personnes/<int:pk>/", views.person_detail, name="person_detail"),
    path("personnes/<int:pk>/modifier/", views.person_edit, name="person_edit"),
    path("personnes/<int:person_pk>/roles/nouveau/", views.role_create, name="role_create"),
    path("roles/<int:pk>/terminer/", views.role_end, name="role_end"),
    path("kpa/<int:kpa_pk>/activites/nouvelle/", views.activity_create, name="activity_create"),
    path("activites/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activites/<int:pk>/membres/ajouter/", views.activity_member_add,
         name="activity_member_add"),
    path("activites/<int:pk>/terminer/", views.activity_end, name="activity_end"),
    path("activites/participations/<int:pk>/terminer/", views.activity_member_end,
         name="activity_member_end"),
]
