"""The organisation pages, the phase pages and the reporting calendar (the home page is in config/urls.py)."""

from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("organisations/", views.OrganisationListView.as_view(), name="organisation_list"),
    path("organisations/<int:pk>/", views.OrganisationDetailView.as_view(), name="organisation_detail"),
    path("notifications/", views.NotificationsView.as_view(), name="notifications"),
    path("rappels/", views.ReminderHistoryView.as_view(), name="reminder_history"),
    path("phases/<int:pk>/", views.PhaseDetailView.as_view(), name="phase_detail"),
    path("calendrier/", views.CalendarView.as_view(), name="calendar"),
]
