"""A real SMTP server for tests (aiosmtpd), and an app set up to send through it."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

MAIL_FROM = "frontdesk@riverside-pt.example"
CLINIC_PHONE = "(303) 555-0100"
CLINIC_ADDRESS = "1200 Blake Street, Denver, CO 80202"


class Inbox:
    """aiosmtpd's handler: keeps each message it receives, parsed, with its envelope."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.recipients.append(list(envelope.rcpt_tos))
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A TCP port nothing listens on (bound, read, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_smtp_server() -> Iterator[Inbox]:
    """An SMTP server on a free local port while the block runs; its Inbox, with `.port`."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()


def send_mail_through(app, port: int, **settings) -> None:
    """Set the app up to email copies through 127.0.0.1:`port` (plain SMTP, a local relay),
    as INTAKE_SMTP_HOST, INTAKE_SMTP_PORT, INTAKE_SMTP_STARTTLS=0 and INTAKE_MAIL_FROM would."""
    app.config.update(
        {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": port,
            "SMTP_STARTTLS": False,
            "SMTP_TIMEOUT_SECONDS": 5,
            "MAIL_FROM": MAIL_FROM,
            "PATIENT_COPY_EMAIL": True,
            "CLINIC_PHONE": CLINIC_PHONE,
            "CLINIC_ADDRESS": CLINIC_ADDRESS,
            "CLINIC_EMAIL": MAIL_FROM,
            **settings,
        }
    )
