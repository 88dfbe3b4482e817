"""``GET /media/<sha256>.<ext>``: the media of approved drafts, for the platforms to fetch.

When the operator chooses the review site as the public media host
(``SCHEDULER_MEDIA_HOST=site``), the platforms that fetch images by URL (``media_by_url``)
fetch each image from here. These paths
need no sign-in (the platforms have none) and so answer for exactly one kind of file: one that
a draft shows in its current, approved content (its approved hash is its current hash, as the
ledger says) and that it has not yet finished with. Anything else is a 404 with nothing in it:
an unknown name, a draft not approved or changed since, a file edited on disk since it was
approved (the bytes are hashed again on every answer), and the bare ``/media/`` path (there is
no listing). Names are content hashes, so a name cannot be guessed without the bytes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from scheduler.campaign.paths import OutsideFolder, inside
from scheduler.ledger.base import Ledger
from scheduler.ledger.states import State
from scheduler.media.names import parse
from scheduler.web.workspace import Workspace

# An approved draft still needs its media until it is published or given up.
WAITING = (State.APPROVED, State.SCHEDULED, State.PUBLISHING, State.RETRY_WAIT)


class PublicMediaRoutes:
    """The public media of the campaigns in ``workspace``, as ``ledger`` has them approved."""

    def __init__(self, ledger: Ledger, workspace: Workspace) -> None:
        self.ledger = ledger
        self.workspace = workspace

    def routes(self) -> list[Route]:
        return [Route("/media/{name}", self.media, methods=["GET"])]

    def media(self, request: Request) -> Response:
        wanted = parse(request.path_params["name"])
        if wanted is not None:
            body = self.find(*wanted)
            if body is not None:
                return Response(body, media_type=wanted[1])
        return PlainTextResponse("Not found", status_code=404)

    def find(self, sha256: str, mime: str) -> bytes | None:
        """The bytes of an approved draft's media file with this digest and type, or None."""
        self.workspace.refresh()  # an edit on disk voids the approval before it is served
        for loaded in self.workspace.all():
            root = Path(loaded.campaign.root)
            for record in self.ledger.list(loaded.id, states=WAITING):
                if not record.is_approved:
                    continue
                for part in record.draft.parts:
                    for m in part.media:
                        if m.sha256 == sha256 and m.mime == mime:
                            body = _read(root, m.path)
                            if body is not None and hashlib.sha256(body).hexdigest() == sha256:
                                return body
        return None


def _read(root: Path, relative: str) -> bytes | None:
    try:
        return inside(root, root / relative).read_bytes()
    except (OutsideFolder, OSError):
        return None
