"""docs/portal-openapi.yaml against the sandbox, with schemathesis (property-based API tests).

Every operation of the document is exercised in the default and in the strict sandbox, with
schemathesis' examples, coverage and fuzzing phases (a fixed seed, bounded examples, no
deadline): no 5xx, every answer conforms to the documented status codes, content types and
schemas, valid requests are accepted, invalid ones refused, undeclared methods get 405 with
``Allow``, and a missing or wrong secret is always 401.
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
import yaml
from conftest import END_MONTH, SECRET, SEED
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from portal_reports.sandbox import Sandbox

DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "portal-openapi.yaml"
FUZZ_SEED = 20260913  # fixed: the same cases on every run
MAX_EXAMPLES = 25  # per operation and phase
# What the strict sandbox accepts where the document says `format: date-time`: UTC only, as
# YYYY-MM-DDTHH:MM:SSZ (days up to 28, so every generated value is a real date).
STRICT_DATE_TIME = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$"
)
STRICT_CONNECTOR = r"^[A-Za-z0-9_.-]+$"
# Valid by the document yet refused for a reason a schema cannot express (documented there):
# a range that ends before it starts, and a PUT whose value does not fit its value_type.
CROSS_FIELD_REFUSALS = {(400, "Invalid datetime range"), (422, "Invalid attribute")}


def document(strict: bool) -> dict:
    """The OpenAPI document; for the strict sandbox with its narrower date-times and connectors."""
    doc = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    if not strict:
        return doc
    doc = copy.deepcopy(doc)
    for item in doc["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema", {})
                if schema.get("format") == "date-time":
                    parameter["schema"] = {"type": "string", "pattern": STRICT_DATE_TIME}
                if parameter.get("name") == "connectors":
                    schema["items"]["pattern"] = STRICT_CONNECTOR
    return doc


def test_the_document_is_the_spec():
    doc = document(strict=False)
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/api/v1/bff/sessions",
        "/api/v1/bff/sessions/info",
        "/api/v1/bff/customer/attributes",
        "/api/v1/customer/attributes/{attribute_id}",
    }
    assert doc["components"]["securitySchemes"]["portalSecret"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-portal-secret",
        "description": "Your unique secret key. Missing or wrong gives 401.",
    }
    # the strict variant really narrows something
    strict = document(strict=True)
    listing = strict["paths"]["/api/v1/bff/sessions"]["get"]["parameters"]
    sessions = {p["name"]: p for p in listing if "name" in p}
    assert sessions["from_datetime"]["schema"]["pattern"] == STRICT_DATE_TIME
    assert sessions["connectors"]["schema"]["items"]["pattern"] == STRICT_CONNECTOR


def load(strict: bool, *, secret: str | None = SECRET) -> schemathesis.BaseSchema:
    """The document loaded by schemathesis with a fixed seed and bounded examples, sending
    ``secret`` as the document's security scheme says (schemathesis leaves it out, or spoils
    it, where it tests that the secret is enforced)."""
    settings = {"seed": FUZZ_SEED, "generation": {"max-examples": MAX_EXAMPLES}}
    if secret is not None:
        settings["auth"] = {"openapi": {"portalSecret": {"api_key": secret}}}
    config = schemathesis.Config.from_dict(settings)
    return schemathesis.openapi.from_dict(document(strict), config=config)


default_api, strict_api = load(strict=False), load(strict=True)
# the same without the secret, to send requests without it or with a wrong one
default_anonymous, strict_anonymous = load(False, secret=None), load(True, secret=None)


@pytest.fixture(scope="module")
def portal(request):
    """A small private sandbox (schemathesis PUTs change its attributes), "default" or
    "strict" (tests name it with ``indirect`` parametrization, which also gives each
    schemathesis item a node id of its own: pytest 9.2 drops the operation from it)."""
    strict = request.param == "strict"
    with Sandbox(
        seed=SEED, end_month=END_MONTH, months=1, scale=0.1, secret=SECRET, strict=strict
    ) as sb:
        yield sb


DEFAULT = pytest.mark.parametrize("portal", ["default"], indirect=True)
STRICT = pytest.mark.parametrize("portal", ["strict"], indirect=True)


HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def answers_as_documented(case, url: str) -> None:
    response = case.call(base_url=url)
    excluded = []
    if response.status_code in (400, 422):
        reason = response.json().get("reason")
        if (response.status_code, reason) in CROSS_FIELD_REFUSALS:
            excluded.append(positive_data_acceptance)
    case.validate_response(response, excluded_checks=excluded)


@default_api.parametrize()
@DEFAULT
@HYPOTHESIS
def test_the_default_sandbox_answers_as_documented(case, portal):
    answers_as_documented(case, portal.url)


@strict_api.parametrize()
@STRICT
@HYPOTHESIS
def test_the_strict_sandbox_answers_as_documented(case, portal):
    answers_as_documented(case, portal.url)


def refuses_without_the_secret(case, url: str) -> None:
    """The generated request sent without the secret, then with wrong ones: always 401."""
    kwargs = case.as_transport_kwargs(base_url=url)  # method, url, params, headers, body
    headers = {k: v for k, v in kwargs.pop("headers").items() if k.lower() != "x-portal-secret"}
    for secret in (None, "", "wrong-" + SECRET, SECRET[:-1], SECRET.upper()):
        sent = headers if secret is None else {**headers, "x-portal-secret": secret}
        response = requests.request(**kwargs, headers=sent, timeout=10)
        assert response.request.headers.get("x-portal-secret") == secret
        assert response.status_code == 401, (secret is None, response.text)
        assert response.json()["reason"] == "Invalid or missing x-portal-secret"
        assert SECRET not in response.text


@default_anonymous.parametrize()
@DEFAULT
@settings(HYPOTHESIS, max_examples=10)
def test_a_missing_or_wrong_secret_is_always_401(case, portal):
    refuses_without_the_secret(case, portal.url)


@strict_anonymous.parametrize()
@STRICT
@settings(HYPOTHESIS, max_examples=10)
def test_a_missing_or_wrong_secret_is_always_401_in_strict_mode(case, portal):
    refuses_without_the_secret(case, portal.url)


@pytest.mark.parametrize("portal", ["default", "strict"], indirect=True)
def test_schemathesis_really_exercised_the_sandbox(portal):
    # runs after the property tests of its sandbox (pytest groups tests by the module-scoped
    # parameter): a run that sent next to nothing, or never tried the other methods, would
    # pass them without proving anything
    seen = Counter(r.method for r in portal.requests)
    paths = {urlsplit(r.path).path.rsplit("/", 1)[0] for r in portal.requests}
    assert sum(seen.values()) > 1000, seen
    assert seen["GET"] > 500 and seen["PUT"] > 100, seen
    assert {"OPTIONS", "TRACE", "POST", "DELETE", "PATCH"} <= set(seen), seen
    assert {"/api/v1/bff", "/api/v1/bff/sessions", "/api/v1/bff/customer"} <= paths
    assert "/api/v1/customer/attributes" in paths
