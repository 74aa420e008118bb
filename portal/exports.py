"""The CSV / XLSX columns of the portal's own lists."""

from artisanat.exports import Column

REMINDER_COLUMNS = [
    Column("id", lambda r: r.pk),
    Column("kind", lambda r: r.kind),
    Column("recipient", lambda r: r.recipient.username),
    Column("recipient_email", lambda r: r.recipient.email),
    Column("indicator", lambda r: r.indicator.code),
    Column("organisation", lambda r: r.organisation.acronym),
    Column("region", lambda r: r.region.code if r.region_id else ""),
    Column("period_start", lambda r: r.period_start),
    Column("period_end", lambda r: r.period_end),
    Column("due_date", lambda r: r.due_date),
    Column("status", lambda r: r.status),
    Column("claimed_at", lambda r: r.claimed_at),
    Column("sent_at", lambda r: r.sent_at),
    Column("attempts", lambda r: r.attempts),
    Column("error", lambda r: r.error),
]
