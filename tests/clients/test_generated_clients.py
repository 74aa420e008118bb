"""The partner API as an integrator meets it (issue 17, "kept true by CI").

From the schema the server serves (drf-spectacular), this module:

- lints it with Redocly's recommended rules (clients/redocly.yaml): no error, no warning;
- generates the Python client (openapi-python-client) and the TypeScript client
  (openapi-generator, typescript-fetch): no generator warning;
- compiles the TypeScript client and clients/routine.ts in strict mode (tsc): no error;
- imports every module of the generated Python package;
- runs the partner routine of docs/api.md (the fenced block after ``<!-- routine: python -->``,
  run as it is written) with the generated Python client, and clients/routine.ts with the
  generated TypeScript client on Node's fetch, against a live server, then checks in the
  database what each routine did.

Every failure lists each problem (lint problem, warning, tsc error, import error) so the
message says what to fix. The tools come from ``make clients-tools`` (.venv-clients and
clients/node_modules; make test-slow and make test-postgres install them): nothing is
downloaded here. The generated code lives in a temporary folder, never in the repository.
"""

import datetime as dt
import fcntl
import json
import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from strategy.choices import MeasurementStatus
from strategy.models import Measurement

pytestmark = [pytest.mark.slow, pytest.mark.clients]

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "clients"
CLIENTS_BIN = Path(os.environ.get("ARTISANAT_CLIENTS_VENV", ROOT / ".venv-clients")) / "bin"
NPM_BIN = CLIENTS / "node_modules" / ".bin"
PACKAGE = "artisanat_client"
ROUTINE_MARK = "<!-- routine: python -->"
TIMEOUT = 120

# The period whose values the routines send (the fixture's indicators are yearly).
PERIOD = ("2025-01-01", "2025-12-31")


