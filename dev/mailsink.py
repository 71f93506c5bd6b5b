"""A local SMTP sink (aiosmtpd) that keeps every message: the mail server of `make run` and tests."""

import logging
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger("dev.mailsink")


class MailSink:
    """aiosmtpd handler: accepts every message, keeps it in memory and optionally as .eml files."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
            count = len(self.messages)
        if self.directory is not None:
            (self.directory / f"{count:06d}.eml").write_bytes(envelope.content)
        log.info(
            "mail %s to %s: %s", message.get("X-Payinvoice-Kind", "-"), ",".join(envelope.rcpt_tos),
            message.get("Subject", ""),
        )
        return "250 Message accepted for delivery"

    def received(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.messages)


def start_mail_sink(handler: MailSink, host: str = "127.0.0.1", port: int = 1025) -> Controller:
    controller = Controller(handler, hostname=host, port=port)
    controller.start()
    return controller
