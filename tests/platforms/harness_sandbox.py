"""The sandbox outbox as a contract-suite platform: faults come from the account settings."""

from __future__ import annotations

import json
from typing import ClassVar

from scheduler.platforms.base import AccountSpec
from scheduler.platforms.sandbox import folder_name
from tests.platforms.harness import Harness, Posted


class SandboxHarness(Harness):
    lookup_faults = ()  # a local folder: the lookup is exact
    name = "sandbox"
    # What a local outbox can fail with: the kinds the sandbox injects through its settings.
    faults = ("rate_limited", "server_error", "drop_after")
    supports_cw = True
    _KINDS: ClassVar[dict[str, str]] = {
        "rate_limited": "rate_limited",
        "server_error": "transient",
        "drop_after": "outcome_unknown",
        "auth": "auth",
        "invalid": "invalid",
        "forbidden": "forbidden",
    }

    def start(self) -> None:
        self.settings: dict[str, str] = {"retry_after": "300"}

    def stop(self) -> None:
        pass

    def spec(self) -> AccountSpec:
        return AccountSpec(self.account, "sandbox", dict(self.settings))

    def env(self) -> dict[str, str]:
        return {}

    def inject(self, fault: str, *, at: int = 0) -> None:
        # Parts are numbered from the first one not yet published; `at` counts from there.
        self.settings.update(fail_first=self._KINDS[fault], fail_part=str(at), fail_times="1")

    def inject_error(self, kind: str, *, echo_secret: bool = False) -> None:
        self.inject(kind)

    def posted(self) -> list[Posted]:
        folder = self.outbox / folder_name(self.account)
        documents = [json.loads(p.read_text()) for p in folder.glob("*.json")]
        documents.sort(key=lambda d: (d["due"], d["part_index"]))
        return [
            Posted(
                remote_id=d["remote_id"],
                text=d["request"]["text"],
                reply_to=d["request"]["in_reply_to"],
                media_alts=tuple(m["alt"] for m in d["request"]["media"]),
                content_warning=d["request"]["content_warning"],
            )
            for d in documents
        ]


HARNESS = SandboxHarness
