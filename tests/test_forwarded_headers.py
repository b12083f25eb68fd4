"""Forwarded headers count only as INTAKE_TRUSTED_PROXIES says, under gunicorn as served.

gunicorn by itself believes X-Forwarded-Proto from loopback; gunicorn.conf.py turns that off,
so a plain-HTTP request is never taken for HTTPS unless a proxy is declared.
"""

import http.client
from urllib.parse import urlsplit

import pytest

from testkit.gunicorn_server import serve
from tests.conftest import TEST_SECRET_KEY

pytestmark = pytest.mark.backends("sqlite")


def _get(url: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", "/staff/login", headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.parametrize(("proxies", "believed"), [("0", False), ("1", True)])
def test_x_forwarded_proto_counts_only_behind_a_declared_proxy(
    database_url, tmp_path, proxies, believed
):
    environment = {
        "INTAKE_ENV": "testing",
        "INTAKE_SECRET_KEY": TEST_SECRET_KEY,
        "INTAKE_DATABASE_URL": database_url,
        "INTAKE_TRUSTED_PROXIES": proxies,
    }
    with serve(environment, workers=1, log=tmp_path / "gunicorn.log") as server:
        response = _get(server.url, {"X-Forwarded-Proto": "https"})
    assert response.status == 200
    # HSTS is sent on HTTPS responses only: it says which scheme the app believed.
    assert (response.getheader("Strict-Transport-Security") is not None) is believed
