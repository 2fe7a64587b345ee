"""API v1 fuzzed from its own OpenAPI schema (schemathesis, property-based): every
operation gets generated valid and invalid requests, in-process through the WSGI app, with
a token holding every scope. No answer may be a server error, and every answer must be
what the schema says: a documented status, JSON, and a body matching its schema.

The examples per operation are bounded (FUZZ_EXAMPLES, default 40) so CI stays quick;
raise it for a longer hunt. The run is deterministic: Hypothesis derandomized (its seed
from each test's name) and without its example database, so the same code and schema
give the same requests every time and a failure is a failure of the code, not of the
draw; set FUZZ_SEED to an integer to explore other requests (each seed repeatable)."""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from core.models import ApiToken
from core.wsgi import application
from tests.factories import make_queue

# A request the schema calls invalid must be refused: with a 4xx that says what is wrong,
# or 413 where it breaks a stated limit (more files than UPLOAD_MAX_FILES, a body over
# MAX_REQUEST_BODY_BYTES), which schemathesis does not count as a refusal by default.
REJECTIONS = ["400", "401", "403", "404", "405", "409", "413", "415", "422"]
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}}
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 40))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    # Input the schema calls invalid must not be accepted (2xx).
    negative_data_rejection,
]


@pytest.fixture
def bearer(db):
    # As Django's test client does: the app must not close the test's database connection
    # at the end of each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield _token()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _token():
    make_queue(1, status="posted", code="")  # an invoice the payment endpoint can find
    _, secret = ApiToken.issue("fuzz", ["documents", "masterdata", "payments"])
    return {"Authorization": f"Bearer {secret}"}


SEED = os.environ.get("FUZZ_SEED")


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=SEED is None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@(seed(int(SEED)) if SEED is not None else (lambda test: test))
def test_the_api_keeps_its_schema_under_fuzzing(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)
