"""Reminders and escalation by email (docs/reminders.md): what is owed, to whom, and
sending each reminder exactly once.

What is sent, as of a day D, for every report of the reporting calendar
(strategy/calendar.py) that is still not received:

- **before** (optional: a user may switch it off): from N days before its due date
  until the day before (``ARTISANAT_REMINDER_DAYS_BEFORE``, 14), to the organisation's
  reporters (for the ministry's own reports, its editors);
- **due**: on the due date, to the same people;
- **escalation**: K days after the due date (``ARTISANAT_ESCALATION_DAYS_AFTER``, 15),
  to the organisation's focal points and the ministry's.

A day missed by the scheduled command is caught up: a "due" or "escalation" reminder
still goes out up to ``ARTISANAT_REMINDER_CATCH_UP_DAYS`` (7) days after its day (a
"due" one only until the escalation's day), never later, so that a first run on years
of history does not send years of reminders.

**Exactly once.** Each reminder (kind, recipient, indicator, organisation, period,
region) is a ``ReminderLog`` row. A run *claims* a reminder by inserting its row, in a
transaction of its own, before sending: the unique constraints make a second insert of
the same reminder fail (``IntegrityError``: another run has it), so two runs at the
same moment never both send it. After the email the row is marked sent, or failed with
the error; a failed reminder is claimed again by the next run (a conditional update
that only one run can win), a claimed or sent one never is.

Each recipient gets one email per run listing what the run claimed for them, in their
language (``UserPreference.language``), as plain text and HTML."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from artisanat.choices import OrganisationKind, Role
from artisanat.models import Membership, Region
from portal.choices import ReminderKind, ReminderStatus
from portal.models import ReminderLog
from strategy.models import Indicator

#: The order of the sections of an email, the most urgent first.
KIND_ORDER = [ReminderKind.ESCALATION, ReminderKind.DUE, ReminderKind.BEFORE]


@dataclass(frozen=True)
class Item:
    """One reminder of one report, to be sent to one person."""

    kind: str
    report: object  # strategy.calendar.ExpectedReport
    indicator: dict  # pk, code, name, name_ar
    organisation: dict  # pk, acronym, name, name_ar
    region: dict | None  # pk, name, name_ar

    @property
    def key(self):
        r = self.report
        return (self.kind, r.indicator_id, r.organisation_id, r.period.start, r.region_id)

    @property
    def days_late(self):
        return self.report.days_late

    @property
    def days_left(self):
        return max(0, (self.report.due_date - self.report.as_of).days)

    @property
    def entry_path(self):
        return f"{reverse('strategy:measurement_create')}?indicator={self.report.indicator_id}"


@dataclass
class Email:
    """What one recipient gets from one run."""

    user: object
    language: str
    items: list = field(default_factory=list)
    logs: list = field(default_factory=list)  # the claimed rows, once claimed


@dataclass
class Outcome:
    as_of: dt.date
    emails: list = field(default_factory=list)  # Email, each with what was claimed and sent
    sent: int = 0  # reminders sent
    failed: int = 0
    skipped: int = 0  # already claimed or sent by a run before or beside this one
    errors: list = field(default_factory=list)


def kind_on(report, as_of, *, before=None, after=None, catch_up=None):
    """Which reminder ``report`` calls for on ``as_of``, or None."""
    before = settings.REMINDER_DAYS_BEFORE if before is None else before
    after = settings.ESCALATION_DAYS_AFTER if after is None else after
    catch_up = settings.REMINDER_CATCH_UP_DAYS if catch_up is None else catch_up
    if report.received:
        return None
    due = report.due_date
    if due - dt.timedelta(days=before) <= as_of < due:
        return ReminderKind.BEFORE
    if due <= as_of < due + dt.timedelta(days=min(after, catch_up + 1)):
        return ReminderKind.DUE
    escalation = due + dt.timedelta(days=after)
    if escalation <= as_of <= escalation + dt.timedelta(days=catch_up):
        return ReminderKind.ESCALATION
    return None


def _people():
    """Active users with an email address who may receive reminders, with their
    membership, organisation and preference: one query."""
    return list(
        Membership.objects.filter(user__is_active=True)
        .exclude(user__email="")
        .filter(
            Q(role=Role.REPORTER)
            | Q(role=Role.EDITOR, organisation__kind=OrganisationKind.MINISTRY)
            | Q(is_focal_point=True)
        )
        .select_related("user", "organisation", "user__preference")
        .order_by("user__username")
    )


def _preference(user):
    try:
        return user.preference
    except Exception:  # RelatedObjectDoesNotExist: the defaults
        return None


def plan(as_of):
    """``{user pk: Email}`` of every reminder due on ``as_of``, unclaimed or not (the
    claim decides what is sent). Four queries for the calendar and the people."""
    reports = Indicator.objects.all().expected_reports(
        as_of, until=as_of + dt.timedelta(days=settings.REMINDER_DAYS_BEFORE)
    )
    wanted = [(kind, r) for r in reports if (kind := kind_on(r, as_of))]
    if not wanted:
        return {}
    indicators = {
        row["pk"]: row
        for row in Indicator.objects.filter(pk__in={r.indicator_id for _, r in wanted}).values(
            "pk", "code", "name", "name_ar"
        )
    }
    regions = {
        row["pk"]: row
        for row in Region.objects.filter(pk__in={r.region_id for _, r in wanted if r.region_id}).values(
            "pk", "name", "name_ar"
        )
    }
    reporting = defaultdict(list)  # organisation pk → its reporters (the ministry: editors)
    focal = defaultdict(list)  # organisation pk → its focal points
    ministry_focal = []
    organisations = {}
    for membership in _people():
        org = membership.organisation
        organisations[org.pk] = {"pk": org.pk, "acronym": org.acronym, "name": org.name, "name_ar": org.name_ar}
        is_ministry = org.kind == OrganisationKind.MINISTRY
        if membership.role == (Role.EDITOR if is_ministry else Role.REPORTER):
            reporting[org.pk].append(membership.user)
        if membership.is_focal_point:
            focal[org.pk].append(membership.user)
            if is_ministry:
                ministry_focal.append(membership.user)
    emails = {}
    for kind, report in wanted:
        if kind == ReminderKind.ESCALATION:
            recipients = {u.pk: u for u in focal[report.organisation_id] + ministry_focal}.values()
        else:
            recipients = reporting[report.organisation_id]
        organisation = organisations.get(report.organisation_id) or {
            "pk": report.organisation_id,
            "acronym": report.organisation_acronym,
            "name": report.organisation_acronym,
            "name_ar": "",
        }
        item = Item(
            kind=kind,
            report=report,
            indicator=indicators[report.indicator_id],
            organisation=organisation,
            region=regions.get(report.region_id),
        )
        for user in recipients:
            preference = _preference(user)
            if kind == ReminderKind.BEFORE and preference is not None and not preference.reminders_enabled:
                continue
            if user.pk not in emails:
                language = preference.language if preference is not None else settings.LANGUAGE_CODE
                emails[user.pk] = Email(user=user, language=language)
            emails[user.pk].items.append(item)
    return emails


# ---------------------------------------------------------------- the claim


def _key_filter(item, user):
    r = item.report
    return {
        "kind": item.kind,
        "recipient": user,
        "indicator_id": r.indicator_id,
        "organisation_id": r.organisation_id,
        "period_start": r.period.start,
        "region_id": r.region_id,
    }


def claim(item, user):
    """The reminder's row, inserted (or a failed one taken back) by this run; None when
    another run has it, or it was sent already."""
    r = item.report
    try:
        with transaction.atomic():
            return ReminderLog.objects.create(period_end=r.period.end, due_date=r.due_date, **_key_filter(item, user))
    except IntegrityError:
        pass
    # Someone claimed it first. A failed reminder is retried: the conditional update
    # takes it back for exactly one run (a concurrent one finds it claimed again).
    taken = ReminderLog.objects.filter(status=ReminderStatus.FAILED, **_key_filter(item, user)).update(
        status=ReminderStatus.CLAIMED, attempts=F("attempts") + 1, error="", claimed_at=timezone.now()
    )
    if taken:
        return ReminderLog.objects.get(**_key_filter(item, user))
    return None


def _mark(logs, status, error=""):
    ReminderLog.objects.filter(pk__in=[log.pk for log in logs]).update(
        status=status, error=error[:2000], sent_at=timezone.now() if status == ReminderStatus.SENT else None
    )


# ---------------------------------------------------------------- the email


def render(email, as_of):
    """Subject, text and HTML of ``email`` in its recipient's language."""
    with translation.override(email.language):
        sections = []
        for kind in KIND_ORDER:
            items = [i for i in email.items if i.kind == kind]
            if items:
                sections.append({"kind": kind, "items": items})
        context = {
            "user": email.user,
            "as_of": as_of,
            "sections": sections,
            "count": len(email.items),
            "site_url": settings.SITE_URL,
            "preferences_url": settings.SITE_URL + reverse("portal:notifications"),
            "urgent": sections[0]["kind"] if sections else None,
            "language": email.language,
            "rtl": translation.get_language_bidi(),
        }
        subject = " ".join(render_to_string("portal/email/reminder_subject.txt", context).split())
        text = render_to_string("portal/email/reminder.txt", context)
        html = render_to_string("portal/email/reminder.html", context)
    return subject, text, html


