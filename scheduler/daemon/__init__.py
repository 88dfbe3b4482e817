"""The daemon: publishes approved drafts at their times, once, and reports what did not go out.

base.py       options, what the daemon is given, errors
retry.py      backoff and the decision after a failed attempt (pure)
reconcile.py  windows, catch-up, unapproved reminders, reconciliation rules
gate.py       the gate of every request: account pauses and quotas, kept in the ledger
worker.py     one claimed draft: check, reconcile, publish part by part, record
request.py    what is sent: the request rebuilt from the draft, hash and media checked again
report.py     the log and the notifier: nothing silent
runner.py     the steps (reload, fire, sweep, remind, close) derived from the ledger; signals
timers.py     step run times in a heap, one APScheduler job for the earliest; guarded; a clean
              stop waits for those running
source.py     campaign files, loaded and watched by mtime
status.py     what `scheduler status` shows
"""

from __future__ import annotations

from scheduler.daemon.base import CampaignSource, DaemonError, DaemonOptions, Loaded, PublisherFor

__all__ = ["CampaignSource", "DaemonError", "DaemonOptions", "Loaded", "PublisherFor"]
