"""Email notifications over SMTP (optionally STARTTLS and a login)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from scheduler.errors import NotifyError
from scheduler.notify.base import Notice
from scheduler.settings import Secret


class EmailNotifier:
    name = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        recipients: list[str],
        username: str | None = None,
        password: Secret | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        if not recipients:
            raise NotifyError("email notifications need at least one recipient")
        self.host = host
        self.port = port
        self.sender = sender
        self.recipients = list(recipients)
        self._username = username
        self._password = password
        self._starttls = starttls
        self._timeout = timeout

    def message(self, notice: Notice) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = notice.title()
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg.set_content(notice.text() + "\n")
        return msg

    def send(self, notice: Notice) -> None:
        msg = self.message(notice)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self._username and self._password:
                    smtp.login(self._username, self._password.reveal())
                smtp.send_message(msg)
        except smtplib.SMTPException as exc:
            # SMTP replies may echo the login; keep only the class and code.
            code = getattr(exc, "smtp_code", None)
            suffix = f" {code}" if code else ""
            raise NotifyError(
                f"the mail server {self.host}:{self.port} refused the notification "
                f"({type(exc).__name__}{suffix})"
            ) from None
        except (OSError, TimeoutError) as exc:
            raise NotifyError(
                f"the mail server {self.host}:{self.port} could not be reached "
                f"({type(exc).__name__})"
            ) from None
