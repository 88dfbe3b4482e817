"""The JSON Schemas themselves: valid schemas, and strict enough to catch a wrong document."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator, ValidationError

from scheduler.cli.jsonout import error, schema
from scheduler.errors import CampaignError, UsageError
from scheduler.ledger import LedgerUnavailable
from tests.cli.shapes import COMMANDS, NAMES, validate


@pytest.mark.parametrize("name", NAMES)
def test_each_schema_is_a_valid_json_schema(name: str) -> None:
    Draft202012Validator.check_schema(schema(name))
    assert schema(name)["$id"] == f"urn:scheduler:json:{name}"


def test_every_reporting_command_has_a_schema() -> None:
    assert set(COMMANDS) >= {"check", "preview", "plan", "review", "approve", "accounts-check"}


@pytest.mark.parametrize(
    "document",
    [
        {"ok": False, "error": {"kind": "UsageError", "message": "x", "hint": None}},
        {"ok": True, "error": {}, "problems": []},
        {
            "ok": False,
            "error": {"kind": "CampaignError", "message": "1", "hint": None, "retryable": False},
            "problems": [{"path": "c.yaml", "line": "3", "col": 1, "where": "", "message": "m"}],
        },
    ],
)
def test_the_error_shape_refuses_what_it_does_not_document(document: object) -> None:
    with pytest.raises(ValidationError):
        validate("error", document)


def test_times_must_be_utc_with_z_and_local_with_an_offset() -> None:
    base = {"campaign": "c", "timezone": "Europe/London", "dst_changes": []}
    row = {
        "post": "p",
        "local": "2026-05-11T08:30:00+01:00",
        "utc": "2026-05-11T07:30:00Z",
        "weekday": "Monday",
        "accounts": ["a"],
        "source": "c.yaml:3",
        "flags": [],
    }
    validate("plan", {**base, "posts": [row]})
    for wrong in ({"utc": "2026-05-11T07:30:00+00:00"}, {"local": "2026-05-11T08:30:00"}):
        with pytest.raises(ValidationError):
            validate("plan", {**base, "posts": [{**row, **wrong}]})


@pytest.mark.parametrize(
    ("exc", "kind", "retryable"),
    [
        (UsageError("no post 'x'", hint="did you mean 'y'?"), "UsageError", False),
        (LedgerUnavailable("the ledger is locked"), "LedgerUnavailable", True),
        (CampaignError([]), "CampaignError", False),
        (RuntimeError("boom"), "bug", False),
    ],
)
def test_every_failure_becomes_an_error_document(
    exc: BaseException, kind: str, retryable: bool
) -> None:
    document = error(exc)
    validate("error", document)
    assert document["error"]["kind"] == kind
    assert document["error"]["retryable"] is retryable
