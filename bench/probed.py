"""``scheduler`` with a probe on the account gate: ``python -m bench.probed run ...``.

bench.reliability runs its daemons through this, to tell a request that was in flight when
an account's pause was stored from one that passed the gate after it. Nothing changes in
what the daemon does; the probe only notes times, on the system clock of the machine the
daemons and the fake servers share:

* each request that passes ``LedgerGate.before`` carries, in an ``X-Gate-Probe`` header,
  when that check began and when it ended (epoch seconds), so the fake server keeps them
  beside the request's arrival;
* each pause stored through ``LedgerGate.pause`` (every pause the daemon writes: a 429, a
  spent window, a quota, a lookup rate limited) is one ``gate_probe`` JSON line with the
  moment the ledger's write had returned (committed) and the pause's end.

A request without the header did not pass the gate at all.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import datetime
from typing import Any

HEADER = "X-Gate-Probe"

_local = threading.local()
_lock = threading.Lock()


def install() -> None:
    import requests

    from scheduler.daemon.gate import LedgerGate

    before, pause, send = LedgerGate.before, LedgerGate.pause, requests.Session.send

    def probed_before(self: LedgerGate, account: str, platform: str, kind: str) -> None:
        _local.checked = None
        began = time.time()
        before(self, account, platform, kind)  # AccountPaused propagates: nothing is sent
        _local.checked = f"{began:.6f},{time.time():.6f}"

    def probed_pause(
        self: LedgerGate, account: str, until: datetime, *, reason: str, source: str
    ) -> Any:
        began = time.time()
        stored = pause(self, account, until, reason=reason, source=source)
        line = {
            "gate_probe": "pause_stored",
            "account": account,
            "began": round(began, 6),
            "stored": round(time.time(), 6),
            "until": stored.until.timestamp(),
            "source": source,
        }
        with _lock:
            sys.stderr.write(json.dumps(line) + "\n")
            sys.stderr.flush()
        return stored

    def probed_send(self: requests.Session, request: Any, **kwargs: Any) -> Any:
        checked = getattr(_local, "checked", None)
        _local.checked = None  # one check, one request
        if checked is not None:
            request.headers[HEADER] = checked
        return send(self, request, **kwargs)

    LedgerGate.before = probed_before  # type: ignore[method-assign]
    LedgerGate.pause = probed_pause  # type: ignore[method-assign]
    requests.Session.send = probed_send  # type: ignore[method-assign]


def main() -> int:
    install()
    from scheduler.cli import main as scheduler_main

    return scheduler_main(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
