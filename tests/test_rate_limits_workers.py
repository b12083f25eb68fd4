"""The documented limits hold exactly under gunicorn's several workers, as `make run` serves.

Each request goes on a new connection, so gunicorn hands them to whichever worker is free;
the counts live in the database (INTAKE_RATELIMIT_STORAGE_URL=database, the default), so
the workers count together. With each worker's own memory, two workers let twice through.
"""

import http.client
import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest

from testkit.factories import make_staff
from testkit.gunicorn_server import serve
from tests.conftest import TEST_SECRET_KEY

WORKERS = 2


def _request(url: str, method: str, path: str, cookie: str = "", body: dict | None = None):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Cookie": cookie} if cookie else {}
    data = None
    if body is not None:
        data = urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    return response, text


def _form(url: str, path: str) -> tuple[str, str]:
    """A page's CSRF token and the session cookie that goes with it."""
    response, text = _request(url, "GET", path)
    cookie = SimpleCookie(response.getheader("Set-Cookie"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text).group(1)
    return token, "; ".join(f"{k}={v.value}" for k, v in cookie.items())


@pytest.mark.backends("sqlite", "postgresql")
def test_login_and_start_limits_hold_across_workers(app, database_url, tmp_path):
    with app.app_context():
        make_staff()
    environment = {
        "INTAKE_ENV": "testing",
        "INTAKE_SECRET_KEY": TEST_SECRET_KEY,
        "INTAKE_DATABASE_URL": database_url,
        "INTAKE_RATELIMIT_STORAGE_URL": "database",
        "INTAKE_KIOSK_START_RATE_LIMIT": "4 per minute",
    }
    with serve(environment, workers=WORKERS, log=tmp_path / "gunicorn.log") as server:
        token, cookie = _form(server.url, "/staff/login")
        wrong = {"email": "staff@example.org", "password": "wrong password!", "csrf_token": token}
        statuses = [
            _request(server.url, "POST", "/staff/login", cookie, wrong)[0].status for _ in range(12)
        ]
        token, cookie = _form(server.url, "/")
        starts = [
            _request(server.url, "POST", "/start", cookie, {"csrf_token": token})[0].status
            for _ in range(8)
        ]
    # Five password checks for one account from one address, whichever worker answered.
    assert statuses == [200] * 5 + [429] * 7
    assert starts == [303] * 4 + [429] * 4
