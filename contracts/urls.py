from django.urls import path

from contracts import views

app_name = "contracts"
urlpatterns = [
    path("", views.ContractListView.as_view(), name="contract_list"),
    path("<int:pk>/", views.ContractDetailView.as_view(), name="contract_detail"),
    path("<int:pk>/historique/", views.ContractHistoryView.as_view(), name="contract_history"),
    path("<int:pk>/document/", views.ContractDocumentView.as_view(), name="contract_document"),
    path("jalons/", views.MilestoneListView.as_view(), name="milestone_list"),
]
