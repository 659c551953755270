"""Sending reports and alerts: by e-mail (SMTP) and to a Slack-compatible webhook.

Each channel is tried on its own: a dead SMTP server does not stop the webhook post. What
happened on each is returned as a `DeliveryResult`; a failure is a `DeliveryError` that says
what was received. Alerts are remembered in the warehouse (`sent_alerts`), so a finding
alerts once per channel however often detection runs.

Everything people wrote reaches Slack through `slack_text`, which escapes `&`, `<` and `>`:
no post can ping a channel, forge a link or break the message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import httpx

from ecoute.core.delivery_settings import Alerts, Delivery
from ecoute.core.records import Finding
from ecoute.delivery.email import email_message, send_emails
from ecoute.delivery.messages import alert_payload, alert_text, report_payload, title_of
from ecoute.delivery.outcome import Channel, ChannelOutcome, DeliveryResult
from ecoute.delivery.webhook import post_webhook
from ecoute.reports.render import ReportPaths, standalone_html
from ecoute.warehouse.connection import connect, run


def send_report(
    settings: Delivery,
    brand: str,
    paths: ReportPaths,
    *,
    summary_markdown: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> DeliveryResult:
    """E-mail the digest (text body) with the HTML report attached, and post the digest to the webhook.

    The attached page carries plotly.js itself: away from the reports folder, a link to its
    assets would leave the charts blank."""
    title = title_of(summary_markdown, brand)
    outcomes = []
    if settings.email and settings.email.reports:
        email = settings.email
        message = email_message(email, f"{email.subject_prefix} {title}", summary_markdown)
        page = standalone_html(paths.html).encode("utf-8")
        message.add_attachment(page, maintype="text", subtype="html", filename=paths.html.name)
        outcomes.append(send_emails(email, {"report": message})[1])
    if settings.webhook and settings.webhook.reports:
        payload = report_payload(title, summary_markdown)
        outcomes.append(post_webhook(settings.webhook, {"report": payload}, transport)[1])
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
            prefix = email.subject_prefix
            messages = {i: email_message(email, f"{prefix} {f.headline}", alert_text(f)) for i, f in pending.items()}
            return send_emails(email, messages)

        senders["email"] = by_email
    if (webhook := settings.webhook) and webhook.alerts:

        def by_webhook(pending: Mapping[str, Finding]) -> tuple[list[str], ChannelOutcome]:
            return post_webhook(webhook, {i: alert_payload(f) for i, f in pending.items()}, transport)

        senders["webhook"] = by_webhook
    return senders


def should_alert(finding: Finding, alerts: Alerts) -> bool:
    """Is the finding of an alerting kind, sure enough and large enough?"""
    return (
        finding.kind in alerts.kinds
        and finding.confidence >= alerts.min_confidence
        and abs(finding.magnitude) >= alerts.min_magnitude
    )
