"""Each platform's colour on the review pages, from its descriptor.

The pages link this stylesheet next to review.css: one rule per platform with a colour sets
the custom properties review.css reads (``--platform`` for the preview's top border, and
``--tag`` where the platform shows hashtags and mentions in its colour). A platform without
a colour keeps the neutral one. Styles come from a file, never an attribute: the pages'
Content-Security-Policy allows only stylesheets from the site.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from scheduler import descriptors

PATH = "/static/platforms.css"
# What may reach the stylesheet: a class-name-safe platform name and a hex colour.
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def stylesheet() -> str:
    rules = ["/* Platform colours, from each platform's descriptor. */"]
    for d in descriptors.descriptors():
        if d.colour is None or not _NAME.fullmatch(d.name) or not _HEX.fullmatch(d.colour):
            continue
        tag = f" --tag: {d.colour};" if d.colour_tags else ""
        rules.append(f".preview-{d.name} {{ --platform: {d.colour};{tag} }}")
    return "\n".join(rules) + "\n"


async def _serve(request: Request) -> Response:
    return Response(stylesheet(), media_type="text/css")


def route() -> Route:
    return Route(PATH, _serve, methods=["GET", "HEAD"])
