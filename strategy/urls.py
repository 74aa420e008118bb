from django.urls import path

from strategy import views

app_name = "strategy"
urlpatterns = [
    path("", views.StrategyTreeView.as_view(), name="strategy_tree"),
    path("indicateurs/", views.IndicatorListView.as_view(), name="indicator_list"),
    path("indicateurs/nouveau/", views.IndicatorEditView.as_view(), name="indicator_create"),
    path("indicateurs/<int:pk>/", views.IndicatorDetailView.as_view(), name="indicator_detail"),
    path("indicateurs/<int:pk>/modifier/", views.IndicatorEditView.as_view(), name="indicator_update"),
    path("indicateurs/<int:pk>/cibles/", views.TargetGridView.as_view(), name="target_grid"),
    path("indicateurs/<int:pk>/historique/", views.IndicatorHistoryView.as_view(), name="indicator_history"),
    path("mesures/", views.MeasurementListView.as_view(), name="measurement_list"),
    path("mesures/nouvelle/", views.MeasurementCreateView.as_view(), name="measurement_create"),
    path("mesures/tableur/", views.MeasurementSheetView.as_view(), name="measurement_sheet"),
    path("mesures/<int:pk>/", views.MeasurementUpdateView.as_view(), name="measurement_update"),
    path("mesures/<int:pk>/soumettre/", views.MeasurementSubmitView.as_view(), name="measurement_submit"),
    path("mesures/<int:pk>/valider/", views.MeasurementValidateView.as_view(), name="measurement_validate"),
    path("mesures/<int:pk>/renvoyer/", views.MeasurementReturnView.as_view(), name="measurement_return"),
    path("mesures/<int:pk>/rouvrir/", views.MeasurementReopenView.as_view(), name="measurement_reopen"),
    path("mesures/<int:pk>/piece/", views.MeasurementEvidenceView.as_view(), name="measurement_evidence"),
    path("validation/", views.ValidationQueueView.as_view(), name="validation_queue"),
    path("rapport/", views.ReportView.as_view(), name="report"),
    path(
        "rapport/commentaires/<int:indicator>/<int:year>/",
        views.IndicatorCommentView.as_view(),
        name="indicator_comment",
    ),
    path("rapport/publier/", views.ReportPublishView.as_view(), name="report_publish"),
    path("donnees-ouvertes/", views.OpenDataView.as_view(), name="open_data"),
    path("rapport/publications/", views.PublicationListView.as_view(), name="publication_list"),
    path("rapport/publications/<int:pk>/", views.PublicationDetailView.as_view(), name="publication_detail"),
    path("rapport/publications/<int:pk>/pdf/", views.PublicationPdfView.as_view(), name="publication_pdf"),
    path("programmes/nouveau/", views.ProgrammeEditView.as_view(), name="programme_create"),
    path("programmes/<int:pk>/modifier/", views.ProgrammeEditView.as_view(), name="programme_update"),
    path("actions/", views.ActionListView.as_view(), name="action_list"),
    path("actions/nouvelle/", views.ActionEditView.as_view(), name="action_create"),
    path("actions/<int:pk>/", views.ActionDetailView.as_view(), name="action_detail"),
    path("actions/<int:pk>/modifier/", views.ActionEditView.as_view(), name="action_update"),
    path("actions/<int:pk>/supprimer/", views.ActionDeleteView.as_view(), name="action_delete"),
]
