"""A webhook notifier whose payload both Slack and Discord incoming webhooks accept.

Slack reads ``text``; Discord reads ``content`` (at most 2,000 characters) and ignores the
rest; both ignore fields they do not know. The URL is a credential (whoever has it can post),
so it is held as a Secret and never appears in messages.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from scheduler.errors import NotifyError
from scheduler.notify.base import Notice
from scheduler.settings import Secret

DISCORD_LIMIT = 2000


def payload(notice: Notice) -> dict[str, object]:
    text = notice.text()
    if len(text) > DISCORD_LIMIT:
        text = text[: DISCORD_LIMIT - 1] + "…"
    return {"text": text, "content": text, "username": "campaign scheduler"}


class WebhookNotifier:
    name = "webhook"

    def __init__(self, url: Secret, *, timeout: float = 10.0) -> None:
        if not url.reveal().startswith(("http://", "https://")):
            raise NotifyError("the notification webhook must be an http(s) URL")
        self._url = url
        self._timeout = timeout

    def send(self, notice: Notice) -> None:
        body = json.dumps(payload(notice)).encode("utf-8")
        request = urllib.request.Request(
            self._url.reveal(),
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "campaign-scheduler"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            # Not chained: the exception's text would quote the secret URL.
            raise NotifyError(f"the webhook refused the notification (HTTP {exc.code})") from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise NotifyError(
                f"the webhook could not be reached ({type(reason).__name__})"
            ) from None

    def __repr__(self) -> str:
        return "WebhookNotifier(url=***)"