def _tool(path):
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make clients-tools` (make test-slow and make test-postgres do)")
    return str(path)


def _node():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node (20 or later) is not on PATH: the TypeScript routine runs on Node's fetch")
    return node


def _run(args, *, cwd, env=None, timeout=TIMEOUT):
    """Runs a tool, output (stdout then stderr) as text; never raises on its exit code."""
    environment = {
        **os.environ,
        # The tools' own notices (telemetry, updates) must not reach the network.
        "REDOCLY_TELEMETRY": "off",
        "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
        "NO_UPDATE_NOTIFIER": "1",
        # openapi-python-client's post-hooks (ruff) come from .venv-clients.
        "PATH": f"{CLIENTS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        **(env or {}),
    }
    done = subprocess.run(args, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout + done.stderr


def _listing(title, items):
    return f"{title}: {len(items)}\n" + "\n".join(f"  - {item}" for item in items)


def _generate(work):
    """The schema, both clients generated from it and tsc's compile of the TypeScript one
    (with routine.ts) in ``work``; what each tool said, as a dict."""
    schema = work / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(schema))
    rc_py, out_py = _run(
        [
            _tool(CLIENTS_BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(work / "py" / PACKAGE),
            "--meta",
            "none",
            "--overwrite",
        ],
        cwd=work,
    )
    ts = work / "ts"
    ts.mkdir()
    rc_ts, out_ts = _run(
        [
            _tool(CLIENTS_BIN / "openapi-generator-cli"),
            "generate",
            "-i",
            str(schema),
            "-g",
            "typescript-fetch",
            "-o",
            str(ts / "generated"),
        ],
        cwd=work,
    )
    shutil.copy(CLIENTS / "tsconfig.json", ts / "tsconfig.json")
    shutil.copy(CLIENTS / "routine.ts", ts / "routine.ts")
    # tsc emits ts/out/ (routine.js) even when it reports errors.
    rc_tsc, out_tsc = _run([_tool(NPM_BIN / "tsc"), "-p", "tsconfig.json"], cwd=ts)
    return {
        "python_rc": rc_py,
        "python_output": out_py,
        "ts_rc": rc_ts,
        "ts_output": out_ts,
        "tsc_rc": rc_tsc,
        "tsc_output": out_tsc,
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The schema and both generated clients in a temporary folder, with what each tool
    said. Made once per test session: pytest-xdist workers share the first one's folder
    (the session's temporary root, under a lock) instead of generating again."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    work = root / "generated-clients"
    with open(root / "generated-clients.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        results = work / "results.json"
        if not results.exists():
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            results.write_text(json.dumps(_generate(work)), encoding="utf-8")
        said = json.loads(results.read_text(encoding="utf-8"))
    return {"dir": work, "schema": work / "schema.json", **said}


def _where(problem):
    """A Redocly problem's JSON pointer, its ~1 and ~0 decoded (#/paths//api/v1/…/get)."""
    if not problem["location"]:
        return "?"
    return problem["location"][0]["pointer"].replace("~1", "/").replace("~0", "~")


def test_schema_lints_clean(generated):
    rc, output = _run(
        [
            _tool(NPM_BIN / "redocly"),
            "lint",
            str(generated["schema"]),
            "--config",
            str(CLIENTS / "redocly.yaml"),
            "--format",
            "json",
            "--max-problems",
            "10000",
        ],
        cwd=generated["dir"],
    )
    start = output.find("{")
    assert start >= 0, f"redocly lint gave no JSON report (exit {rc}):\n{output}"
    report, _end = json.JSONDecoder().raw_decode(output[start:])
    problems = [f"{p['severity']} {p['ruleId']} at {_where(p)}: {p['message']}" for p in report["problems"]]
    totals = report["totals"]
    assert not problems, _listing(
        f"redocly lint (clients/redocly.yaml): {totals['errors']} error(s), {totals['warnings']} warning(s)", problems
    )


def test_python_generator_gives_no_warning(generated):
    output = generated["python_output"]
    # Each warning: "WARNING parsing POST /path within tag.", a blank line, its reason.
    warnings = [f"{where}: {why}" for where, why in re.findall(r"^WARNING (.+?)\n\s*\n(.+?)$", output, re.M)]
    assert generated["python_rc"] == 0, f"openapi-python-client failed (exit {generated['python_rc']}):\n{output}"
    clean = "warning" not in output.lower()
    assert clean, _listing("openapi-python-client warnings", warnings) + f"\n\nIts whole output:\n{output}"


def test_typescript_generator_gives_no_warning(generated):
    output = generated["ts_output"]
    warnings = sorted({line.strip() for line in output.splitlines() if re.search(r"\bWARN\b", line)})
    count = sum(1 for line in output.splitlines() if re.search(r"\bWARN\b", line))
    assert generated["ts_rc"] == 0, f"openapi-generator-cli failed (exit {generated['ts_rc']}):\n{output}"
    assert count == 0, _listing(f"openapi-generator typescript-fetch: {count} WARN line(s), distinct", warnings)


def _tsc_errors(generated):
    return [line for line in generated["tsc_output"].splitlines() if re.search(r"error TS\d+", line)]


def test_typescript_client_compiles_strict(generated):
    errors = _tsc_errors(generated)
    assert not errors, _listing("tsc --strict errors (generated/ and routine.ts)", errors)
    assert generated["tsc_rc"] == 0, generated["tsc_output"]


def test_every_python_module_imports(generated):
    script = (
        "import importlib, pkgutil\n"
        f"import {PACKAGE} as package\n"
        "names = [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + '.')]\n"
        "failed = 0\n"
        "for name in names:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as error:\n"
        "        failed += 1\n"
        "        print(f'{name}: {type(error).__name__}: {error}')\n"
        "print(f'{len(names)} modules, {failed} failed')\n"
    )
    rc, output = _run(
        [_tool(CLIENTS_BIN / "python"), "-c", script],
        cwd=generated["dir"],
        env={"PYTHONPATH": str(generated["dir"] / "py")},
    )
    counts = re.search(r"^(\d+) modules, (\d+) failed$", output, re.M)
    assert rc == 0 and counts, f"importing the generated package failed (exit {rc}):\n{output}"
    modules, failed = int(counts[1]), int(counts[2])
    assert failed == 0, f"{failed} of the {modules} modules of {PACKAGE} do not import:\n{output}"
    assert modules > 50, f"the generated package has only {modules} modules:\n{output}"


def routine_from_docs():
    """The Python code block right after ``<!-- routine: python -->`` in docs/api.md."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    found = re.search(re.escape(ROUTINE_MARK) + r"\s*```python\n(.*?)\n```", text, re.S)
    assert found, f"docs/api.md has no ```python block after {ROUTINE_MARK}"
    return found.group(1)


# -- the partner and what the routines find on the server ------------------------------


