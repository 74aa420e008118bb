"""Production serves the documents (issue 12, item 2): gunicorn with the production
settings (``DJANGO_DEBUG=0``) on a SQLite database of its own — a partner uploads its
evidence through the API and reads it back from the same download view as under
``make run``, with the same headers; ``/media/`` answers 404. Then the same behind nginx
with ``X-Accel-Redirect``, configured by ``docs/nginx-documents.conf`` itself: nginx
sends the file, with the headers, and refuses ``/protected/`` to clients (skipped when
nginx is not installed). Marked slow: servers of their own (make test-slow)."""

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests import documents as samples
from tests.servers import free_port

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]
SANDBOX = "default-src 'none'; sandbox"


def request(url, *, method="GET", headers=None, body=None):
    """(status, body bytes, headers) without raising on 4xx/5xx."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def multipart(name, content):
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="change_reason"\r\n\r\nReleve signe\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def setup_data():
    """In the served database (manage.py shell): a partner, an indicator it reports, one
    draft measurement of its own; prints the token and the measurement's id."""
    import datetime as dt
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from artisanat.accounts.services import issue_token
    from artisanat.choices import OrganisationKind, Role
    from artisanat.models import Membership, Organisation
    from strategy import services
    from strategy.models import Axis, Indicator, Measurement, Strategy

    strategy = Strategy.objects.create(name="S", start_date=dt.date(2021, 1, 1), end_date=dt.date(2030, 12, 31))
    axis = Axis.objects.create(strategy=strategy, number=1, title="Axe")
    org = Organisation.objects.create(name="FCA", acronym="FCA", kind=OrganisationKind.CHAMBER)
    user = get_user_model().objects.create_user(username="partenaire", password=None)
    Membership.objects.create(user=user, organisation=org, role=Role.REPORTER)
    indicator = Indicator.objects.create(
        code="IND", name="I", axis=axis, unit="count", aggregation="sum",
        baseline_value=Decimal(0), baseline_date=dt.date(2020, 12, 31), baseline_source="x",
    )  # fmt: skip
    indicator.reporting_organisations.add(org)
    measurement = Measurement(
        indicator=indicator, organisation=org, value=Decimal("999999"),
        period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 12, 31),
    )  # fmt: skip
    services.save_measurement(measurement, by=user, reason="Saisie (test)")
    print(issue_token(user)[1], measurement.pk)


