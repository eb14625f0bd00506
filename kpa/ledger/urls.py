"""The books under /comptabilite/. Each route names one object by its own id (a structure, a
fiscal year or an entry): the outsider probe walks every id of every route, so routes with two
ids would multiply its work; account, journal and report choices go in the query string."""

from django.urls import path

from kpa.ledger import report_views, views

app_name = "ledger"

urlpatterns = [
    path("", views.index, name="index"),
    # a structure's books
    path("structures/<int:structure_id>/", views.books_home, name="books_home"),
    path("structures/<int:structure_id>/plan/", views.accounts, name="accounts"),
    path("structures/<int:structure_id>/journaux/", views.journals, name="journals"),
    path("structures/<int:structure_id>/tiers/", views.third_parties, name="third_parties"),
    path("structures/<int:structure_id>/tresorerie/", views.treasury_accounts,
         name="treasury_accounts"),
    path("structures/<int:structure_id>/exercices/", views.fiscal_years, name="fiscal_years"),
    path("structures/<int:structure_id>/ecritures/nouvelle/", views.entry_create,
         name="entry_create"),
    path("structures/<int:structure_id>/ecritures/equilibre/", views.entry_balance,
         name="entry_balance"),
    path("structures/<int:structure_id>/import-fec/", report_views.fec_import_page,
         name="fec_import"),
    # entries
    path("ecritures/<int:entry_id>/", views.entry_detail, name="entry_detail"),
    path("ecritures/<int:entry_id>/modifier/", views.entry_edit, name="entry_edit"),
    path("ecritures/<int:entry_id>/valider/", views.entry_validate, name="entry_validate"),
    path("ecritures/<int:entry_id>/contre-passer/", views.entry_reverse, name="entry_reverse"),
    path("ecritures/<int:entry_id>/supprimer/", views.entry_delete, name="entry_delete"),
    # a fiscal year
    path("exercices/<int:year_id>/ecritures/", views.entries, name="entries"),
    path("exercices/<int:year_id>/lettrage/", report_views.lettering_page, name="lettering"),
    path("exercices/<int:year_id>/cloture/", report_views.closing_wizard, name="closing"),
    path("exercices/<int:year_id>/affectation/", report_views.allocate_result,
         name="allocate_result"),
    path("exercices/<int:year_id>/journal/", report_views.journal_report, name="journal"),
    path("exercices/<int:year_id>/grand-livre/", report_views.general_ledger,
         name="general_ledger"),
    path("exercices/<int:year_id>/balance/", report_views.trial_balance, name="trial_balance"),
    path("exercices/<int:year_id>/balance-auxiliaire/", report_views.auxiliary,
         name="auxiliary"),
    path("exercices/<int:year_id>/analytique/", report_views.analytic, name="analytic"),
    path("exercices/<int:year_id>/bilan/", report_views.balance_sheet, name="balance_sheet"),
    path("exercices/<int:year_id>/compte-de-resultat/", report_views.income_statement,
         name="income_statement"),
    path("exercices/<int:year_id>/fec/", report_views.fec_export, name="fec_export"),
    path("exercices/<int:year_id>/hledger/", report_views.plaintext_export,
         {"fmt": "hledger"}, name="hledger_export"),
    path("exercices/<int:year_id>/beancount/", report_views.plaintext_export,
         {"fmt": "beancount"}, name="beancount_export"),
]
