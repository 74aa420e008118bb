"""The reminder history's filters (the "Historique des rappels" page and its exports)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from artisanat.dates import AsOfField
from artisanat.filtersets import BaseFilterSet
from portal.models import ReminderLog


class DateFilter(django_filters.DateFilter):
    field_class = AsOfField  # YYYY-MM-DD, refused with the one message (artisanat/dates.py)


class ReminderLogFilterSet(BaseFilterSet):
    search_fields = (
        "recipient__username",
        "recipient__email",
        "indicator__code",
        "indicator__name",
        "organisation__acronym",
    )
    due_after = DateFilter(field_name="due_date", lookup_expr="gte", label=_("Échéance à partir du"))
    due_before = DateFilter(field_name="due_date", lookup_expr="lte", label=_("Échéance jusqu'au"))

    class Meta(BaseFilterSet.Meta):
        model = ReminderLog
        fields = ["kind", "status", "organisation", "indicator"]
