"""Contract resources, registered on the API's router (config.api_urls)."""

from contracts.api import views

ROUTES = [
    ("contracts", views.ContractViewSet, "contract"),
    ("parties", views.PartyViewSet, "party"),
    ("commitments", views.CommitmentViewSet, "commitment"),
    ("disbursements", views.DisbursementViewSet, "disbursement"),
    ("milestones", views.MilestoneViewSet, "milestone"),
    ("amendments", views.AmendmentViewSet, "amendment"),
]
