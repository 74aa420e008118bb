"""The validation queue (issue 15, item 3): each row with what a validator judges it by
(unit, the value the French way — a ratio as a percentage —, the previous value of the
same series and the change, the target due at the period's end, the evidence, the
submission date and its age), oldest first; one form for the page (validate or return
the ticked rows); four eyes shown and enforced; the measurement page's context and
"next in the queue"."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from artisanat.dates import today
from strategy import figures, services
from strategy.choices import Aggregation, Unit
from strategy.choices import MeasurementStatus as S
from strategy.models import Measurement, Target

QUEUE = "/strategie/validation/"
NBSP = "\u00a0"


def row(indicator, org, *, year, status=S.SUBMITTED, submitted_days_ago=None, **fields):
    values = {"value": D("100")} if "numerator" not in fields else {}
    values.update(fields)
    m = Measurement.objects.create(
        indicator=indicator,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
        organisation=org,
        status=status,
        **values,
    )
    if submitted_days_ago is not None:
        Measurement.objects.filter(pk=m.pk).update(submitted_at=timezone.now() - dt.timedelta(days=submitted_days_ago))
        m.refresh_from_db()
    return m


def entered(indicator, org, by, *, year, value="120"):
    """A row entered and submitted through the services by ``by`` (history: its author)."""
    m = Measurement(
        indicator=indicator,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
        value=D(value),
        organisation=org,
    )
    services.save_measurement(m, by=by, reason="Saisie (test)")
    services.submit_measurement(m, by=by)
    m.refresh_from_db()
    return m


def text(html):
    return re.sub(r"\s+", " ", html.replace(NBSP, " "))


def cell(body, pk, name):
    match = re.search(rf'<tr data-measurement="{pk}".*?</tr>', body, re.S)
    assert match, f"row {pk} not in the queue"
    found = re.search(rf"<td[^>]*data-{name}[^>]*>(.*?)</td>", match.group(0), re.S)
    return text(re.sub(r"<[^>]+>", " ", found.group(1))).strip()


@pytest.fixture
def ratio_indicator(make_indicator, org_a):
    return make_indicator(
        code="IND-TAUX", name="Taux d'insertion", unit=Unit.PERCENT, aggregation=Aggregation.RATIO, reporters=[org_a]
    )


# ---------------------------------------------------------------- the figures (one definition)


def test_a_ratio_reads_as_the_percentage_a_ratio_indicator_computes():
    assert figures.measurement_amount(None, D("2194"), D("5644")) == D("38.8731")
    assert figures.measurement_amount(None, D("2194"), D("5644")) == figures.achieved(
        Aggregation.RATIO,
        sum_all=None,
        periods=1,
        latest_total=None,
        latest_numerator=D("2194"),
        latest_denominator=D("5644"),
    )
    assert figures.measurement_amount(D("546.0000"), None, None) == D("546")
    assert figures.measurement_amount(None, None, None) is None


def test_change_is_absolute_and_relative_to_the_previous_size():
    assert figures.change(D("200"), D("250")) == (D("50"), D("25.00"))
    assert figures.change(D("-200"), D("-100")) == (D("100"), D("50.00"))
    assert figures.change(D("0"), D("10")) == (D("10"), None)  # no division by zero
    assert figures.change(None, D("10")) == (None, None)
    assert figures.age_days(dt.date(2025, 1, 1), dt.date(2025, 1, 31)) == 30
    assert figures.age_days(None, dt.date(2025, 1, 31)) is None


def test_previous_value_is_the_latest_earlier_validated_period_of_the_same_series(
    indicator, org_a, org_b, region, other_region
):
    indicator.by_region = True
    indicator.save()
    row(indicator, org_a, year=2021, status=S.VALIDATED, value=D("150"), region=region)
    row(indicator, org_a, year=2022, status=S.VALIDATED, value=D("200"), region=region)
    row(indicator, org_a, year=2023, status=S.RETURNED, value=D("999"), region=region, status_reason="à revoir")
    row(indicator, org_b, year=2023, status=S.VALIDATED, value=D("888"), region=region)  # another organisation
    row(indicator, org_a, year=2023, status=S.VALIDATED, value=D("777"), region=other_region)  # another region
    current = row(indicator, org_a, year=2024, value=D("250"), region=region)
    alone = row(indicator, org_a, year=2024, value=D("10"), region=other_region)
    Target.objects.create(indicator=indicator, due_date=dt.date(2024, 12, 31), value=D("300"), region=region)
    Target.objects.create(indicator=indicator, due_date=dt.date(2024, 12, 31), value=D("1000"))  # national
    rows = {m.pk: m for m in Measurement.objects.with_validation_context(dt.date(2025, 1, 10))}
    m = rows[current.pk]
    assert (m.previous_amount, m.fig_prev_end) == (D("200"), dt.date(2022, 12, 31))
    assert (m.change_abs, m.change_pct) == (D("50"), D("25.00"))
    assert m.period_target == D("300")  # the region's own target, not the national one
    other = rows[alone.pk]
    assert other.previous_amount == D("777") and other.period_target is None


def test_a_row_by_sex_has_no_target(make_indicator, org_a):
    ind = make_indicator(by_sex=True, reporters=[org_a])
    Target.objects.create(indicator=ind, due_date=dt.date(2024, 12, 31), value=D("50"))
    m = row(ind, org_a, year=2024, sex="F")
    assert Measurement.objects.with_validation_context(today()).get(pk=m.pk).period_target is None


# ---------------------------------------------------------------- the page


def test_the_queue_shows_what_a_validator_judges_by_oldest_first(client, validator, indicator, ratio_indicator, org_a):
    row(indicator, org_a, year=2023, status=S.VALIDATED, value=D("2000"))
    newest = row(indicator, org_a, year=2024, value=D("2500"), submitted_days_ago=1)
    Target.objects.create(indicator=indicator, due_date=dt.date(2024, 12, 31), value=D("3000"))
    row(ratio_indicator, org_a, year=2023, status=S.VALIDATED, numerator=D("1000"), denominator=D("5000"))
    oldest = row(ratio_indicator, org_a, year=2024, numerator=D("2194"), denominator=D("5644"), submitted_days_ago=12)
    client.force_login(validator)
    body = client.get(QUEUE).content.decode()
    assert body.index(f'data-measurement="{oldest.pk}"') < body.index(f'data-measurement="{newest.pk}"')
    # A ratio as a percentage, never "2 194,00 / 5 644,00"; its change in points.
    assert cell(body, oldest.pk, "value") == "38,9 %"
    assert "2 194,00 / 5 644,00" not in text(body)
    assert cell(body, oldest.pk, "previous") == "20,0 % 31/12/2023"
    assert cell(body, oldest.pk, "change").startswith("+18,87 pt")
    assert cell(body, oldest.pk, "target") == "—"
    # A count the French way, with its unit beside the indicator, previous, change, target.
    assert cell(body, newest.pk, "value") == "2 500"
    assert cell(body, newest.pk, "previous") == "2 000 31/12/2023"
    assert cell(body, newest.pk, "change") == "+500 +25,0 %"
    assert cell(body, newest.pk, "target") == "3 000"
    assert "(nombre)" in text(body)
    # Submission date and age.
    assert 'data-age="12"' in body and "il y a 12 jours" in body
    assert (timezone.localdate() - dt.timedelta(days=12)).strftime("%d/%m/%Y") in body
    # One form for the page: no per-row forms, one CSRF token, the two actions.
    tbody = re.search(r"<tbody>.*</tbody>", body, re.S).group(0)
    assert "<form" not in tbody and "csrfmiddlewaretoken" not in tbody
    assert body.count("data-queue") == 1
    assert 'value="validate"' in body and 'value="return"' in body
    assert "data-select-all" in body and "js/queue" in body


def test_the_evidence_link_is_the_access_checked_download(client, validator, submitted_with_evidence):
    client.force_login(validator)
    body = client.get(QUEUE).content.decode()
    link = reverse("strategy:measurement_evidence", args=[submitted_with_evidence.pk])
    assert f'href="{link}"' in body
    assert client.get(link).status_code == 200


@pytest.fixture
def submitted_with_evidence(indicator, org_a):
    from tests.documents import PDF, upload

    m = row(indicator, org_a, year=2024)
    m.evidence = upload("releve.pdf", PDF)
    m.save()
    return m


def test_select_and_validate_then_return_the_selection(client, validator, indicator, org_a):
    a, b, c = (row(indicator, org_a, year=y) for y in (2022, 2023, 2024))
    client.force_login(validator)
    response = client.post(
        QUEUE, {"ids": [f"{a.pk}:{a.version}", f"{b.pk}:{b.version}"], "action": "validate", "comment": "Conforme"}
    )
    assert response.status_code == 302
    statuses = dict(Measurement.objects.values_list("pk", "status"))
    assert (statuses[a.pk], statuses[b.pk], statuses[c.pk]) == (S.VALIDATED, S.VALIDATED, S.SUBMITTED)
    # Returning needs the reason; without one nothing moves and the page says so.
    response = client.post(QUEUE, {"ids": [f"{c.pk}:{c.version}"], "action": "return", "comment": ""}, follow=True)
    assert "Indiquez le motif de ce changement" in response.content.decode()
    # A reason that says nothing ("   a  ") is refused the same way.
    response = client.post(
        QUEUE, {"ids": [f"{c.pk}:{c.version}"], "action": "return", "comment": "   a  "}, follow=True
    )
    assert "Indiquez le motif de ce changement" in response.content.decode()
    assert Measurement.objects.get(pk=c.pk).status == S.SUBMITTED
    client.post(QUEUE, {"ids": [f"{c.pk}:{c.version}"], "action": "return", "comment": "Joindre le relevé"})
    c.refresh_from_db()
    assert (c.status, c.status_reason) == (S.RETURNED, "Joindre le relevé")
    assert f'data-measurement="{c.pk}"' not in client.get(QUEUE).content.decode()


def test_a_row_changed_since_it_was_seen_is_refused(client, validator, indicator, org_a):
    m = row(indicator, org_a, year=2024)
    client.force_login(validator)
    client.post(QUEUE, {"ids": [f"{m.pk}:{m.version + 1}"], "action": "return", "comment": "Chiffre à revoir"})
    assert Measurement.objects.get(pk=m.pk).status == S.SUBMITTED


def test_an_unknown_action_moves_nothing(client, validator, indicator, org_a):
    m = row(indicator, org_a, year=2024)
    client.force_login(validator)
    response = client.post(QUEUE, {"ids": [f"{m.pk}:{m.version}"], "action": "delete"}, follow=True)
    assert "Action inconnue" in response.content.decode()
    assert Measurement.objects.get(pk=m.pk).status == S.SUBMITTED


def test_a_validator_cannot_tick_nor_validate_their_own_row(client, validator, partner_a, indicator, org_a):
    own = entered(indicator, org_a, validator, year=2023)
    theirs = entered(indicator, org_a, partner_a, year=2024)
    client.force_login(validator)
    body = client.get(QUEUE).content.decode()
    own_row = re.search(rf'<tr data-measurement="{own.pk}".*?</tr>', body, re.S).group(0)
    assert "data-own" in own_row and "disabled" in own_row and 'name="ids"' not in own_row
    assert "Saisie ou modifiée par vous" in own_row
    assert 'name="ids"' in re.search(rf'<tr data-measurement="{theirs.pk}".*?</tr>', body, re.S).group(0)
    # Posting the box anyway: the service refuses, naming the row; nothing is validated.
    response = client.post(
        QUEUE,
        {"ids": [f"{own.pk}:{own.version}", f"{theirs.pk}:{theirs.version}"], "action": "validate"},
        follow=True,
    )
    assert f"n° {own.pk}" in response.content.decode()
    assert set(Measurement.objects.values_list("status", flat=True)) == {S.SUBMITTED}


def test_return_measurements_is_all_or_nothing_and_validators_only(validator, editor, indicator, org_a):
    a = row(indicator, org_a, year=2023)
    b = row(indicator, org_a, year=2024, status=S.DRAFT)
    with pytest.raises(PermissionDenied):
        services.return_measurements([a], by=editor, reason="Chiffre à revoir")
    with pytest.raises(ValidationError):
        services.return_measurements([a], by=validator, reason=" ")
    from artisanat.exceptions import TransitionNotAllowed

    with pytest.raises(TransitionNotAllowed):
        services.return_measurements([a, b], by=validator, reason="Chiffre à revoir")
    assert Measurement.objects.get(pk=a.pk).status == S.SUBMITTED


@pytest.mark.parametrize("actor", ["editor", "viewer", "partner_a"])
def test_the_queue_and_its_batch_are_forbidden_to_others(client, request, actor, indicator, org_a):
    m = row(indicator, org_a, year=2024)
    client.force_login(request.getfixturevalue(actor))
    assert client.get(QUEUE).status_code == 403
    for action in ("validate", "return"):
        response = client.post(QUEUE, {"ids": [f"{m.pk}:{m.version}"], "action": action, "comment": "Motif du test"})
        assert response.status_code == 403
    assert Measurement.objects.get(pk=m.pk).status == S.SUBMITTED


def test_the_queue_and_its_batch_send_anonymous_visitors_to_sign_in(client, indicator, org_a):
    m = row(indicator, org_a, year=2024)
    for response in (client.get(QUEUE), client.post(QUEUE, {"ids": [f"{m.pk}:{m.version}"]})):
        assert response.status_code == 302 and response["Location"].startswith("/connexion/")
    assert Measurement.objects.get(pk=m.pk).status == S.SUBMITTED


def test_fifty_rows_answer_small(client, validator, make_indicator, org_a):
    """One form for the page: 50 rows, no form or CSRF token per row (127 KB before)."""
    for n in range(50):
        ind = make_indicator(reporters=[org_a])
        row(ind, org_a, year=2023, status=S.VALIDATED)
        row(ind, org_a, year=2024, submitted_days_ago=n)
    client.force_login(validator)
    body = client.get(QUEUE).content
    assert body.count(b"data-measurement=") == 50
    assert len(body) < 60_000, len(body)


# ---------------------------------------------------------------- the measurement page


def test_the_measurement_page_gives_the_context_and_the_next_row(client, validator, indicator, org_a):
    row(indicator, org_a, year=2022, status=S.VALIDATED, value=D("80"))
    first = row(indicator, org_a, year=2023, submitted_days_ago=5)
    second = row(indicator, org_a, year=2024, submitted_days_ago=2)
    client.force_login(validator)
    page = client.get(reverse("strategy:measurement_update", args=[first.pk])).content.decode()
    assert "data-validation-context" in page
    assert "+20 (+25,0 %)" in text(page)
    assert "il y a 5 jours" in page
    assert f'href="{reverse("strategy:measurement_update", args=[second.pk])}" rel="next" data-queue-next' in page
    # The last row of the queue has no next.
    page = client.get(reverse("strategy:measurement_update", args=[second.pk])).content.decode()
    assert "data-queue-next" not in page and "Dernière mesure de la file" in page
    # Validating from the page goes on to the next row; the last one back to the queue.
    response = client.post(reverse("strategy:measurement_validate", args=[first.pk]), {"version": first.version})
    assert response["Location"] == reverse("strategy:measurement_update", args=[second.pk])
    response = client.post(
        reverse("strategy:measurement_return", args=[second.pk]), {"version": second.version, "reason": "À revoir"}
    )
    assert response["Location"] == reverse("strategy:validation_queue")
    assert set(Measurement.objects.values_list("status", flat=True)) == {S.VALIDATED, S.RETURNED}


def test_a_refused_decision_stays_on_the_measurement_page(client, validator, indicator, org_a):
    own = entered(indicator, org_a, validator, year=2024)
    client.force_login(validator)
    page = client.get(reverse("strategy:measurement_update", args=[own.pk])).content.decode()
    assert "data-own" in page and "règle des quatre yeux" in page
    response = client.post(reverse("strategy:measurement_validate", args=[own.pk]), {"version": own.version})
    assert response["Location"] == reverse("strategy:measurement_update", args=[own.pk])
    assert Measurement.objects.get(pk=own.pk).status == S.SUBMITTED


@pytest.mark.parametrize("actor", ["editor", "viewer", "partner_a"])
def test_others_get_no_validation_context(client, request, actor, indicator, org_a):
    m = row(indicator, org_a, year=2024)
    client.force_login(request.getfixturevalue(actor))
    page = client.get(reverse("strategy:measurement_update", args=[m.pk])).content.decode()
    assert "data-validation-context" not in page and "data-queue-next" not in page


def test_a_validated_row_has_no_validation_context(client, validator, indicator, org_a):
    m = row(indicator, org_a, year=2024, status=S.VALIDATED)
    client.force_login(validator)
    page = client.get(reverse("strategy:measurement_update", args=[m.pk])).content.decode()
    assert "data-validation-context" not in page


def test_queue_order_and_next_cover_rows_without_a_submission_date(indicator, org_a):
    """A row loaded without a submission date waits since its creation: one total order,
    and "next" walks it to the end."""
    a = row(indicator, org_a, year=2022, submitted_days_ago=3)
    b = row(indicator, org_a, year=2023)  # no submitted_at: created now
    c = row(indicator, org_a, year=2024, submitted_days_ago=1)
    assert b.submitted_at is None
    queue = Measurement.objects.waiting_validation()
    assert list(queue.queue_order().values_list("pk", flat=True)) == [a.pk, c.pk, b.pk]
    walked, at = [], a
    while at is not None:
        walked.append(at.pk)
        at = queue.after_in_queue(at).first()
    assert walked == [a.pk, c.pk, b.pk]
