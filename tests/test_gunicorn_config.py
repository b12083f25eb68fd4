"""gunicorn.conf.py: what gunicorn itself writes to the access log for a staff search."""

import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.glogging import Logger

ROOT = Path(__file__).resolve().parents[1]


def test_the_access_log_keeps_no_query_string_or_referer(tmp_path):
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    config = Config()
    config.set("access_log_format", settings["access_log_format"])
    config.set("accesslog", str(tmp_path / "access.log"))
    search = "/staff/?q=N%C3%BA%C3%B1ez+04%2F12%2F1970"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": search,
        "PATH_INFO": "/staff/",
        "QUERY_STRING": search.partition("?")[2],
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.7",
        "HTTP_REFERER": "https://intake.clinic.example" + search,
        "HTTP_USER_AGENT": "Front desk browser",
    }
    response = SimpleNamespace(status="200 OK", sent=5120, headers=[])
    logger = Logger(config)
    logger.access(response, [], environ, timedelta(milliseconds=12))
    logger.close_on_exec()

    line = (tmp_path / "access.log").read_text()
    assert '"GET /staff/ HTTP/1.1" 200 5120 12ms "Front desk browser"' in line
    assert "192.0.2.7" in line
    assert "q=" not in line and "%C3" not in line and "1970" not in line


def test_gunicorn_itself_trusts_no_forwarded_header():
    """INTAKE_TRUSTED_PROXIES is the one setting that decides (the app's ProxyFix)."""
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    config = Config()
    config.set("forwarded_allow_ips", settings["forwarded_allow_ips"])
    config.set("secure_scheme_headers", settings["secure_scheme_headers"])
    assert config.forwarded_allow_ips == []
    assert config.secure_scheme_headers == {}
