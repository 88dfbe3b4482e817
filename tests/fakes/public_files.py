"""A public media host for tests: each image handed to ``url_for`` is served from a loopback
HTTP server under its content hash, as a platform that fetches images (Threads) would fetch
it. It implements ``scheduler.platforms.public_media.PublicMedia``, checking each URL answers
with the file's bytes and type before returning it, as the protocol asks."""

from __future__ import annotations

import urllib.request

from scheduler.platforms.base import MediaUpload, Transient
from tests.fakes.base import FakeServer, Request, Response, route

FILES = "/media/{name}"


class PublicFiles(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, tuple[bytes, str]] = {}
        self.handed: list[str] = []  # every URL given out, in order

    @route("GET", FILES)
    def serve(self, request: Request) -> Response:
        with self.lock:
            found = self.files.get(request.params["name"])
        if found is None:
            return Response(404, b"not found", {"Content-Type": "text/plain"})
        data, mime = found
        return Response(200, data, {"Content-Type": mime})

    def url_for(self, upload: MediaUpload, *, account: str) -> str:
        data = upload.file.read_bytes()
        name = upload.sha256 + "." + upload.mime.split("/")[-1]
        with self.lock:
            self.files[name] = (data, upload.mime)
        url = f"{self.base_url}/media/{name}"
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                same = answer.read() == data and answer.headers["Content-Type"] == upload.mime
        except OSError as exc:
            raise Transient(f"the public copy of {upload.file.name} cannot be read") from exc
        if not same:
            raise Transient(f"the public copy of {upload.file.name} is not the file")
        self.handed.append(url)
        return url
