"""Posting to a Slack-compatible webhook; the URL's path (its secret) never appears in an error."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from ecoute.connectors.http import make_client
from ecoute.core.delivery_settings import WEBHOOK_URL_ENV, Webhook
from ecoute.delivery.outcome import ChannelOutcome, DeliveryError


def post_webhook(
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
                body = _without_secret(response.text, parts.path)[:200]
                raise DeliveryError(f"webhook {where}: HTTP {response.status_code}: {body!r}", channel="webhook")
            delivered(key)


def _without_secret(text: str, path: str) -> str:
    """The response body with the URL's path, and any of its segments long enough to be a token, blanked:
    an endpoint that echoes its path ("no_service: /services/T0/B0/XXXX") would leak the secret."""
    hidden = text.replace(path, "/…") if path.strip("/") else text
    for segment in (s for s in path.split("/") if len(s) >= 8):
        hidden = hidden.replace(segment, "…")
    return hidden
