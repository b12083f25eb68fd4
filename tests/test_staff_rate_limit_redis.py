"""The login limit lives in Redis when several workers serve: a new worker sees earlier failures."""

import os
import secrets

import pytest
import redis

from intake import create_app
from intake.extensions import db
from tests.staff_support import add_staff, log_in

REDIS_URL = os.environ.get("INTAKE_TEST_REDIS_URL", "")
REQUIRE_REDIS = os.environ.get("INTAKE_TEST_REQUIRE_REDIS") == "1"

pytestmark = [
    pytest.mark.backends("sqlite"),
    pytest.mark.skipif(
        not REDIS_URL and not REQUIRE_REDIS, reason="INTAKE_TEST_REDIS_URL is not set"
    ),
]


@pytest.fixture
def worker(app):
    """Builds app instances ("workers") that share one Redis for rate limits."""
    assert REDIS_URL, "INTAKE_TEST_REDIS_URL must be set"
    prefix = f"intake-test-{secrets.token_hex(6)}"
    built = []

    def build():
        instance = create_app(
            {"TESTING": True, "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
        )
        built.append(instance)
        return instance

    yield build
    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(f"{prefix}*"):
        connection.delete(key)
    for instance in built:
        with instance.app_context():
            db.engine.dispose()


def test_failures_counted_by_one_worker_block_the_next(app, worker):
    add_staff(app)
    first = worker().test_client()
    for _ in range(5):
        assert log_in(first, email="staff@example.org", password="wrong!").status_code == 200
    # A worker started afresh knows nothing in memory: the count must come from Redis.
    second = worker().test_client()
    assert log_in(second).status_code == 429
    assert log_in(second, environ_base={"REMOTE_ADDR": "192.0.2.99"}).status_code == 302
