"""A stand-in public media host for tests: serves, on loopback, exactly the images handed to
``url_for`` under content-addressed names, and checks each URL answers before returning it,
as ``scheduler.platforms.public_media.PublicMedia`` requires."""

from __future__ import annotations

import urllib.request

from scheduler.platforms.base import MediaUpload, Transient
from tests.fakes.base import FakeServer, Request, Response, route

MEDIA = "/media/{name}"


class LoopbackMedia(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, tuple[bytes, str]] = {}  # name -> (bytes, content type)

    @route("GET", MEDIA)
    def serve(self, request: Request) -> Response:
        with self.lock:
            found = self.files.get(request.params["name"])
        if found is None:
            return Response(404, b"not found", {"Content-Type": "text/plain"})
        data, mime = found
        return Response(200, data, {"Content-Type": mime})

    def url_for(self, upload: MediaUpload, *, account: str) -> str:
        data = upload.file.read_bytes()
        name = upload.sha256 + {"image/jpeg": ".jpg", "image/png": ".png"}.get(upload.mime, "")
        with self.lock:
            self.files[name] = (data, upload.mime)
        url = f"{self.base_url}/media/{name}"
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                same = answer.read() == data and answer.headers["Content-Type"] == upload.mime
        except OSError as exc:
            raise Transient(f"the media host does not answer for {name}") from exc
        if not same:
            raise Transient(f"the media host answers wrongly for {name}")
        return url
