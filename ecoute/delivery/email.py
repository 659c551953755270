"""Sending by e-mail: one SMTP session for a set of messages, each failure said as received."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from email.message import EmailMessage

from ecoute.core.delivery_settings import SMTP_PASSWORD_ENV, Email
from ecoute.delivery.messages import one_line
from ecoute.delivery.outcome import ChannelOutcome, DeliveryError


def email_message(settings: Email, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = one_line(subject, 200)
    message["From"] = settings.from_address
    message["To"] = ", ".join(settings.to)
    message.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    return message


def send_emails(settings: Email, messages: Mapping[str, EmailMessage]) -> tuple[list[str], ChannelOutcome]:
    """Send over one SMTP session; returns the keys sent (the ones before a failure too)."""
    sent: list[str] = []
    if not messages:
        return sent, ChannelOutcome("email")
    where = f"{settings.host}:{settings.port}"
    try:
        with _smtp(settings) as smtp:
            for key, message in messages.items():
                smtp.send_message(message)
                sent.append(key)
    except DeliveryError as error:
        return sent, ChannelOutcome("email", len(sent), error=error)
    except smtplib.SMTPResponseException as error:
        answer = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        failure = DeliveryError(f"email via {where}: the server answered {error.smtp_code} {answer}", channel="email")
        return sent, ChannelOutcome("email", len(sent), error=failure)
    except (smtplib.SMTPException, OSError) as error:  # refused, timed out, TLS failed, recipients refused
        failure = DeliveryError(f"email via {where}: {type(error).__name__} ({error})", channel="email")
        return sent, ChannelOutcome("email", len(sent), error=failure)
    return sent, ChannelOutcome("email", len(sent))


@contextmanager
def _smtp(settings: Email) -> Iterator[smtplib.SMTP]:
    context = ssl.create_default_context()
    timeout = settings.timeout_seconds
    smtp: smtplib.SMTP
    if settings.ssl:
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    with smtp:
        if settings.starttls:
            smtp.starttls(context=context)
        if settings.username:
            password = settings.password()
            if password is None:
                raise DeliveryError(
                    f"email: username {settings.username!r} is set but {SMTP_PASSWORD_ENV} is empty", channel="email"
                )
            smtp.login(settings.username, password)
        yield smtp