def message(email, as_of, connection=None):
    subject, text, html = render(email, as_of)
    msg = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [email.user.email], connection=connection)
    msg.attach_alternative(html, "text/html")
    return msg


# ---------------------------------------------------------------- the run


def send_reminders(as_of, *, dry_run=False):
    """Claim, send and record every reminder due on ``as_of``. ``dry_run``: what would
    be sent, nothing claimed, nothing sent."""
    outcome = Outcome(as_of=as_of)
    emails = plan(as_of)
    if dry_run:
        outcome.emails = list(emails.values())
        return outcome
    for email in emails.values():
        claimed = []
        for item in email.items:
            log = claim(item, email.user)
            if log is None:
                outcome.skipped += 1
            else:
                claimed.append((item, log))
        if not claimed:
            continue
        email.items = [item for item, _log in claimed]
        email.logs = [log for _item, log in claimed]
        try:
            message(email, as_of).send()
        except Exception as exc:  # any failure of the transport: recorded, retried next run
            error = f"{type(exc).__name__}: {exc}"
            _mark(email.logs, ReminderStatus.FAILED, error)
            outcome.failed += len(email.logs)
            outcome.errors.append((email.user, error))
        else:
            _mark(email.logs, ReminderStatus.SENT)
            outcome.sent += len(email.logs)
            outcome.emails.append(email)
    return outcome
