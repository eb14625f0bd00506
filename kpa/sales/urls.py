"""The selling pages: "Mes devis et factures", the documents, the gestionnaire's validation
queue and the customer's public acceptance page; the till ("caisse/") and the customer and
catalogue pages come from their own route lists, in the same "sales" namespace."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from kpa.sales import customer_urls, document_views, invoice_views, quote_views, till_urls, views

app_name = "sales"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("a-valider/", views.validation_queue, name="validation_queue"),
    path("factures/nouvelle/", document_views.invoice_new, name="invoice_new"),
    path("factures/<int:pk>/", invoice_views.invoice_detail, name="invoice_detail"),
    path("factures/<int:pk>/modifier/", document_views.invoice_edit, name="invoice_edit"),
    path("factures/<int:pk>/soumettre/", invoice_views.invoice_submit, name="invoice_submit"),
    path("factures/<int:pk>/emettre/", invoice_views.invoice_issue, name="invoice_issue"),
    path("factures/<int:pk>/supprimer/", invoice_views.invoice_delete, name="invoice_delete"),
    path("factures/<int:pk>/pdf/", invoice_views.invoice_pdf, name="invoice_pdf"),
    path("factures/<int:pk>/paiement/", invoice_views.invoice_payment, name="invoice_payment"),
    path("factures/<int:pk>/avoir/", invoice_views.invoice_credit_note, name="invoice_credit_note"),
    path("devis/nouveau/", document_views.quote_new, name="quote_new"),
    path("devis/<int:pk>/", quote_views.quote_detail, name="quote_detail"),
    path("devis/<int:pk>/modifier/", document_views.quote_edit, name="quote_edit"),
    path("devis/<int:pk>/supprimer/", quote_views.quote_delete, name="quote_delete"),
    path("devis/<int:pk>/envoyer/", quote_views.quote_send, name="quote_send"),
    path("devis/<int:pk>/signe/", quote_views.quote_signed, name="quote_signed"),
    path("devis/<int:pk>/copie-signee/", quote_views.quote_signed_copy, name="quote_signed_copy"),
    path("devis/<int:pk>/refuser/", quote_views.quote_refuse, name="quote_refuse"),
    path("devis/<int:pk>/facture/", quote_views.quote_invoice, name="quote_invoice"),
    path("devis/<int:pk>/acompte/", quote_views.quote_deposit, name="quote_deposit"),
    path("devis/<int:pk>/pdf/", quote_views.quote_pdf, name="quote_pdf"),
    # Public: the customer opens the private link of the e-mail, without an account.
    path("devis/accepter/<str:token>/", views.quote_accept, name="quote_accept"),
    path("caisse/", include(till_urls.urlpatterns)),
    path("", include(customer_urls.urlpatterns)),
]
