"""Routes of proposals and votes, at the root of `/gouvernance/` (namespace "governance")."""

from __future__ import annotations

from django.urls import URLPattern, path

from kpa.governance import proposal_views as views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("methodes/", views.methods, name="methods"),
    path("propositions/", views.proposal_list, name="proposal_list"),
    path("propositions/nouvelle/", views.proposal_new, name="proposal_new"),
    path("propositions/<int:pk>/", views.proposal_detail, name="proposal_detail"),
    path("propositions/<int:pk>/resultats/", views.proposal_results, name="proposal_results"),
    path("propositions/<int:pk>/voter/", views.proposal_vote, name="proposal_vote"),
    path("propositions/<int:pk>/objecter/", views.proposal_object, name="proposal_object"),
    path("propositions/<int:pk>/ouvrir/", views.proposal_open, name="proposal_open"),
    path("propositions/<int:pk>/accorder/", views.proposal_approve, name="proposal_approve"),
    path("propositions/<int:pk>/tour-suivant/", views.proposal_advance,
         name="proposal_advance"),
    path("propositions/<int:pk>/clore/", views.proposal_close, name="proposal_close"),
    path("propositions/<int:pk>/annuler/", views.proposal_cancel, name="proposal_cancel"),
    path("propositions/<int:pk>/modifier/", views.proposal_amend, name="proposal_amend"),
    path("propositions/<int:pk>/commenter/", views.proposal_comment, name="proposal_comment"),
    path("propositions/<int:pk>/pieces/", views.attachment_add, name="attachment_add"),
    path("pieces/<int:pk>/", views.attachment_file, name="attachment_file"),
    path("propositions/<int:pk>/procuration/", views.proxy_give, name="proxy_give"),
    path("propositions/<int:pk>/vote-interne/", views.proposal_internal,
         name="proposal_internal"),
    path("procurations/<int:pk>/reprendre/", views.proxy_revoke, name="proxy_revoke"),
    path("objections/<int:pk>/retirer/", views.objection_withdraw, name="objection_withdraw"),
    path("objections/<int:pk>/integrer/", views.objection_integrate,
         name="objection_integrate"),
]
