"""Schemathesis drives a running server from its own OpenAPI schema, signed in with a bearer
token: no server errors, every status code documented, every answer shaped as documented, and
data the schema forbids refused. Bounded (8 examples per operation and generation mode, a fixed
seed, one run of schemathesis's engine against one live server) so that `make test` runs it in
CI; CIRCLEMART_SCHEMATHESIS_COVERAGE=1 adds the coverage phase (every parameter's boundaries)."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis.engine import from_schema
from schemathesis.engine.events import EngineFinished, FatalError, NonFatalError

from circlemart.accounts.services import token_pair_issue
from circlemart.config.api import api
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.slow

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
]
# Operations that end the caller's token: they run last, with a token of their own.
TOKEN_ENDERS = r"^/api/v1/auth/(logout|logout-all)$"


def settings_for(live_server_url: str, token: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": 20261206,
            "base-url": live_server_url,
            "headers": {"Authorization": f"Bearer {token}"},
            "workers": 1,
            "request-timeout": 30,
            "generation": {
                "mode": "all",  # positive and negative
                "max-examples": 8,
                "deterministic": True,
                # The token is ours (above), not generated; unknown query parameters are
                # ignored, as most APIs do, and the schema does not promise otherwise.
                "with-security-parameters": False,
                "allow-extra-parameters": False,
            },
            # The coverage phase (boundary values of every parameter, ~4,500 requests, four
            # minutes) runs with CIRCLEMART_SCHEMATHESIS_COVERAGE=1; CI runs the examples and
            # the bounded fuzzing.
            "phases": {
                "coverage": {"enabled": os.environ.get("CIRCLEMART_SCHEMATHESIS_COVERAGE") == "1"},
                "stateful": {"enabled": False},
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )


def run(schema: Any) -> list[str]:
    """Every failure and error of one engine run, as readable lines."""
    problems = []
    finished = None
    for event in from_schema(schema).execute():
        if isinstance(event, NonFatalError | FatalError):
            problems.append(
                f"error: {getattr(event, 'label', '')} {getattr(event, 'value', event)}"
            )
        if isinstance(event, EngineFinished):
            finished = event
    assert finished is not None
    problems.extend(
        f"{failure.operation}: {failure.title} — {failure.message}" for failure in finished.failures
    )
    return problems


def test_the_served_schema_is_the_one_tested(live_server):
    served = requests.get(f"{live_server.url}/api/v1/openapi.json", timeout=30).json()

    assert served == json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))


def test_the_api_keeps_the_promises_of_its_schema(live_server):
    document = requests.get(f"{live_server.url}/api/v1/openapi.json", timeout=30).json()
    everyday = schemathesis.openapi.from_dict(
        document,
        config=settings_for(live_server.url, token_pair_issue(user=UserFactory()).access_token),
    ).exclude(path_regex=TOKEN_ENDERS)
    enders = schemathesis.openapi.from_dict(
        document,
        config=settings_for(live_server.url, token_pair_issue(user=UserFactory()).access_token),
    ).include(path_regex=TOKEN_ENDERS)

    problems = run(everyday) + run(enders)

    assert problems == []
