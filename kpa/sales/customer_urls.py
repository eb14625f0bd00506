"""Customers, catalogues and selling settings; included by `kpa.sales.urls` (app "sales")."""

from django.urls import URLPattern, path

from kpa.sales import customer_views as views

urlpatterns: list[URLPattern] = [
    path("clients/", views.customer_list, name="customer_list"),
    path("clients/nouveau/", views.customer_new, name="customer_new"),
    path("clients/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("clients/<int:pk>/modifier/", views.customer_edit, name="customer_edit"),
    path("clients/<int:pk>/archiver/", views.customer_archive, name="customer_archive"),
    path("clients/<int:pk>/contacts/nouveau/", views.customer_contact_new,
         name="customer_contact_new"),
    path("catalogue/", views.catalog_index, name="catalog_index"),
    path("catalogue/<int:pk>/", views.catalog, name="catalog"),
    path("catalogue/<int:pk>/nouveau/", views.catalog_item_new, name="catalog_item_new"),
    path("catalogue/articles/<int:pk>/modifier/", views.catalog_item_edit,
         name="catalog_item_edit"),
    path("catalogue/articles/<int:pk>/retirer/", views.catalog_item_archive,
         name="catalog_item_archive"),
    path("reglages/<int:pk>/", views.sales_settings, name="settings"),
    path("reglages/<int:pk>/exemple/", views.settings_example, name="settings_example"),
    path("reglages/<int:pk>/auto-validation/", views.selling_rights, name="selling_rights"),
    path("reglages/droits/<int:pk>/retirer/", views.selling_right_revoke,
         name="selling_right_revoke"),
]
