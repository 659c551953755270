"""Sending reports and alerts: by e-mail (SMTP) and to a Slack-compatible webhook.

Each channel is tried on its own: a dead SMTP server does not stop the webhook post. What
happened on each is returned as a `DeliveryResult`; a failure is a `DeliveryError` that says
what was received. Alerts are remembered in the warehouse (`sent_alerts`), so a finding
alerts once per channel however often detection runs.

Everything people wrote reaches Slack through `slack_text`, which escapes `&`, `<` and `>`:
no post can ping a channel, forge a link or break the message.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from connectors.http import make_client
from ecoute.delivery_settings import SMTP_PASSWORD_ENV, WEBHOOK_URL_ENV, Alerts, Delivery, Email, Webhook
from ecoute.errors import EcouteError
from ecoute.records import Finding
from ecoute.reports.render import KINDS, MAGNITUDES, ReportPaths, http_url, md_url
from warehouse.connection import connect, run

Channel = Literal["email", "webhook"]
EXAMPLES = 3  # example posts per alert
QUOTE_CHARS = 280  # longest post text quoted in an alert
SLACK_SECTION_CHARS = 3000  # Slack's limit on one section's text
SLACK_TEXT_CHARS = 39_000  # Slack truncates `text` at 40,000 characters
SLACK_MAX_BLOCKS = 50
SHARE_KINDS = ("sentiment_shift", "share_of_voice_shift")  # observed and baseline are shares (0-1)


class DeliveryError(EcouteError):
    """A channel could not deliver; the message names the channel and what was received."""

    def __init__(self, message: str, *, channel: Channel) -> None:
        super().__init__(message)
        self.channel = channel


@dataclass(frozen=True)
class ChannelOutcome:
    """What one channel did: messages sent, alerts skipped as already sent, the error if any."""

    channel: Channel
    sent: int = 0
    already_sent: int = 0
    error: DeliveryError | None = None


@dataclass(frozen=True)
class DeliveryResult:
    """One outcome per configured channel; empty when nothing is configured."""

    outcomes: tuple[ChannelOutcome, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[DeliveryError]:
        return [o.error for o in self.outcomes if o.error is not None]

    def outcome(self, channel: Channel) -> ChannelOutcome:
        """The channel's outcome; KeyError when the channel is not configured."""
        for outcome in self.outcomes:
            if outcome.channel == channel:
                return outcome
        raise KeyError(channel)

    def raise_for_errors(self) -> None:
        """Raise the failure (all of them in one message when several channels failed)."""
        errors = self.errors
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise DeliveryError("; ".join(str(e) for e in errors), channel=errors[0].channel)

    def as_dict(self) -> dict[str, Any]:
        """For run stats: per channel, what was sent and the error, if any."""
        return {
            o.channel: {"sent": o.sent, "already_sent": o.already_sent, "error": str(o.error) if o.error else None}
            for o in self.outcomes
        }


# --- the two entry points ------------------------------------------------------------------


