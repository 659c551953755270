"""The one HTTP client factory, and polite fetching: a per-host pace, Retry-After on 429,
backoff on 5xx and timeouts. Tests pass `transport=httpx.MockTransport(...)`.

The Fetcher is the only retry layer of a collection (the `listen` flow does not retry a source):
an outage is retried here, `max_retries` times at most; a refusal (4xx other than 429) and a
ParseError are not retried at all, so a dead host costs `1 + max_retries` requests per run.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit

import httpx

from ecoute.connectors.errors import ParseError, RateLimited, SourceUnavailable

try:
    _VERSION = version("ecoute")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    _VERSION = "0"

# Honest: who we are and where to read about it. Reddit asks for this shape.
USER_AGENT = f"python:ecoute:{_VERSION} (social listening; +https://github.com/ecoute/ecoute)"
TIMEOUT = httpx.Timeout(20.0, connect=10.0)
LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=5)
RETRY_STATUSES = {500, 502, 503, 504}
# An outage, worth another try: no answer in time, a refused or dropped connection, a garbled answer.
TRANSIENT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError)
MAX_RETRY_AFTER = 300.0  # seconds; a longer wait is reported as RateLimited instead of slept

Sleep = Callable[[float], Awaitable[None]]


def make_client(
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    headers: dict[str, str] | None = None,
    timeout: httpx.Timeout | float = TIMEOUT,
) -> httpx.AsyncClient:
    """Every request ecoute makes goes through a client made here."""
    return httpx.AsyncClient(
        transport=transport,
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "application/json, application/xml;q=0.9, */*;q=0.8",
            **(headers or {}),
        },
        timeout=timeout,
        limits=LIMITS,
        follow_redirects=True,
    )


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


class Fetcher:
    """Polite requests for one collection: one request per host at a time, spaced by
    `min_interval` seconds; 429 waits for Retry-After; 5xx and timeouts back off and retry."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        min_interval: float = 1.0,
        max_retries: int = 3,
        backoff: float = 1.0,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.min_interval = min_interval
        self.max_retries = max_retries
        self.backoff = backoff
        self._sleep = sleep
        self._clock = clock
        self._last: dict[str, float] = {}
        self._intervals: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.requests = 0

    def set_min_interval(self, host: str, seconds: float) -> None:
        """Space requests to `host` by at least `seconds` (e.g. a robots.txt Crawl-delay)."""
        self._intervals[host] = max(seconds, self.min_interval)

    async def _pace(self, host: str) -> None:
        last = self._last.get(host)
        if last is not None:
            wait = self._intervals.get(host, self.min_interval) - (self._clock() - last)
            if wait > 0:
                await self._sleep(wait)
        self._last[host] = self._clock()

    async def get(
        self, url: str, *, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """A successful response, or SourceUnavailable / RateLimited saying what was received."""
        return await self._send("GET", url, params=params, headers=headers)

    async def get_json(
        self, url: str, *, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        return json_of(await self.get(url, params=params, headers=headers), url)

    async def post_json(
        self, url: str, *, json: Any = None, data: Any = None, headers: dict[str, str] | None = None, auth: Any = None
    ) -> Any:
        """For sign-in endpoints (OAuth tokens, sessions): retried like a GET on an outage or a 429
        (a token request changes nothing twice), a refusal (4xx) raised at once."""
        return json_of(await self._send("POST", url, json=json, data=data, headers=headers, auth=auth), url)

    async def _send(self, method: str, url: str, **request: Any) -> httpx.Response:
        """The one place ecoute retries: an outage (5xx, timeout, dropped connection) backs off and
        tries again, a 429 waits for Retry-After; anything else is answered or raised at once."""
        host = urlsplit(url).netloc
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            for attempt in range(self.max_retries + 1):
                await self._pace(host)
                self.requests += 1
                last = attempt == self.max_retries
                try:
                    response = await self.client.request(method, url, **request)
                except TRANSIENT_ERRORS as error:
                    if last:
                        raise SourceUnavailable(
                            f"{host}: {type(error).__name__} after {attempt + 1} tries ({error})"
                        ) from error
                    await self._sleep(self.backoff * 2**attempt)
                    continue
                except httpx.RequestError as error:  # a bad scheme, too many redirects: no retry mends it
                    raise SourceUnavailable(f"{url}: {type(error).__name__} ({error})") from error
                if response.status_code == 429:
                    wait = retry_after_seconds(response.headers.get("Retry-After"))
                    if last or (wait is not None and wait > MAX_RETRY_AFTER):
                        raise RateLimited(f"{host}: 429 Too Many Requests (Retry-After: {wait})", retry_after=wait)
                    await self._sleep(wait if wait is not None else self.backoff * 2**attempt)
                    continue
                if response.status_code in RETRY_STATUSES:
                    if last:
                        raise SourceUnavailable(
                            f"{host}: HTTP {response.status_code} after {attempt + 1} tries: {response.text[:200]!r}",
                            status_code=response.status_code,
                            body=response.text[:2000],
                        )
                    await self._sleep(self.backoff * 2**attempt)
                    continue
                if response.status_code >= 400:  # a refusal (404, 403, 401...) will not get better: no retry
                    raise SourceUnavailable(
                        f"{url}: HTTP {response.status_code}: {response.text[:200]!r}",
                        status_code=response.status_code,
                        body=response.text[:2000],
                    )
                return response
        raise AssertionError("unreachable")  # pragma: no cover


def json_of(response: httpx.Response, url: str) -> Any:
    """The response's JSON; ParseError saying what came instead (a ParseError is never retried)."""
    try:
        return response.json()
    except ValueError:
        raise ParseError(
            f"{url}: expected JSON, got {response.headers.get('content-type')!r}: {response.text[:200]!r}"
        ) from None
