"""gunicorn's settings for Intake, read from the project folder: by `make run`, and by the
systemd unit in docs/deploying.md (its WorkingDirectory is the project).

An access log line names the path, never the query string or the Referer: the staff search
sends names and dates of birth as query parameters, and a log is no place for them.
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