def send_report(
    settings: Delivery,
    brand: str,
    paths: ReportPaths,
    *,
    summary_markdown: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> DeliveryResult:
    """E-mail the digest (text body) with the HTML report attached, and post the digest to the webhook."""
    title = _title(summary_markdown, brand)
    outcomes = []
    if settings.email and settings.email.reports:
        email = settings.email
        message = _email(email, f"{email.subject_prefix} {title}", summary_markdown)
        message.add_attachment(paths.html.read_bytes(), maintype="text", subtype="html", filename=paths.html.name)
        outcomes.append(_send_emails(email, {"report": message})[1])
    if settings.webhook and settings.webhook.reports:
        payload = report_payload(title, summary_markdown)
        outcomes.append(_post_webhook(settings.webhook, {"report": payload}, transport)[1])
    return DeliveryResult(tuple(outcomes))


def send_alerts(
    settings: Delivery,
    findings: Sequence[Finding],
    *,
    warehouse: Path,
    transport: httpx.AsyncBaseTransport | None = None,
) -> DeliveryResult:
    """One message per finding above the alert thresholds, on each channel, once.

    The warehouse at `warehouse` records what was sent; it is not held open while sending.
    """
    if settings.alerts is None:
        return DeliveryResult()
    chosen = {f.finding_id: f for f in findings if should_alert(f, settings.alerts)}
    senders = _alert_senders(settings, transport)
    if not chosen or not senders:
        return DeliveryResult(tuple(ChannelOutcome(channel) for channel in senders))
    with connect(warehouse) as con:
        done = set(run(con, "sent_alerts", {"finding_ids": list(chosen)}).fetchall())
    outcomes: list[ChannelOutcome] = []
    delivered: dict[Channel, list[str]] = {}
    for channel, send in senders.items():
        pending = {i: f for i, f in chosen.items() if (i, channel) not in done}
        delivered[channel], outcome = send(pending)
        outcomes.append(replace(outcome, already_sent=len(chosen) - len(pending)))
    if any(delivered.values()):
        with connect(warehouse) as con:
            for channel, sent in delivered.items():
                if sent:
                    run(con, "record_sent_alerts", {"finding_ids": sent, "channel": channel})
    return DeliveryResult(tuple(outcomes))


Sender = Callable[[Mapping[str, Finding]], tuple[list[str], ChannelOutcome]]


def _alert_senders(settings: Delivery, transport: httpx.AsyncBaseTransport | None) -> dict[Channel, Sender]:
    """The channels alerts go to, each as a function sending some findings."""
    senders: dict[Channel, Sender] = {}
    if (email := settings.email) and email.alerts:

        def by_email(pending: Mapping[str, Finding]) -> tuple[list[str], ChannelOutcome]:
            messages = {
                i: _email(email, f"{email.subject_prefix} {f.headline}", alert_text(f)) for i, f in pending.items()
            }
            return _send_emails(email, messages)

        senders["email"] = by_email
    if (webhook := settings.webhook) and webhook.alerts:

        def by_webhook(pending: Mapping[str, Finding]) -> tuple[list[str], ChannelOutcome]:
            return _post_webhook(webhook, {i: alert_payload(f) for i, f in pending.items()}, transport)

        senders["webhook"] = by_webhook
    return senders


def should_alert(finding: Finding, alerts: Alerts) -> bool:
    """Is the finding of an alerting kind, sure enough and large enough?"""
    return (
        finding.kind in alerts.kinds
        and finding.confidence >= alerts.min_confidence
        and abs(finding.magnitude) >= alerts.min_magnitude
    )


# --- what the messages say -----------------------------------------------------------------


def alert_text(finding: Finding) -> str:
    """The plain-text alert (e-mail body): headline, period, numbers, up to three posts with links."""
    lines = [
        f"{KINDS.get(finding.kind, finding.kind)}: {finding.headline}",
        "",
        f"Brand: {finding.brand} ({finding.scope})",
        f"Period: {finding.period_start} to {finding.period_end}",
        *(f"{label}: {value}" for label, value in _numbers(finding)),
    ]
    examples = _examples(finding)
    if examples:
        lines += ["", "Example posts:"]
    for post in examples:
        lines.append(f'- "{_one_line(post.get("text", ""))}" ({_posted(post)})')
        if link := http_url(post.get("url")):
            lines.append(f"  {link}")
    return "\n".join(lines) + "\n"


def alert_payload(finding: Finding) -> dict[str, Any]:
    """The Slack message for an alert: `text` for notifications, `blocks` for the message."""
    kind = slack_text(KINDS.get(finding.kind, finding.kind))
    headline = slack_text(finding.headline)
    facts = [("Period", f"{finding.period_start} to {finding.period_end}"), *_numbers(finding)]
    blocks: list[dict[str, Any]] = [
        _section(f":rotating_light: *{kind}*: {headline}"),
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{label}*\n{slack_text(value)}"} for label, value in facts],
        },
    ]
    quotes = []
    for post in _examples(finding):
        quote = f"> {slack_text(_one_line(post.get('text', '')))}\n> _{slack_text(_posted(post))}_"
        if link := _slack_url(post.get("url")):
            quote += f" · <{link}|original post>"
        quotes.append(quote)
    if quotes:
        blocks.append(_section("\n\n".join(quotes)))
    return {"text": f"{kind}: {headline}", "blocks": blocks}


def report_payload(title: str, summary_markdown: str) -> dict[str, Any]:
    """The Slack message for a report: the whole digest in `text` (for tools that ignore
    blocks) and in sections of at most 3,000 characters."""
    text = markdown_to_slack(summary_markdown)
    blocks = [_section(chunk) for chunk in _chunks(text, SLACK_SECTION_CHARS)][:SLACK_MAX_BLOCKS]
    return {"text": text[:SLACK_TEXT_CHARS] or slack_text(title), "blocks": blocks}


