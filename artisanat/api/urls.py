"""The REST API for partner agencies and other ministry tools: /api/v1/ (see docs/api.md)."""

urlpatterns = []
