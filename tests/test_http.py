"""Polite fetching: pacing per host, Retry-After, backoff, and errors that say what came back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from ecoute.connectors.errors import ParseError, RateLimited, SourceUnavailable
from ecoute.connectors.http import USER_AGENT, Fetcher, make_client, retry_after_seconds


def run_fetch(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    retries: int = 3,
    interval: float = 0.0,
    urls: tuple[str, ...] = ("https://api.example/x",),
) -> tuple[list[httpx.Response | Exception], list[float], list[httpx.Request]]:
    slept: list[float] = []
    seen: list[httpx.Request] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    async def go() -> list[httpx.Response | Exception]:
        async with make_client(transport=httpx.MockTransport(recording)) as client:
            fetcher = Fetcher(
                client, min_interval=interval, max_retries=retries, backoff=2.0, sleep=fake_sleep, clock=lambda: 0.0
            )
            results: list[httpx.Response | Exception] = []
            for url in urls:
                try:
                    results.append(await fetcher.get(url))
                except Exception as error:  # the test inspects what was raised
                    results.append(error)
            return results

    return asyncio.run(go()), slept, seen


def responses(*items: httpx.Response | Exception) -> Callable[[httpx.Request], httpx.Response]:
    queue = list(items)

    def handler(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler


def test_requests_carry_an_honest_user_agent() -> None:
    """Sources see who is calling (Reddit refuses anonymous agents)."""
    _, _, seen = run_fetch(responses(httpx.Response(200, json={})))
    assert seen[0].headers["User-Agent"] == USER_AGENT and "ecoute" in USER_AGENT


def test_429_waits_for_retry_after_then_succeeds() -> None:
    """A rate-limited source is retried after the delay it asked for."""
    results, slept, _ = run_fetch(
        responses(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={}))
    )
    assert isinstance(results[0], httpx.Response) and results[0].status_code == 200
    assert slept == [7.0]


def test_a_too_long_retry_after_is_reported_not_slept() -> None:
    """An hour-long ban is a RateLimited error for this run, not a stuck flow."""
    results, slept, _ = run_fetch(responses(httpx.Response(429, headers={"Retry-After": "3600"})))
    assert isinstance(results[0], RateLimited) and results[0].retry_after == 3600
    assert slept == []


def test_5xx_and_timeouts_back_off_then_succeed() -> None:
    """Transient failures are retried with growing delays."""
    results, slept, _ = run_fetch(
        responses(httpx.Response(503), httpx.ReadTimeout("slow"), httpx.Response(200, json={"ok": True}))
    )
    assert isinstance(results[0], httpx.Response)
    assert slept == [2.0, 4.0]


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (httpx.Response(500, text="boom"), "HTTP 500 after 3 tries"),  # a dead API
        (httpx.ConnectError("refused"), "ConnectError after 3 tries"),  # a dead host
        (httpx.ReadTimeout("slow"), "ReadTimeout after 3 tries"),  # a hanging host
    ],
)
def test_a_source_that_keeps_failing_is_unavailable(failure: httpx.Response | Exception, message: str) -> None:
    results, slept, seen = run_fetch(responses(failure), retries=2)
    assert isinstance(results[0], SourceUnavailable) and message in str(results[0])
    assert len(seen) == 3 and len(slept) == 2


def test_client_errors_are_not_retried() -> None:
    """A 404 will not get better: one request, a clear error."""
    results, _, seen = run_fetch(responses(httpx.Response(404, text="not here")))
    assert isinstance(results[0], SourceUnavailable) and "HTTP 404" in str(results[0])
    assert len(seen) == 1


def test_requests_to_one_host_are_spaced() -> None:
    """Two calls to one host wait the configured interval; another host does not wait."""
    clock = iter([0.0, 0.2, 0.2, 0.2, 0.2])
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    async def go() -> None:
        async with make_client(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as client:
            fetcher = Fetcher(client, min_interval=1.0, sleep=fake_sleep, clock=lambda: next(clock))
            await fetcher.get("https://a.example/1")
            await fetcher.get("https://a.example/2")
            await fetcher.get("https://b.example/1")

    asyncio.run(go())
    assert slept == [pytest.approx(0.8)]


def test_json_that_is_not_json_is_a_parse_error() -> None:
    """An HTML error page where JSON was expected says what came back."""

    async def go() -> None:
        async with make_client(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, text="<html>oops"))
        ) as client:
            await Fetcher(client, min_interval=0).get_json("https://a.example/api")

    with pytest.raises(ParseError, match=r"expected JSON.*<html>oops"):
        asyncio.run(go())


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Sun, 01 Nov 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("soon") is None


def test_an_answer_that_is_not_json_is_not_retried() -> None:
    """Without this, a ParseError would be retried like an outage: the same HTML page, again and again."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="<html>maintenance</html>")

    async def go() -> None:
        async with make_client(transport=httpx.MockTransport(handler)) as client:
            await Fetcher(client, min_interval=0, max_retries=3).get_json("https://a.example/api")

    with pytest.raises(ParseError):
        asyncio.run(go())
    assert len(seen) == 1


def test_a_request_no_retry_can_mend_is_unavailable_at_once() -> None:
    """Without this, a URL with a bad scheme would be tried 1 + retries times, or escape as a raw httpx error."""
    results, slept, seen = run_fetch(responses(httpx.UnsupportedProtocol("no such scheme")), retries=2)
    assert isinstance(results[0], SourceUnavailable) and "UnsupportedProtocol" in str(results[0])
    assert len(seen) == 1 and slept == []


def test_sign_in_is_retried_on_an_outage_but_not_on_a_refusal() -> None:
    """Without this, a passing 503 at the token endpoint would lose the source: the flow no longer retries it."""
    seen: list[httpx.Request] = []
    answers = [httpx.Response(503), httpx.Response(200, json={"access_token": "t"}), httpx.Response(401, text="no")]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    async def go() -> tuple[object, Exception | None]:
        async with make_client(transport=httpx.MockTransport(handler)) as client:
            fetcher = Fetcher(client, min_interval=0, max_retries=2, sleep=lambda s: asyncio.sleep(0))
            token = await fetcher.post_json("https://auth.example/token", data={"grant_type": "x"})
            try:
                await fetcher.post_json("https://auth.example/token", data={"grant_type": "x"})
            except SourceUnavailable as error:
                return token, error
            return token, None

    token, refused = asyncio.run(go())
    assert token == {"access_token": "t"} and [r.method for r in seen] == ["POST"] * 3
    assert isinstance(refused, SourceUnavailable) and "HTTP 401" in str(refused)
