"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

import sys

from intake import create_app
from intake.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # One line that names the setting, not a traceback.
    sys.exit(f"intake: configuration error: {error}")