def slack_text(text: Any) -> str:
    """Text safe in Slack mrkdwn: `&`, `<` and `>` escaped, as Slack asks."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MD_LINK = re.compile(r"(?<!\\)\[((?:\\.|[^\]\\])*)\]\(([^)\s]+)\)")
_MD_BOLD = re.compile(r"\*\*(.+?)\*\*")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_MD_MARKER = re.compile(r"^\s*([>*-])(?:\s+|$)")
_MD_ESCAPE = re.compile(r"\\([\\`*_\[\]<>|#(){}.!+-])")


def markdown_to_slack(markdown: str) -> str:
    """The digest's Markdown as Slack mrkdwn: headings and **bold** as *bold*, [text](url) as
    <url|text>, backslash escapes undone and `&`, `<`, `>` escaped."""
    lines = []
    for line in markdown.splitlines():
        heading = _MD_HEADING.match(line)
        if heading:
            line = f"**{heading[1]}**"
        marker = _MD_MARKER.match(line)  # a quote or bullet marker is markup, not text to escape
        prefix = {">": ">", "-": "•", "*": "•"}[marker[1]] + " " if marker else ""
        line = line[marker.end() :] if marker else line
        parts, last = [prefix], 0
        for link in _MD_LINK.finditer(line):
            parts.append(_inline(line[last : link.start()]))
            url = _slack_url(link[2])
            label = _inline(link[1])
            parts.append(f"<{url}|{label}>" if url else label)
            last = link.end()
        parts.append(_inline(line[last:]))
        lines.append("".join(parts))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _inline(markdown: str) -> str:
    bold = _MD_BOLD.sub(lambda m: f"\x00{m[1]}\x00", markdown)  # keep escaped stars apart from bold marks
    return slack_text(_MD_ESCAPE.sub(r"\1", bold)).replace("\x00", "*")


def _slack_url(url: str | None) -> str | None:
    """A web link usable inside `<url|text>`, or None."""
    safe = md_url(url)
    return None if safe is None else slack_text(safe.replace("|", "%7C"))


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SLACK_SECTION_CHARS]}}


def _chunks(text: str, size: int) -> Iterator[str]:
    """Pieces of at most `size` characters, cut at paragraph or line ends where possible."""
    while text:
        if len(text) <= size:
            yield text
            return
        cut = max(text.rfind("\n\n", 0, size), text.rfind("\n", 0, size))
        cut = cut if cut > 0 else size
        yield text[:cut].rstrip()
        text = text[cut:].lstrip("\n")


def _title(summary_markdown: str, brand: str) -> str:
    """The digest's first heading ('Zelia · 2026-01-01 to 2026-02-25'), unescaped; else the brand."""
    for line in summary_markdown.splitlines():
        heading = _MD_HEADING.match(line)
        if heading:
            return _one_line(_MD_ESCAPE.sub(r"\1", heading[1]))
    return f"{brand} report"


def _numbers(finding: Finding) -> list[tuple[str, str]]:
    share = finding.kind in SHARE_KINDS

    def value(v: float) -> str:
        return f"{v:.0%}" if share else f"{v:,.1f}".removesuffix(".0")

    return [
        ("Observed", value(finding.observed)),
        ("Usual", value(finding.baseline)),
        ("Magnitude", f"{finding.magnitude:,} ({MAGNITUDES.get(finding.kind, 'per kind')})"),
        ("Confidence", f"{finding.confidence:.0%}"),
    ]


def _examples(finding: Finding) -> list[Mapping[str, Any]]:
    examples = finding.evidence.get("examples") or []
    return [e for e in examples if isinstance(e, Mapping)][:EXAMPLES]


def _posted(post: Mapping[str, Any]) -> str:
    when = str(post.get("published_at") or "")[:16].replace("T", " ")
    return ", ".join(str(part) for part in (post.get("source"), when) if part)


def _one_line(text: Any, limit: int = QUOTE_CHARS) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


# --- e-mail ---------------------------------------------------------------------------------


def _email(settings: Email, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = _one_line(subject, 200)
    message["From"] = settings.from_address
    message["To"] = ", ".join(settings.to)
    message.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    return message


def _send_emails(settings: Email, messages: Mapping[str, EmailMessage]) -> tuple[list[str], ChannelOutcome]:
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


# --- webhook --------------------------------------------------------------------------------


def _post_webhook(
    settings: Webhook, payloads: Mapping[str, dict[str, Any]], transport: httpx.AsyncBaseTransport | None
) -> tuple[list[str], ChannelOutcome]:
    """POST each payload in turn; stops at the first failure. Returns the keys delivered."""
    sent: list[str] = []
    if not payloads:
        return sent, ChannelOutcome("webhook")
    url = settings.resolved_url()
    if url is None:
        error = DeliveryError(f"webhook: no URL; set {WEBHOOK_URL_ENV} or [delivery.webhook] url", channel="webhook")
        return sent, ChannelOutcome("webhook", error=error)
    try:
        asyncio.run(_post_all(url, payloads, settings.timeout_seconds, transport, sent.append))
    except DeliveryError as error:
        return sent, ChannelOutcome("webhook", len(sent), error=error)
    return sent, ChannelOutcome("webhook", len(sent))


async def _post_all(
    url: str,
    payloads: Mapping[str, dict[str, Any]],
    timeout: float,
    transport: httpx.AsyncBaseTransport | None,
    delivered: Callable[[str], None],
) -> None:
    parts = urlsplit(url)
    where = f"{parts.scheme}://{parts.netloc}"  # never the path: a Slack webhook's path is its secret
    async with make_client(transport=transport, timeout=timeout) as client:
        for key, payload in payloads.items():
            try:
                response = await client.post(url, json=payload)
            except httpx.HTTPError as error:
                said = str(error).replace(url, where)
                raise DeliveryError(f"webhook {where}: {type(error).__name__} ({said})", channel="webhook") from error
            if response.status_code >= 300:
                raise DeliveryError(
                    f"webhook {where}: HTTP {response.status_code}: {response.text[:200]!r}", channel="webhook"
                )
            delivered(key)
