"""gunicorn's settings for Intake, read from the project folder: by `make run`, and by the
systemd unit in docs/deploying.md (its WorkingDirectory is the project).

An access log line names the path, never the query string or the Referer: the staff search
sends names and dates of birth as query parameters, and a log is no place for them.

Which forwarded headers to believe is decided in one place, the app (INTAKE_TRUSTED_PROXIES,
werkzeug's ProxyFix). gunicorn on its own believes X-Forwarded-Proto from loopback, so with
INTAKE_TRUSTED_PROXIES=0 anything on the machine could still have a plain-HTTP request taken
for HTTPS; here gunicorn believes no forwarded header from anyone.
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
