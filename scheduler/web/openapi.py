"""The OpenAPI 3.1 document of the JSON API (served at /api/openapi.json)."""

from __future__ import annotations

from typing import Any

from scheduler import __version__

_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _err(description: str) -> dict[str, Any]:
    return _json(_ERROR, description)


_PATH_PARAMS = [
    {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
    for n in ("campaign", "post", "account")
]


def _decision(name: str, body: dict[str, Any], summary: str) -> dict[str, Any]:
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
                "content": {"application/json": {"schema": body}},
            },
            "responses": {
                "200": _json({"$ref": "#/components/schemas/Draft"}, "recorded; the draft now"),
                "400": _err("a required field is missing or the body is malformed"),
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
                "415": _err("the body is not application/json"),
            },
        }
    }


def document() -> dict[str, Any]:
    base = "/api/campaigns/{campaign}/drafts"
    hash_prop = {
        "type": "string",
        "description": "the content_hash you reviewed; refused if the draft changed since",
    }
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
                    "properties": {
                        "actor": {"type": "string"},
                        "at": {"type": "string", "format": "date-time"},
                        "comment": {"type": ["string", "null"]},
                    },
                },
                "Part": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string"},
                        "count": {"type": "integer"},
                        "limit": {"type": ["integer", "null"]},
                        "media": {
                            "type": "array",
                            "items": {
                                "type": "object",
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
                    "properties": {
                        "campaign": {"type": "string"},
                        "post_id": {"type": "string"},
                        "account": {"type": "string"},
                        "platform": {"type": "string"},
                        "destination": {
                            "type": ["object", "null"],
                            "properties": {
                                "platform": {"type": "string"},
                                "host": {"type": ["string", "null"]},
                                "identity": {"type": ["string", "null"]},
                            },
                        },
                        "due": {"type": "string", "format": "date-time"},
                        "due_local": {"type": "string", "format": "date-time"},
                        "state": {"type": "string"},
                        "content_hash": {"type": "string"},
                        "approved_hash": {"type": ["string", "null"]},
                        "approvals": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Approval"},
                        },
                        "content_warning": {"type": ["string", "null"]},
                        "language": {"type": ["string", "null"]},
                        "labels": {"type": "array", "items": {"type": "string"}},
                        "link": {"type": ["object", "null"]},
                        "care_mark": {"$ref": "#/components/schemas/CareMark"},
                        "care": {
                            "type": "array",
                            "items": {"type": "object"},
                            "description": "every finding (GET of one draft only)",
                        },
                        "care_blocks_unresolved": {"type": "array", "items": {"type": "string"}},
                        "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Part"}},
                    },
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
                        "200": _json({"$ref": "#/components/schemas/Draft"}, "the draft"),
                        "401": _err("not signed in"),
                        "404": _err("no such campaign or draft"),
                    },
                }
            },
            base + "/{post}/{account}/approve": _decision(
                "approve",
                {
                    "type": "object",
                    "required": ["content_hash"],
                    "properties": {"content_hash": hash_prop, "comment": {"type": "string"}},
                },
                "approve the version you reviewed",
            ),
            base + "/{post}/{account}/reject": _decision(
                "reject",
                {
                    "type": "object",
                    "required": ["content_hash", "reason"],
                    "properties": {"content_hash": hash_prop, "reason": {"type": "string"}},
                },
                "send the draft back with a reason",
            ),
            base + "/{post}/{account}/comment": _decision(
                "comment",
                {
                    "type": "object",
                    "required": ["content_hash", "text"],
                    "properties": {"content_hash": hash_prop, "text": {"type": "string"}},
                },
                "leave a comment on the version you reviewed",
            ),
            base + "/{post}/{account}/override": _decision(
                "override",
                {
                    "type": "object",
                    "required": ["content_hash", "rule", "reason"],
                    "properties": {
                        "content_hash": hash_prop,
                        "rule": {
                            "type": "string",
                            "description": "a care rule with a block finding on this version",
                        },
                        "reason": {"type": "string"},
                    },
                },
                "record a reasoned override of a blocking care finding (not on your own post)",
            ),
        },
    }