@pytest.fixture
def partner_world(transactional_db, make_indicator, indicator, org_a, partner_a, validator, make_measurement):
    """Organisation A's reporter and two indicators it reports; a value returned by the
    validator since the last run (to correct), and one returned before it (which
    ``updated_since`` leaves out); the rows of the partner's system, as a file."""
    second = make_indicator(code="IND-COOP", name="Coopératives accompagnées", reporters=[org_a])
    make_indicator(code="IND-AUTRE", name="Indicateur d'une autre organisation")
    old = make_measurement(
        indicator, org_a, partner_a, year=2023, status=MeasurementStatus.RETURNED, validator=validator
    )
    long_ago = timezone.now() - dt.timedelta(days=60)
    Measurement.objects.filter(pk=old.pk).update(updated_at=long_ago)
    returned = make_measurement(
        indicator, org_a, partner_a, year=2024, status=MeasurementStatus.RETURNED, validator=validator
    )
    rows = [
        {"indicator": indicator.code, "period_start": PERIOD[0], "period_end": PERIOD[1], "value": "1250", "source": "Registre des formations"},
        {"indicator": second.code, "period_start": PERIOD[0], "period_end": PERIOD[1], "value": "37", "source": "Suivi des coopératives"},
        {"indicator": indicator.code, "period_start": "2024-01-01", "period_end": "2024-12-31", "value": "12", "source": "Registre corrigé"},
    ]  # fmt: skip
    return {
        "user": partner_a,
        "indicators": (indicator, second),
        "returned": returned,
        "old": old,
        "rows": rows,
        "last_run": timezone.now() - dt.timedelta(days=30),
    }


def _routine_env(live_server, world, tmp_path):
    rows = tmp_path / "chiffres.json"
    rows.write_text(json.dumps(world["rows"]), encoding="utf-8")
    from tests.conftest import PASSWORD

    return {
        "ARTISANAT_API": live_server.url,
        "ARTISANAT_UTILISATEUR": world["user"].username,
        "ARTISANAT_MOT_DE_PASSE": PASSWORD,
        "ARTISANAT_DERNIER_PASSAGE": world["last_run"].isoformat(),
        "ARTISANAT_CHIFFRES": str(rows),
    }


def _assert_routine_effects(world):
    """What one run of the routine leaves in the database, whichever client ran it."""
    indicator, second = world["indicators"]
    sent = Measurement.objects.filter(period_start=PERIOD[0], period_end=PERIOD[1]).order_by("indicator__code")
    assert [(m.indicator.code, m.value, m.status) for m in sent] == [
        (second.code, Decimal("37"), MeasurementStatus.SUBMITTED),
        (indicator.code, Decimal("1250"), MeasurementStatus.SUBMITTED),
    ], "the bulk submission (and its replay) must create exactly the period's two rows, submitted"
    returned = Measurement.objects.get(pk=world["returned"].pk)
    assert (returned.value, returned.source, returned.status) == (
        Decimal("12"),
        "Registre corrigé",
        MeasurementStatus.SUBMITTED,
    )
    assert returned.version == world["returned"].version + 2, "one correction (the 412 rewrote nothing) and one submit"
    old = Measurement.objects.get(pk=world["old"].pk)
    assert (old.status, old.version) == (MeasurementStatus.RETURNED, world["old"].version), (
        "returned before the last run: updated_since leaves it out"
    )


def test_partner_routine_of_the_docs_with_the_generated_python_client(generated, live_server, partner_world, tmp_path):
    script = tmp_path / "routine.py"
    script.write_text(routine_from_docs(), encoding="utf-8")
    rc, output = _run(
        [_tool(CLIENTS_BIN / "python"), str(script)],
        cwd=tmp_path,
        env={**_routine_env(live_server, partner_world, tmp_path), "PYTHONPATH": str(generated["dir"] / "py")},
    )
    assert rc == 0, f"the routine of docs/api.md failed with the generated Python client (exit {rc}):\n{output}"
    assert "2 valeur(s) envoyée(s), 1 corrigée(s)" in output, output
    _assert_routine_effects(partner_world)


def test_partner_routine_with_the_generated_typescript_client(generated, live_server, partner_world, tmp_path):
    compiled = generated["dir"] / "ts" / "out" / "routine.js"
    assert compiled.exists(), _listing("tsc did not emit routine.js; errors", _tsc_errors(generated))
    rc, output = _run([_node(), str(compiled)], cwd=tmp_path, env=_routine_env(live_server, partner_world, tmp_path))
    assert rc == 0, f"clients/routine.ts failed with the generated TypeScript client (exit {rc}):\n{output}"
    assert "2 valeur(s) envoyée(s), 1 corrigée(s)" in output, output
    _assert_routine_effects(partner_world)
