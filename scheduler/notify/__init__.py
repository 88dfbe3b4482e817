"""Notifiers: a webhook (Slack, Discord) and email, configured from the environment.

SCHEDULER_NOTIFY_WEBHOOK         incoming-webhook URL (a secret: keep it out of files in git)
SCHEDULER_NOTIFY_SMTP            host:port of the mail server
SCHEDULER_NOTIFY_EMAIL_TO        comma-separated recipients
SCHEDULER_NOTIFY_EMAIL_FROM      sender (default: campaign-scheduler@localhost)
SCHEDULER_NOTIFY_SMTP_USER       login, with SCHEDULER_NOTIFY_SMTP_PASSWORD
SCHEDULER_NOTIFY_SMTP_STARTTLS   true to upgrade the connection with STARTTLS

Each is checked by scheduler.settings (a misspelt name or a bad value is an error).
"""

from __future__ import annotations

from collections.abc import Mapping

from scheduler.errors import ConfigError
from scheduler.notify.base import FanOut, Notice, Notifier, NotifyError
from scheduler.settings import NOTIFY_PREFIX, Secret, family

__all__ = ["FanOut", "Notice", "Notifier", "NotifyError", "notifiers_from_env"]


def notifiers_from_env(env: Mapping[str, str]) -> list[Notifier]:
    found: list[Notifier] = []
    checked = family(NOTIFY_PREFIX, env)
    webhook = env.get("SCHEDULER_NOTIFY_WEBHOOK", "").strip()
    if webhook:
        from scheduler.notify.webhook import WebhookNotifier

        try:
            found.append(WebhookNotifier(Secret(webhook)))
        except NotifyError as exc:
            raise ConfigError(f"SCHEDULER_NOTIFY_WEBHOOK: {exc.message}") from None
    smtp = env.get("SCHEDULER_NOTIFY_SMTP", "").strip()
    if smtp:
        from scheduler.notify.mail import EmailNotifier

        host, _, port_text = smtp.rpartition(":")
        if not host or not port_text.isdigit():
            raise ConfigError(
                f"SCHEDULER_NOTIFY_SMTP={smtp!r} is not host:port", hint="e.g. smtp.example.org:587"
            )
        recipients = [
            r.strip() for r in env.get("SCHEDULER_NOTIFY_EMAIL_TO", "").split(",") if r.strip()
        ]
        if not recipients:
            raise ConfigError(
                "SCHEDULER_NOTIFY_SMTP is set but SCHEDULER_NOTIFY_EMAIL_TO is empty",
                hint="set the addresses that should hear about problems, comma-separated",
            )
        password = env.get("SCHEDULER_NOTIFY_SMTP_PASSWORD")
        found.append(
            EmailNotifier(
                host=host,
                port=int(port_text),
                sender=env.get("SCHEDULER_NOTIFY_EMAIL_FROM", "campaign-scheduler@localhost"),
                recipients=recipients,
                username=env.get("SCHEDULER_NOTIFY_SMTP_USER") or None,
                password=Secret(password) if password else None,
                starttls=checked.get("smtp_starttls") is True,
            )
        )
    return found
