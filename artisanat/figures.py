"""Number helpers every app's figures use: one rounding rule and one percentage.

The sector's own formulas (achieved value, progress, status…) are in
``strategy.figures``; the contract figures (execution rate, milestone completion) call
``rate`` from here, so a percentage is rounded the same way everywhere."""

from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
PRECISION = Decimal("0.0001")


def quantize(value, exp=PRECISION):
    """``value`` as a Decimal rounded half-up to ``exp`` (None stays None)."""
    return None if value is None else Decimal(value).quantize(exp, rounding=ROUND_HALF_UP)


def rate(part, whole):
    """part ÷ whole in %, None when the whole is zero or missing (no division by zero)."""
    if part is None or not whole:
        return None
    return quantize(Decimal(part) * HUNDRED / Decimal(whole), CENT)


def elapsed_share(start, end, as_of):
    """Share of the span ``start`` → ``end`` elapsed at ``as_of``, in % (2 decimals):
    days since the start ÷ days of the span, 0 before the start, 100 after the end. None
    without both dates. A phase's and a contract's time elapsed are both this."""
    if not (start and end) or end <= start:
        return None
    done = (min(max(as_of, start), end) - start).days
    return rate(done, (end - start).days)
