"""Query helpers every app's querysets use."""

from django.db.models import Subquery, Value


def scalar(queryset, aggregate):
    """A correlated subquery returning one aggregate over ``queryset`` (grouped by
    nothing): ``scalar(Party.objects.filter(contract=OuterRef("pk")), Count("pk"))``."""
    return Subquery(queryset.order_by().annotate(_k=Value(1)).values("_k").annotate(_v=aggregate).values("_v")[:1])
