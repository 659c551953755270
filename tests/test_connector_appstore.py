"""App Store reviews: Apple's customer-reviews JSON feed replayed through a mock transport."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from connector_harness import Handler, collect_live, context, load_json, run_connector

from ecoute.connectors.appstore import AppStoreConnector, parse_feed
from ecoute.connectors.base import CollectContext
from ecoute.connectors.errors import ParseError, SourceUnavailable
from ecoute.connectors.http import USER_AGENT
from ecoute.core.privacy import Pseudonymizer
from ecoute.core.records import Batch
from ecoute.core.settings import Brand
from ecoute.core.source_settings import App, AppStoreSource

FIXTURES = Path(__file__).parent / "fixtures" / "appstore"
ZELIA, NORVO = "1500000001", "1500000002"
ZELIA_APP = App(brand="Zelia", id=ZELIA)


def fixture(name: str) -> Any:
    return load_json(FIXTURES / name)


def source(apps: list[App] | None = None, countries: list[str] | None = None) -> AppStoreSource:
    return AppStoreSource(
        name="appstore",
        kind="appstore",
        apps=apps or [ZELIA_APP],
        countries=countries or ["fr"],
        base_url="https://itunes.apple.com",
    )


def page_of(request: httpx.Request) -> int:
    return int(request.url.path.split("/page=")[1].split("/")[0])


def feed_pages(*names: str) -> Handler:
    """Serves the named fixtures as pages 1, 2, ... of the Zelia feed; the empty feed past them."""

    def handler(request: httpx.Request) -> httpx.Response:
        number = page_of(request)
        return httpx.Response(200, json=fixture(names[number - 1] if number <= len(names) else "empty.json"))

    return handler


def collect(
    handler: Handler, src: AppStoreSource | None = None, ctx: CollectContext | None = None
) -> tuple[Batch, list[httpx.Request], list[float]]:
    run = run_connector(AppStoreConnector(src or source()), handler, ctx or context())
    return run.batch_or_raise(), run.requests, run.slept


def test_a_realistic_page_becomes_reviews_of_the_apps_brand() -> None:
    """Each review is a Zelia mention with title and body, its UTC time, rating and storefront; the app entry is not."""
    page = parse_feed(fixture("zelia_fr_page1.json"), "appstore", ZELIA_APP, "fr", context())
    assert [m.native_id for m in page.mentions] == ["11802345678", "11801987654", "11799876543", "11796543210"]
    assert page.rejected == [] and page.reviews == 4 and page.last_page == 2
    first = page.mentions[0]
    assert first.brands == ("Zelia",) and first.platform == "appstore" and first.language is None
    assert first.text.startswith("Carte refusée 😡\nMa carte Zelia a été refusée")
    assert first.published_at == datetime(2026, 10, 31, 16, 14, 2)  # -07:00 converted to UTC
    assert first.url == f"https://itunes.apple.com/fr/review?id={ZELIA}&type=Purple%20Software"
    assert first.raw["storefront"] == "fr" and first.raw["rating"] == 1 and first.raw["im:version"]["label"] == "4.12.0"
    assert first.engagement.likes is None and first.collected_at == datetime(2026, 11, 1, 12)
    # The review that names Norvo is still Zelia's only: reviews are about the app they review.
    assert page.mentions[3].brands == ("Zelia",)


def test_a_single_review_sent_as_an_object_is_read() -> None:
    """An app with one review in a storefront still gets that review (Apple sends it as an object)."""
    norvo = App(brand="Norvo", id=NORVO)
    page = parse_feed(fixture("norvo_us_single.json"), "appstore", norvo, "us", context())
    assert [(m.native_id, m.brands) for m in page.mentions] == [("11805556667", ("Norvo",))]
    assert page.mentions[0].raw["storefront"] == "us" and page.mentions[0].raw["rating"] == 4


def test_a_review_without_link_points_to_the_app_page() -> None:
    """Every review keeps a URL an analyst can open, even when the feed gives no link."""
    payload = fixture("norvo_us_single.json")
    del payload["feed"]["entry"]["link"]
    page = parse_feed(payload, "appstore", App(brand="Norvo", id=NORVO), "us", context())
    assert page.mentions[0].url == f"https://apps.apple.com/us/app/id{NORVO}"


def test_pages_are_followed_to_the_last_one_with_the_right_url_and_user_agent() -> None:
    """All recent reviews are collected across pages, asking Apple for the most recent first, politely."""
    batch, requests, _ = collect(feed_pages("zelia_fr_page1.json", "zelia_fr_page2.json"))
    assert [r.url.path for r in requests] == [
        f"/fr/rss/customerreviews/page={n}/id={ZELIA}/sortby=mostrecent/json" for n in (1, 2)
    ]  # page 2 is the feed's rel="last": no third request
    assert all(r.url.host == "itunes.apple.com" and r.headers["User-Agent"] == USER_AGENT for r in requests)
    assert len(batch.mentions) == 7 and batch.rejected == []


def test_the_page_cap_is_respected() -> None:
    """A run reads no more than `max_pages` pages of an app, however many Apple has."""
    _, requests, _ = collect(feed_pages("zelia_fr_page1.json", "zelia_fr_page2.json"), ctx=context(max_pages=1))
    assert [page_of(r) for r in requests] == [1]


def test_apple_depth_of_ten_pages_is_never_exceeded() -> None:
    """Even with a high cap, no request goes past page 10 (Apple answers errors there)."""
    endless = fixture("zelia_fr_page1.json")
    endless["feed"]["link"] = [link for link in endless["feed"]["link"] if link["attributes"]["rel"] != "last"]
    _, requests, _ = collect(lambda request: httpx.Response(200, json=endless), ctx=context(max_pages=50))
    assert [page_of(r) for r in requests] == list(range(1, 11))


def test_collection_stops_at_the_brands_watermark() -> None:
    """A second run reads only reviews newer than the last one, without fetching older pages."""
    since = {"Zelia": datetime(2026, 10, 29)}
    batch, requests, _ = collect(feed_pages("zelia_fr_page1.json", "zelia_fr_page2.json"), ctx=context(since))
    assert [page_of(r) for r in requests] == [1]
    assert [m.native_id for m in batch.mentions] == ["11802345678", "11801987654"]


def test_an_app_without_reviews_gives_an_empty_batch() -> None:
    """An app nobody reviewed in a storefront yields nothing, no error, and one request."""
    batch, requests, _ = collect(lambda request: httpx.Response(200, json=fixture("empty.json")))
    assert batch.mentions == [] and batch.rejected == [] and len(requests) == 1


def test_only_apps_of_the_runs_brands_and_every_storefront_are_read() -> None:
    """A run for Norvo reads Norvo's app in each storefront and leaves Zelia's alone."""
    src = source(apps=[ZELIA_APP, App(brand="norvo", id=NORVO)], countries=["fr", "US"])
    ctx = context(brands=[Brand(name="Norvo")])
    batch, requests, _ = collect(lambda request: httpx.Response(200, json=fixture("norvo_us_single.json")), src, ctx)
    assert [r.url.path.split("/")[1] for r in requests] == ["fr", "us"]
    assert all(f"id={NORVO}" in r.url.path for r in requests)
    assert {m.brands for m in batch.mentions} == {("Norvo",)}  # the configured spelling of the brand


def test_429_waits_for_retry_after_then_reads_the_page() -> None:
    """When Apple asks us to slow down, we wait as long as it says and still get the reviews."""
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"})])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or httpx.Response(200, json=fixture("norvo_us_single.json"))

    batch, requests, slept = collect(handler)
    assert slept == [7.0] and len(requests) == 2 and len(batch.mentions) == 1


def test_a_500_is_retried() -> None:
    """A passing server error costs a retry, not the run."""
    answers = iter([httpx.Response(500, text="Internal Server Error")])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or httpx.Response(200, json=fixture("norvo_us_single.json"))

    batch, requests, slept = collect(handler)
    assert len(requests) == 2 and slept == [1.0] and len(batch.mentions) == 1


def test_a_server_that_keeps_failing_makes_the_source_unavailable() -> None:
    """A dead feed is reported as an unavailable source, with the status received."""
    with pytest.raises(SourceUnavailable, match="HTTP 503"):
        collect(lambda request: httpx.Response(503, text="Service Unavailable"))


def test_timeouts_are_retried_then_reported() -> None:
    """A slow moment is retried; a feed that never answers is reported as unavailable."""
    calls = {"n": 0}

    def once(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, json=fixture("norvo_us_single.json"))

    batch, _, _ = collect(once)
    assert len(batch.mentions) == 1

    def never(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(SourceUnavailable, match="ReadTimeout"):
        collect(never)


def test_malformed_reviews_are_rejected_with_their_reason() -> None:
    """A bad review is quarantined saying which field was wrong; the good ones on the page are kept."""
    page = parse_feed(fixture("malformed_entries.json"), "appstore", ZELIA_APP, "fr", context())
    assert [m.native_id for m in page.mentions] == ["11803333333"]
    reasons = [r.reason for r in page.rejected]
    assert len(reasons) == 4 and all(r.startswith(f"fr/{ZELIA}: ") for r in reasons)
    assert "im:rating" in reasons[0] and "cinq" in reasons[0]
    assert "updated" in reasons[1] and "'hier'" in reasons[1]
    assert "id.label is missing" in reasons[2]
    assert "expected a review object, got str" in reasons[3]
    assert all(r.brand == "Zelia" for r in page.rejected)
    assert "Paul_Rouen" not in page.rejected[0].payload and "700000002" not in page.rejected[0].payload


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(200, html="<html><body>Maintenance</body></html>"), "expected JSON"),  # an error page
        (httpx.Response(200, json={"errorMessage": "Invalid id"}), "expected a customer-reviews feed"),  # other JSON
        (httpx.Response(200, json={"feed": {"entry": "oops"}}), "feed.entry should be a list"),  # wrong shape
    ],
)
def test_a_payload_that_is_not_a_feed_is_a_parse_error(response: httpx.Response, message: str) -> None:
    """Something that is not a reviews feed fails loudly, saying what was received, instead of yielding nothing."""
    with pytest.raises(ParseError, match=message):
        collect(lambda request: response)


def test_unicode_and_emoji_are_preserved() -> None:
    """French accents, guillemets and emoji reach the warehouse as written."""
    batch, _, _ = collect(feed_pages("zelia_fr_page1.json", "zelia_fr_page2.json"))
    texts = "\n".join(m.text for m in batch.mentions)
    for written in ("refusée 😡", "l’équipe Zélia 🎉", "« sans frais »", "mode sombre 🌙", "😍"):
        assert written in texts


def test_no_reviewer_name_or_profile_reaches_the_record() -> None:
    """Reviewers are pseudonymised: neither nickname nor profile id is in the mention, the key replaces them."""
    payload = fixture("zelia_fr_page1.json")
    page = parse_feed(payload, "appstore", ZELIA_APP, "fr", context())
    reviewers = [e["author"] for e in payload["feed"]["entry"] if "author" in e]
    for mention, author in zip(page.mentions, reviewers, strict=True):
        name, profile = author["name"]["label"], author["uri"]["label"]
        assert mention.author_key == Pseudonymizer(b"k" * 32).author_key("appstore", name)
        stored = json.dumps(mention.raw, ensure_ascii=False)
        assert name not in stored and profile.rsplit("id", 1)[1] not in stored
        assert mention.raw["author"] == {"name": {"label": mention.author_key}}


@pytest.mark.network
def test_live_feed_answers_in_the_expected_shape() -> None:
    """Apple's feed still exists and still has the shape we parse (off by default)."""
    live = source(apps=[App(brand="Zelia", id="284882215")], countries=["us"])  # a long-lived, much-reviewed app
    batch = collect_live(AppStoreConnector(live), context(max_pages=1))
    assert batch.mentions and all(m.brands == ("Zelia",) for m in batch.mentions)
