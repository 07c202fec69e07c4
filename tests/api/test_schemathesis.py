"""Schemathesis against the app's own OpenAPI schema, every check, in-process with the fake embedder.

Each operation gets generated requests (schema-valid and schema-invalid ones) and every built-in check
runs on each answer: no 5xx, only documented statuses, answers that fit their schema, every
schema-valid request accepted, every schema-invalid one refused. Bounded: ``MAX_EXAMPLES`` requests per
operation and auth variant, derandomized so a run is the same every time.

Write endpoints (the live-writes branch adds them with an admin token in the settings) are covered by
the same test without and with the token: the app is built with :data:`ADMIN_TOKEN` as its
``admin_token`` setting (ignored while the setting does not exist), and each operation runs once per
entry of :data:`AUTH_VARIANTS`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from index.article_files import check_doc_id
from index.errors import BadArticle
from index.store import Index
from qa.pipeline import Pipeline
from qa.readers.evidence.reader import ReaderConfig, SentenceReader
from qa.settings import Settings
from tests.conftest import FakeEmbedder

MAX_EXAMPLES = 60
ADMIN_TOKEN = "schemathesis-admin-token-0123456789"
# The hook for the write endpoints: every operation runs with each of these header sets.
AUTH_VARIANTS: dict[str, dict[str, str]] = {
    "anonymous": {},
    "admin": {"Authorization": f"Bearer {ADMIN_TOKEN}"},
}
# A schema-violating body over the body limit is refused with 413: a refusal too. A write waits its turn behind
# the rebuilds the generated requests start (it is never refused for it): the read timeout leaves room for that
# on a busy machine.
CONFIG = SchemathesisConfig.from_str(
    """
request-timeout = 120

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
"""
)
CASES: list[str] = []  # one entry per request sent, for the count printed at the end


@pytest.fixture
def api_schema(built_index: Index, fake_embedder: FakeEmbedder, articles_dir: Path) -> Iterator[Any]:
    pipeline = Pipeline(built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig(no_answer_threshold=0.001)))
    app_settings = Settings(articles_dir=articles_dir, **{"admin_token": ADMIN_TOKEN})
    app = create_app(app_settings, pipeline=pipeline)
    yield schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
    asgi.shutdown_lifespans()  # schemathesis ran the app's lifespan on its first request: stop it


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """Schemathesis 4.32's lazy schema reads and sets ``node._nodeid``, which pytest 9.2 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


BOUNDED = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))


def _inverted_date_range(case: Case) -> bool:
    """The one rule the schema cannot state: ``date_from`` after ``date_to`` (a rule across two fields)."""
    body = case.body if isinstance(case.body, dict) else {}
    date_from, date_to = body.get("date_from"), body.get("date_to")
    return isinstance(date_from, str) and isinstance(date_to, str) and date_from > date_to


def _unfit_batch(case: Case) -> bool:
    """The rule of ``POST /documents`` the schema states in words only: an id that cannot name a file (Unicode
    categories, path parts: ``check_doc_id``, the folder's own rule, is the oracle). An id twice in one batch is
    accepted (the last one wins), so schema-valid batches holding one are checked like any other."""
    articles = case.body.get("articles") if isinstance(case.body, dict) else None
    if not isinstance(articles, list):
        return False
    ids = [str(a.get("id")) for a in articles if isinstance(a, dict)]
    for doc_id in ids:
        try:
            check_doc_id(doc_id)
        except BadArticle:
            return True
    return False


def check(case: Case, variant: str) -> None:
    CASES.append(f"{variant} {case.operation.label}")
    headers = AUTH_VARIANTS[variant]
    if case.path == "/documents" and case.method.upper() == "POST" and _unfit_batch(case):
        response = case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
        assert response.status_code in (401, 403, 422)  # refused, whoever asks
        return
    if case.path == "/ask" and _inverted_date_range(case):
        response = case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
        assert response.status_code in (404, 422)  # a 404 when doc_ids names no article: checked first
        return
    case.call_and_validate(headers=headers)


# One test per entry of AUTH_VARIANTS (schemathesis's lazy schema cannot be parametrized further).
@schema.parametrize()
@BOUNDED
def test_api_conforms_to_its_schema_anonymously(case: Case) -> None:
    check(case, "anonymous")


@schema.parametrize()
@BOUNDED
def test_api_conforms_to_its_schema_with_the_admin_token(case: Case) -> None:
    check(case, "admin")


def test_schemathesis_sent_requests() -> None:
    """Runs after the generated tests (same module, file order): they did send requests."""
    if not CASES:
        pytest.skip("run with the generated tests to count their requests")
    print(f"\nschemathesis: {len(CASES)} requests over {len(set(CASES))} operations x auth variants")
    assert len(CASES) >= 4 * len(AUTH_VARIANTS) * 10
