from django.urls import path

from kpa.journey import contract_views, insurance_views, views

app_name = "journey"

urlpatterns = [
    path("", views.board, name="board"),
    path("mon-parcours/", views.mine, name="mine"),
    path("inscription/", views.inscription_start, name="inscription_start"),
    path("inscription/<int:kpa_id>/", views.inscription, name="inscription"),
    path("inscription/<int:kpa_id>/merci/", views.inscription_done, name="inscription_done"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/modifier/", views.edit, name="edit"),
    path("<int:pk>/pieces/", views.upload_document, name="upload_document"),
    path("pieces/<int:pk>/", views.document_file, name="document_file"),
    path("pieces/<int:pk>/verifier/", views.check_document, name="check_document"),
    path("<int:pk>/valider/", views.validate, name="validate"),
    path("<int:pk>/etape/", views.add_step, name="add_step"),
    path("<int:pk>/donnees.json", views.export_data, name="export_data"),
    path("<int:pk>/effacer/", views.erase, name="erase"),
    path("reglages/<int:structure_id>/", views.policy_settings, name="settings"),
    path("<int:pk>/contrat/", contract_views.issue, name="issue_contract"),
    path("<int:pk>/activer/", contract_views.activate, name="activate"),
    path("<int:pk>/sortie/", contract_views.exit_journey, name="exit"),
    path("contrats/", contract_views.ending_soon, name="ending_soon"),
    path("contrats/<int:pk>/", contract_views.contract_detail, name="contract_detail"),
    path("contrats/<int:pk>/pdf/", contract_views.contract_pdf, name="contract_pdf"),
    path("contrats/<int:pk>/signer/", contract_views.sign, name="sign"),
    path("contrats/<int:pk>/copie-signee/", contract_views.upload_signed_copy,
         name="upload_signed_copy"),
    path("contrats/<int:pk>/copie-signee/fichier/", contract_views.signed_copy,
         name="signed_copy"),
    path("contrats/<int:pk>/certificat/", contract_views.certificate, name="certificate"),
    path("contrats/<int:pk>/reemettre/", contract_views.reissue, name="reissue"),
    path("contrats/<int:pk>/renouveler/", contract_views.renew, name="renew"),
    path("contrats/<int:pk>/decision/", contract_views.decide, name="decide"),
    path("assurance/", insurance_views.insurance_lists, name="insurance_lists"),
    path("assurance/nouvelle/", insurance_views.insurance_create, name="insurance_create"),
    path("assurance/<int:pk>/", insurance_views.insurance_detail, name="insurance_detail"),
    path("assurance/<int:pk>/envoyee/", insurance_views.insurance_sent, name="insurance_sent"),
    path("assurance/<int:pk>/reponse/", insurance_views.insurance_answer,
         name="insurance_answer"),
]