class Stack:
    def __init__(self, folder):
        self.folder = Path(folder)
        self.private = self.folder / "private"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ARTISANAT_", "GUNICORN_"))}
        self.env.pop("DATABASE_URL", None)
        self.env.update(
            DATABASE_URL=f"sqlite:///{self.folder / 'db.sqlite3'}",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_SSL_REDIRECT="0",
            DJANGO_SECURE_COOKIES="0",
            DJANGO_STATIC_ROOT=str(self.folder / "static"),
            DJANGO_MEDIA_ROOT=str(self.folder / "media"),
            ARTISANAT_PRIVATE_MEDIA_ROOT=str(self.private),
            GUNICORN_WORKERS="1",
        )
        self.processes = []

    def manage(self, *args):
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=PROJECT, env=self.env, capture_output=True, text=True,
            timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        return done.stdout

    def start(self, command, ready, **env):
        log = open(self.folder / f"{Path(command[0]).name}-{len(self.processes)}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(command, cwd=PROJECT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append((process, log))
        deadline = time.monotonic() + 60
        while True:
            try:
                if request(ready)[0] == 200:
                    return process
            except OSError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, Path(log.name).read_text()[-3000:]
            time.sleep(0.3)

    def gunicorn(self, **env):
        port = free_port()
        self.start(
            [str(Path(sys.executable).parent / "gunicorn")],
            f"http://127.0.0.1:{port}/healthz",
            GUNICORN_BIND=f"127.0.0.1:{port}",
            **env,
        )
        return f"127.0.0.1:{port}"

    def stop(self):
        for process, log in self.processes:
            process.terminate()
            process.wait(timeout=30)
            log.close()


@pytest.fixture(scope="module")
def stack():
    folder = tempfile.mkdtemp(prefix="artisanat-documents-")
    stack = Stack(folder)
    try:
        stack.manage("migrate", "--noinput", "-v", "0")
        stack.manage("collectstatic", "--noinput", "-v", "0")
        stack.token, stack.measurement = stack.manage(
            "shell", "-c", "from tests.artisanat.test_documents_served import setup_data; setup_data()"
        ).split()[-2:]
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(folder, ignore_errors=True)


def upload_and_url(stack, base, name):
    auth = {"Authorization": f"Token {stack.token}", "Accept": "application/json"}
    status, body, _ = request(f"{base}/api/v1/measurements/{stack.measurement}/", headers=auth)
    assert status == 200, body
    version = re.search(rb'"version":\s*(\d+)', body).group(1).decode()
    payload, content_type = multipart(name, samples.PDF)
    status, body, _ = request(
        f"{base}/api/v1/measurements/{stack.measurement}/evidence/",
        method="PUT",
        headers={**auth, "Content-Type": content_type, "If-Match": f'"{version}"'},
        body=payload,
    )
    assert status == 200, body
    return f"{base}/api/v1/measurements/{stack.measurement}/evidence/", {"Authorization": f"Token {stack.token}"}


def assert_served(status, body, headers, name):
    assert status == 200, body[:500]
    assert body == samples.PDF
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == SANDBOX


def test_gunicorn_in_production_settings_serves_the_evidence_through_the_view(stack):
    base = f"http://{stack.gunicorn()}"
    url, auth = upload_and_url(stack, base, "releve-prod.pdf")
    assert_served(*request(url, headers=auth), "releve-prod.pdf")
    assert request(url)[0] == 401  # the same address without a token
    stored = [p.relative_to(stack.private).as_posix() for p in stack.private.rglob("*.pdf")]
    assert stored and all(re.fullmatch(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", s) for s in stored)
    for path in (f"/media/{stored[0]}", f"/private/{stored[0]}", f"/{stored[0]}"):
        assert request(f"{base}{path}")[0] == 404, path


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(), reason="nginx absent")
def test_behind_nginx_with_x_accel_redirect_nginx_sends_the_file(stack):
    upstream = stack.gunicorn(ARTISANAT_DOCUMENT_X_ACCEL_REDIRECT="/protected/")
    port = free_port()
    site = (PROJECT / "docs" / "nginx-documents.conf").read_text()
    site = site.replace("127.0.0.1:8000", upstream).replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    site = site.replace("/srv/artisanat/private/", f"{stack.private}/")
    temp = stack.folder / "nginx"
    temp.mkdir(exist_ok=True)
    conf = temp / "nginx.conf"
    conf.write_text(
        f"daemon off;\nmaster_process off;\npid {temp}/nginx.pid;\nerror_log {temp}/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n include /etc/nginx/mime.types;\n access_log off;\n client_body_temp_path {temp}/body;\n"
        f" proxy_temp_path {temp}/proxy;\n fastcgi_temp_path {temp}/fastcgi;\n uwsgi_temp_path {temp}/uwsgi;\n"
        f" scgi_temp_path {temp}/scgi;\n{site}\n}}\n"
    )
    stack.start([shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(temp), "-c", str(conf), "-e", f"{temp}/error.log"],
                f"http://127.0.0.1:{port}/healthz")  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    url, auth = upload_and_url(stack, base, "releve-nginx.pdf")
    # Through nginx: the application decided, nginx sent the file.
    status, body, headers = request(url, headers=auth)
    assert_served(status, body, headers, "releve-nginx.pdf")
    # The application alone answers an empty body with X-Accel-Redirect…
    direct = request(f"http://{upstream}/api/v1/measurements/{stack.measurement}/evidence/", headers=auth)
    assert direct[0] == 200 and direct[1] == b""
    target = direct[2]["X-Accel-Redirect"]
    assert re.fullmatch(r"/protected/evidence/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", target)
    # … and that address is nobody's to ask for.
    assert request(f"{base}{target}", headers=auth)[0] == 404
    assert request(url)[0] == 401
