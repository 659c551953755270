"""What the connector tests share: a collection context, saved replies, and a run through a mock transport.

Every connector test replays saved pages instead of touching the network; these helpers keep that
harness in one place so the test files hold only what is particular to their source.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from ecoute.connectors.base import CollectContext, Connector
from ecoute.connectors.http import Fetcher, make_client
from ecoute.core.privacy import Pseudonymizer
from ecoute.core.records import Batch
from ecoute.core.settings import Brand

Handler = Callable[[httpx.Request], httpx.Response]

FIXTURES = Path(__file__).parent / "fixtures"
COLLECTED_AT = datetime(2026, 11, 1, 12)
OK = httpx.Response(200)  # stands for "the real answer" in `sequence`


def context(
    since: Mapping[str, datetime | None] | None = None,
    max_pages: int = 5,
    brands: Sequence[Brand] | None = None,
    collected_at: datetime = COLLECTED_AT,
) -> CollectContext:
    """A run for Zelia (who answers as zelia_help) and Norvo unless `brands` says otherwise, at a fixed time
    and with a fixed pseudonym key, so that tests can compare times and author keys exactly."""
    return CollectContext(
        brands=brands or [Brand(name="Zelia", handles=["zelia_help"]), Brand(name="Norvo")],
        pseudonymizer=Pseudonymizer(b"k" * 32),
        collected_at=collected_at,
        since=since or {},
        max_pages=max_pages,
    )


def load_json(path: Path) -> Any:
    """A saved payload, for tests that parse it directly or change it before replaying it."""
    return json.loads(path.read_text(encoding="utf-8"))


def file_reply(
    path: Path, content_type: str = "application/json", status: int = 200, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    """A saved body served as the API serves it: the raw bytes, with its content type."""
    return httpx.Response(status, content=path.read_bytes(), headers={"content-type": content_type, **(headers or {})})


@dataclass
class Run:
    """What one collection did: its batch or the error it raised, every request sent, every wait asked for."""

    batch: Batch | None = None
    error: Exception | None = None
    requests: list[httpx.Request] = field(default_factory=list)
    slept: list[float] = field(default_factory=list)

    def batch_or_raise(self) -> Batch:
        """The batch, or the collection's error raised again, for tests that use `pytest.raises`."""
        if self.error is not None:
            raise self.error
        assert self.batch is not None
        return self.batch


def run_connector(connector: Connector, handler: Handler, ctx: CollectContext) -> Run:
    """Collect with `handler` standing for the network, recording requests and waits instead of waiting.

    The Fetcher's clock only moves when it sleeps, so polite pauses (a Crawl-delay) are exact and instant;
    an error is kept on the Run so that tests can look at the requests that led to it.
    """
    run = Run()
    now = 0.0

    async def fake_sleep(seconds: float) -> None:
        nonlocal now
        run.slept.append(seconds)
        now += seconds

    def recording(request: httpx.Request) -> httpx.Response:
        run.requests.append(request)
        return handler(request)

    async def go() -> Batch:
        async with make_client(transport=httpx.MockTransport(recording)) as client:
            fetcher = Fetcher(client, min_interval=0, sleep=fake_sleep, clock=lambda: now)
            return await connector.collect(ctx, fetcher)

    try:
        run.batch = asyncio.run(go())
    except Exception as error:  # the test inspects what was raised
        run.error = error
    return run


def sequence(real: Handler, *items: httpx.Response | Exception) -> Handler:
    """Answers in turn (the last one again and again); an empty 200 (`OK`) stands for `real`'s answer.

    For retries: a failure first, then the saved page, without writing a handler each time.
    """
    queue = list(items)

    def handler(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return real(request) if item.status_code == 200 and not item.content else item

    return handler


def collect_live(connector: Connector, ctx: CollectContext, min_interval: float = 1.0) -> Batch:
    """A real collection over the network with the real client and pacing (the `network` tests only)."""

    async def go() -> Batch:
        async with make_client() as client:
            return await connector.collect(ctx, Fetcher(client, min_interval=min_interval))

    return asyncio.run(go())
