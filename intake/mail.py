"""Sending one email through the clinic's SMTP server, with the standard library."""

import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app


class MailNotSent(Exception):
    """The server could not be reached or refused the message; the text names no address."""


def send(message: EmailMessage) -> None:
    """Hand the message to the configured SMTP server, within its timeout, or raise MailNotSent."""
    config = current_app.config
    host, port, timeout = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TIMEOUT_SECONDS"]
    context = ssl.create_default_context()  # the server's certificate and name are checked
    try:
        if config["SMTP_SSL"]:
            server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
        with server:
            if config["SMTP_STARTTLS"]:
                server.starttls(context=context)
            if config["SMTP_USER"]:
                server.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        # The class and the server's reply code only: a refusal's text can quote the address.
        code = getattr(error, "smtp_code", None)
        raise MailNotSent(type(error).__name__ + (f" {code}" if code else "")) from None
