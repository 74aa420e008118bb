from django.urls import path

from contracts import editing, views

app_name = "contracts"
urlpatterns = [
    path("", views.ContractListView.as_view(), name="contract_list"),
    path("nouveau/", editing.ContractEditView.as_view(), name="contract_create"),
    path("<int:pk>/", views.ContractDetailView.as_view(), name="contract_detail"),
    path("<int:pk>/modifier/", editing.ContractEditView.as_view(), name="contract_update"),
    path("<int:pk>/historique/", views.ContractHistoryView.as_view(), name="contract_history"),
    path("<int:pk>/document/", views.ContractDocumentView.as_view(), name="contract_document"),
    path("<int:pk>/engagements/", editing.CommitmentGridView.as_view(), name="commitment_grid"),
    path("<int:pk>/parties/nouvelle/", editing.PartyEditView.as_view(), name="party_create"),
    path("parties/<int:party>/modifier/", editing.PartyEditView.as_view(), name="party_update"),
    path("parties/<int:pk>/supprimer/", editing.PartyDeleteView.as_view(), name="party_delete"),
    path("<int:pk>/decaissements/nouveau/", editing.DisbursementEditView.as_view(), name="disbursement_create"),
    path(
        "decaissements/<int:disbursement>/modifier/",
        editing.DisbursementEditView.as_view(),
        name="disbursement_update",
    ),
    path("decaissements/<int:pk>/supprimer/", editing.DisbursementDeleteView.as_view(), name="disbursement_delete"),
    path("<int:pk>/jalons/nouveau/", editing.MilestoneEditView.as_view(), name="milestone_create"),
    path("jalons/<int:milestone>/modifier/", editing.MilestoneEditView.as_view(), name="milestone_update"),
    path("jalons/<int:pk>/supprimer/", editing.MilestoneDeleteView.as_view(), name="milestone_delete"),
    path("<int:pk>/avenants/nouveau/", editing.AmendmentCreateView.as_view(), name="amendment_create"),
    path("avenants/<int:amendment>/modifier/", editing.AmendmentEditView.as_view(), name="amendment_update"),
    path("avenants/<int:pk>/supprimer/", editing.AmendmentDeleteView.as_view(), name="amendment_delete"),
    path("jalons/", views.MilestoneListView.as_view(), name="milestone_list"),
]
