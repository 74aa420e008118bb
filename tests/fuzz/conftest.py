"""Counts the examples each fuzzed operation ran and prints a summary at the end of
`make fuzz` (operations, examples, failures), workers included (pytest-xdist sends
each report's user_properties back to the controller)."""

import pytest

_totals = {"items": 0, "operations": set(), "examples": 0, "failed": 0, "failures": []}


@pytest.fixture
def _fuzz_counter(request, record_property):
    counter = {"examples": 0}
    yield counter
    record_property("fuzz_examples", counter["examples"])


def pytest_runtest_logreport(report):
    if "tests/fuzz/" not in report.nodeid:  # this conftest is loaded by `make test` too
        return
    if report.when == "teardown":
        # The counter is recorded when its fixture finishes, i.e. on the teardown report.
        _totals["examples"] += int(dict(report.user_properties).get("fuzz_examples", 0))
    if report.when == "call" or (report.when == "setup" and report.failed):
        _totals["items"] += 1
        # Node ids look like tests/fuzz/fuzz_api.py::test_api_fuzz[GET /api/v1/x/][admin]
        _totals["operations"].add(report.nodeid.split("[", 1)[-1].split("]", 1)[0])
        if report.failed:
            _totals["failed"] += 1
            _totals["failures"].append(report.nodeid)


def pytest_terminal_summary(terminalreporter):
    if not _totals["items"]:
        return
    write = terminalreporter.write_line
    terminalreporter.section("fuzz summary")
    write(f"operations: {len(_totals['operations'])}")
    write(f"operation x role runs: {_totals['items']}")
    write(f"examples run: {_totals['examples']}")
    write(f"failures: {_totals['failed']}")
    for nodeid in _totals["failures"]:
        write(f"  FAILED {nodeid}")
