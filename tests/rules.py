"""Assertions shared by the rule tests: a bad value is refused twice, by full_clean()
with a message on the right field, and by the database (named constraint or trigger)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction


def clean_errors(obj):
    """full_clean() must refuse ``obj``; returns its message dict."""
    with pytest.raises(ValidationError) as excinfo:
        obj.full_clean()
    return excinfo.value.message_dict


def assert_refused(obj, field, *words):
    """full_clean() refuses ``obj`` with a message on ``field`` containing each word."""
    errors = clean_errors(obj)
    assert field in errors, errors
    text = " ".join(errors[field])
    for word in words:
        assert word in text, (word, text)
    return text


def assert_db_refuses(write, rule=None):
    """``write()`` hits the database rule; the statement is undone. Returns the error text.

    ``rule`` is the constraint or trigger name the error must contain, or a tuple of
    acceptable texts (SQLite names the columns, not the constraint, of a UNIQUE on fields)."""
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        write()
    text = str(excinfo.value)
    if rule:
        alternatives = rule if isinstance(rule, tuple) else (rule,)
        assert any(r in text for r in alternatives), (alternatives, text)
    return text
