"""The OpenAPI 3.1 document of the JSON API (served at /api/openapi.json)."""

from __future__ import annotations

from typing import Any

from scheduler import __version__
from scheduler.draft import HASH_PATTERN
from scheduler.web.bodies import MAX_BODY, MAX_DEPTH
from scheduler.web.pages import DECISION_FIELDS, MAX_FIELD

_ERROR = {"$ref": "#/components/schemas/Error"}
_HASH = {"type": "string", "minLength": 1, "pattern": HASH_PATTERN}
_BAD_ADDRESS = "the address holds a NUL (%00)"
_NO_NUL = "^[^\\u0000]*$"
_SOME_TEXT = "^[^\\u0000]*[^\\u0000\\s][^\\u0000]*$"
_TEXT_HELP = {
    "comment": "an optional comment kept with the approval",
    "reason": "why (required, not only spaces)",
    "text": "the comment (required, not only spaces)",
    "rule": "a care rule with a block finding on this version",
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _err(description: str) -> dict[str, Any]:
    return _json(_ERROR, description)


_PATH_PARAMS = [
    {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
    for n in ("campaign", "post", "account")
]


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


_STRING = {"type": "string"}
_OPTIONAL_STRING = {"type": ["string", "null"]}
_TIME = {"type": "string", "format": "date-time"}

_DRAFT: dict[str, Any] = {
    "campaign": _STRING,
    "post_id": _STRING,
    "account": _STRING,
    "platform": _STRING,
    "destination": {
        "type": ["object", "null"],
        "description": "where it goes, as approved",
        "properties": {
            "platform": _STRING,
            "host": _OPTIONAL_STRING,
            "identity": _OPTIONAL_STRING,
        },
    },
    "due": _TIME,
    "due_local": _TIME,
    "state": _STRING,
    "content_hash": _HASH,
    "approved_hash": {**_HASH, "type": ["string", "null"]},
    "approvals": _array({"$ref": "#/components/schemas/Approval"}),
    "content_warning": _OPTIONAL_STRING,
    "language": _OPTIONAL_STRING,
    "labels": _array(_STRING),
    "link": {
        "type": ["object", "null"],
        "required": ["url"],
        "properties": {"url": _STRING},
    },
    "care_mark": {"$ref": "#/components/schemas/CareMark"},
    "parts": _array({"$ref": "#/components/schemas/Part"}),
}

_PANEL: dict[str, Any] = {
    "required": {"type": "integer", "description": "approvals the policy needs"},
    "may_approve": {"type": "boolean", "description": "whether you may approve this draft"},
    "decisions": _array(
        {
            "type": "object",
            "required": ["kind", "name", "at", "comment", "earlier_version", "rule"],
            "properties": {
                "kind": _STRING,
                "name": _STRING,
                "at": _TIME,
                "comment": _OPTIONAL_STRING,
                "earlier_version": {"type": "boolean"},
                "rule": _OPTIONAL_STRING,
            },
        }
    ),
    "care": _array(
        {
            "type": "object",
            "required": ["rule", "severity", "message", "where", "excerpt"],
            "properties": {
                "rule": _STRING,
                "severity": _STRING,
                "message": _STRING,
                "where": _STRING,
                "excerpt": _STRING,
            },
        }
    ),
    "care_blocks_unresolved": _array(_STRING),
    "diff_since_approval": _array(
        {
            "type": "object",
            "required": ["kind", "text"],
            "properties": {"kind": _STRING, "text": _STRING},
        }
    ),
}


def _body(action: str) -> dict[str, Any]:
    """A decision's body exactly as the API checks it: no other fields, strings only."""
    fields = DECISION_FIELDS[action]
    properties: dict[str, Any] = {
        "content_hash": {
            **_HASH,
            "description": "the content_hash you reviewed; refused if the draft changed since",
        }
    }
    for name, required in fields.items():
        # No NUL anywhere (the ledger stores text); a required one not only whitespace.
        text: dict[str, Any] = {"type": "string", "maxLength": MAX_FIELD, "pattern": _NO_NUL}
        if required:
            text |= {"minLength": 1, "pattern": _SOME_TEXT}
        properties[name] = {**text, "description": _TEXT_HELP[name]}
    return {
        "type": "object",
        "required": ["content_hash", *(n for n, required in fields.items() if required)],
        "properties": properties,
        "additionalProperties": False,
    }


def _decision(name: str, summary: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "operationId": name,
            "parameters": [
                *_PATH_PARAMS,
                {
                    "name": "X-CSRF-Token",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "csrf_token from GET /api/session",
                },
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _body(name)}},
            },
            "responses": {
                "200": _json({"$ref": "#/components/schemas/Draft"}, "recorded; the draft now"),
                "400": _err(
                    "the address holds a NUL; a required field is missing or empty, the body "
                    "is not a JSON object of "
                    f"the fields above, nests deeper than {MAX_DEPTH} levels, or holds a "
                    "string that is not text (a NUL or a lone surrogate)"
                ),
                "401": _err("not signed in"),
                "403": _err("CSRF token missing or wrong, or the approval policy refuses you"),
                "404": _err("no such campaign (for you) or draft"),
                "409": _json(
                    {
                        "allOf": [
                            _ERROR,
                            {
                                "type": "object",
                                "properties": {"current": {"$ref": "#/components/schemas/Draft"}},
                            },
                        ]
                    },
                    "stale_hash: the draft changed since you saw it (current holds the new "
                    "version); or transition: not possible in the draft's state",
                ),
                "413": _err(f"the body is larger than {MAX_BODY // 1024} KiB"),
                "415": _err("the body is not application/json"),
            },
        }
    }


