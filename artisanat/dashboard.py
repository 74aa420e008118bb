"""The home dashboard's figures, gathered once for the page and the API."""

from dataclasses import dataclass

from django.utils import timezone

from contracts.models import ContratProgramme, Milestone
from strategy.models import Axis, Measurement, Phase


@dataclass
class Dashboard:
    as_of: object
    axes: list
    phases: list
    current_phase: object
    contracts: list
    late_milestones: int
    waiting_validation: int


def build_dashboard(user, as_of=None):
    """Axes and phases rolled up, the contracts ``user`` may see with their execution,
    late milestones and measurements waiting for validation — a fixed number of queries."""
    as_of = as_of or timezone.localdate()
    axes = list(Axis.objects.with_rollup(as_of).select_related("strategy"))
    phases = list(Phase.objects.with_rollup(as_of))
    current = next((p for p in phases if p.start_date <= as_of <= p.end_date), None)
    if current is not None:
        current.elapsed = current.elapsed_share(as_of) * 100
    contracts = list(
        ContratProgramme.objects.visible_to(user).with_execution(as_of).select_related("phase", "filiere")
    )
    return Dashboard(
        as_of=as_of,
        axes=axes,
        phases=phases,
        current_phase=current,
        contracts=contracts,
        late_milestones=Milestone.objects.visible_to(user).late(as_of).count(),
        waiting_validation=Measurement.objects.visible_to(user).waiting_validation().count(),
    )
