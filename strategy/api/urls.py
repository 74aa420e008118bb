"""Strategy resources, registered on the API's router (config.api_urls)."""

from strategy.api import views

ROUTES = [
    ("strategies", views.StrategyViewSet, "strategy"),
    ("phases", views.PhaseViewSet, "phase"),
    ("axes", views.AxisViewSet, "axis"),
    ("programmes", views.ProgrammeViewSet, "programme"),
    ("actions", views.ActionViewSet, "action"),
    ("indicators", views.IndicatorViewSet, "indicator"),
    ("targets", views.TargetViewSet, "target"),
    ("indicator-comments", views.IndicatorCommentViewSet, "indicator-comment"),
    ("measurements", views.MeasurementViewSet, "measurement"),
]