def document() -> dict[str, Any]:
    base = "/api/campaigns/{campaign}/drafts"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Campaign review API",
            "version": __version__,
            "description": "Read a campaign's drafts and approve, reject or comment on them, "
            "under the campaign's approval policy. Sign in through an invite link; the "
            "session cookie authenticates every request. Every POST needs the X-CSRF-Token "
            "header and a JSON body.",
        },
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "review_session"},
                "secureSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "__Host-review_session",
                },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "hint": {"type": ["string", "null"]},
                    },
                },
                "Approval": {
                    "type": "object",
                    "required": ["actor", "at", "comment"],
                    "properties": {
                        "actor": {"type": "string"},
                        "at": {"type": "string", "format": "date-time"},
                        "comment": {"type": ["string", "null"]},
                    },
                },
                "Part": {
                    "type": "object",
                    "required": ["text", "count", "limit", "media"],
                    "properties": {
                        "text": {"type": "string"},
                        "count": {"type": "integer"},
                        "limit": {"type": ["integer", "null"]},
                        "media": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["path", "alt", "mime", "url"],
                                "properties": {
                                    "path": {"type": "string"},
                                    "alt": {"type": "string"},
                                    "mime": {"type": "string"},
                                    "url": {"type": "string"},
                                },
                            },
                        },
                    },
                },
                "CareMark": {
                    "type": "object",
                    "description": "what the care lint says about this version, in brief: "
                    "block (a blocking finding stands, so it cannot be approved until it is "
                    "reworded or overridden), overridden (every blocking finding was "
                    "overridden for this version), warn (warnings only) or none",
                    "required": ["status", "blocks", "overridden", "warnings"],
                    "properties": {
                        "status": {
                            "type": "string",
                            "enum": ["block", "overridden", "warn", "none"],
                        },
                        "blocks": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "rules with a block finding not overridden",
                        },
                        "overridden": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "rules with a block finding overridden for this "
                            "version by someone other than the author",
                        },
                        "warnings": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "rules with a warning",
                        },
                    },
                },
                "Draft": {
                    "type": "object",
                    "required": list(_DRAFT),
                    "properties": _DRAFT,
                },
                "DraftDetail": {
                    "description": "a draft with its decisions, findings and the diff since "
                    "its approval",
                    "allOf": [
                        {"$ref": "#/components/schemas/Draft"},
                        {
                            "type": "object",
                            "required": list(_PANEL),
                            "properties": _PANEL,
                        },
                    ],
                },
            },
        },
        "security": [{"session": []}, {"secureSession": []}],
        "paths": {
            "/api/session": {
                "get": {
                    "summary": "who is signed in, and the CSRF token for POSTs",
                    "operationId": "session",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["email", "csrf_token", "expires_at", "campaigns"],
                                "properties": {
                                    "email": {"type": "string"},
                                    "csrf_token": {"type": "string"},
                                    "expires_at": {"type": "string", "format": "date-time"},
                                    "campaigns": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                            "the session",
                        ),
                        "401": _err("not signed in"),
                    },
                }
            },
            "/api/campaigns": {
                "get": {
                    "summary": "the campaigns you are on the team of",
                    "operationId": "campaigns",
                    "responses": {
                        "200": _json(
                            {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["id", "title", "timezone", "problem"],
                                    "properties": {
                                        "id": {"type": "string"},
                                        "title": {"type": "string"},
                                        "timezone": {"type": "string"},
                                        "problem": {"type": ["string", "null"]},
                                    },
                                },
                            },
                            "campaigns",
                        ),
                        "401": _err("not signed in"),
                    },
                }
            },
            base: {
                "get": {
                    "summary": "every draft of a campaign, each with its care mark",
                    "operationId": "drafts",
                    "parameters": _PATH_PARAMS[:1],
                    "responses": {
                        "200": _json(
                            {"type": "array", "items": {"$ref": "#/components/schemas/Draft"}},
                            "drafts",
                        ),
                        "400": _err(_BAD_ADDRESS),
                        "401": _err("not signed in"),
                        "404": _err("no such campaign for you"),
                    },
                }
            },
            base + "/{post}/{account}": {
                "get": {
                    "summary": "one draft with its decisions and the diff since its approval",
                    "operationId": "draft",
                    "parameters": _PATH_PARAMS,
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/DraftDetail"}, "the draft"),
                        "400": _err(_BAD_ADDRESS),
                        "401": _err("not signed in"),
                        "404": _err("no such campaign or draft"),
                    },
                }
            },
            **{
                base + "/{post}/{account}/" + action: _decision(action, summary)
                for action, summary in (
                    ("approve", "approve the version you reviewed"),
                    ("reject", "send the draft back with a reason"),
                    ("comment", "leave a comment on the version you reviewed"),
                    (
                        "override",
                        "record a reasoned override of a blocking care finding (not on your "
                        "own post)",
                    ),
                )
            },
        },
    }
