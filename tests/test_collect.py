"""Collection: brand queries applied locally, watermarks per (source, brand), dead sources reported."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ecoute import pipeline
from ecoute.connectors.errors import ParseError, SourceUnavailable
from ecoute.core.records import Batch, Mention
from ecoute.core.settings import parse_settings
from ecoute.warehouse.connection import connect

ROWS = [
    {"id": "1", "author": "ann", "text": "Zelia card declined again 😡", "created_at": "2026-10-13T08:00:00Z"},
    {"id": "2", "author": "bob", "text": "Zelia is hiring: recrutement ouvert", "created_at": "2026-10-13T09:00:00Z"},
    {
        "id": "3",
        "author": "zelia_help",
        "text": "Sorry Ann, DM us",
        "created_at": "2026-10-13T09:05:00Z",
        "in_reply_to": "1",
    },
    {"id": "4", "author": "cy", "text": "Norvo > Zelia", "created_at": "2026-10-14T10:00:00Z"},
    {"id": "5", "author": "dee", "text": "nothing to see", "created_at": "2026-10-14T11:00:00Z"},
]


def settings_for(tmp_path: Path, path: str = "m.jsonl"):
    return parse_settings(
        {
            "brands": [
                {"name": "Zelia", "query": "zelia NOT recrutement", "handles": ["zelia_help"]},
                {"name": "Norvo"},
            ],
            "sources": [{"name": "export", "kind": "file", "path": path}],
            "warehouse": {"path": "w/ecoute.duckdb"},
        },
        base_dir=tmp_path,
    )


def test_brand_queries_decide_which_posts_are_kept(tmp_path: Path) -> None:
    """Exclusions work, brand answers are kept, unrelated posts are counted, not stored."""
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS))
    settings = settings_for(tmp_path)
    collected = pipeline.collect_source(settings, settings.sources[0])
    brands = {m.native_id: m.brands for m in collected.batch.mentions}
    assert brands == {"1": ("Zelia",), "3": ("Zelia",), "4": ("Zelia", "Norvo")}
    assert collected.off_query == 2 and collected.error is None


def test_a_dead_source_is_reported_not_raised(tmp_path: Path) -> None:
    """A missing export is an error message for that source; the caller goes on."""
    settings = settings_for(tmp_path, "absent.jsonl")
    collected = pipeline.collect_source(settings, settings.sources[0])
    assert collected.error and "no file at" in collected.error and collected.batch.mentions == []


def mention(native_id: str, brand: str, at: datetime) -> Mention:
    return Mention(
        source="export", native_id=native_id, text=f"{brand} ok", published_at=at, collected_at=at, brands=(brand,)
    )


def test_watermarks_move_forward_per_brand(tmp_path: Path) -> None:
    """Each brand resumes from its own newest post, minus a safety overlap; never backwards."""
    t0 = datetime(2026, 10, 1, 12)
    settings = settings_for(tmp_path)
    with connect(settings.warehouse.path) as con:
        assert pipeline.read_watermarks(con, "export", settings.brands) == {"Zelia": None, "Norvo": None}
        pipeline.save_watermarks(
            con, "export", Batch([mention("1", "Zelia", t0), mention("2", "Norvo", t0 + timedelta(days=1))])
        )
        pipeline.save_watermarks(
            con, "export", Batch([mention("0", "Zelia", t0 - timedelta(days=3))])
        )  # older: ignored
        marks = pipeline.read_watermarks(con, "export", settings.brands)
    assert marks == {
        "Zelia": t0 - pipeline.WATERMARK_OVERLAP,
        "Norvo": t0 + timedelta(days=1) - pipeline.WATERMARK_OVERLAP,
    }


def test_a_source_read_in_part_keeps_its_watermark(tmp_path: Path) -> None:
    """A dead feed's posts are older than what its live neighbours brought: the watermark stays where it was,
    so the next run reads them again; what is loaded is loaded."""
    t0 = datetime(2026, 10, 1, 12)
    settings = settings_for(tmp_path)
    whole = pipeline.Collected("export", Batch([mention("1", "Zelia", t0)]))
    part = pipeline.Collected(
        "export",
        Batch([mention("2", "Zelia", t0 + timedelta(days=2))], failed_parts=["https://dead.example/feed: boom"]),
    )
    with connect(settings.warehouse.path) as con:
        pipeline.load_batch(con, whole)
        loaded, _ = pipeline.load_batch(con, part)
        marks = pipeline.read_watermarks(con, "export", settings.brands)
    assert loaded.inserted == 1
    assert marks["Zelia"] == t0 - pipeline.WATERMARK_OVERLAP


def test_collecting_twice_adds_nothing(tmp_path: Path) -> None:
    """The second collection of the same source stores no new row."""
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r) for r in ROWS))
    settings = settings_for(tmp_path)
    results = []
    for _ in range(2):
        with connect(settings.warehouse.path) as con:
            since = pipeline.read_watermarks(con, "export", settings.brands)
        collected = pipeline.collect_source(settings, settings.sources[0], since=since)
        with connect(settings.warehouse.path) as con:
            results.append(pipeline.load_batch(con, collected)[0].inserted)
            count = con.sql("SELECT count(*) FROM mentions").fetchall()[0][0]
    assert results == [3, 0] and count == 3


# --- one retry layer: the Fetcher retries an outage, nothing retries a refusal or a parse error ---------

RETRIES = 2


def http_settings(tmp_path: Path):
    """One brand searched on an HN API at api.example, retried RETRIES times, without waiting."""
    return parse_settings(
        {
            "brands": [{"name": "Zelia"}],
            "sources": [
                {"name": "hn", "kind": "hackernews", "base_url": "https://api.example/v1", "min_interval_seconds": 0}
            ],
            "collection": {"retries": RETRIES, "retry_delay_seconds": 0},
            "warehouse": {"path": "w/ecoute.duckdb"},
        },
        base_dir=tmp_path,
    )


def collect_against(tmp_path: Path, answer: httpx.Response | Exception) -> tuple[pipeline.Collected, int]:
    """Collect the HN source against a server that always gives `answer`; the requests it got."""
    sent: Counter[str] = Counter()

    def handler(request: httpx.Request) -> httpx.Response:
        sent[request.url.host] += 1
        if isinstance(answer, Exception):
            raise answer
        return answer

    settings = http_settings(tmp_path)
    collected = pipeline.collect_source(settings, settings.sources[0], transport=httpx.MockTransport(handler))
    assert set(sent) == {"api.example"}
    return collected, sent["api.example"]


@pytest.mark.parametrize(
    "outage", [httpx.Response(503, text="down"), httpx.ConnectError("refused"), httpx.ReadTimeout("slow")]
)
def test_a_dead_host_costs_one_request_plus_the_retries(tmp_path: Path, outage: httpx.Response | Exception) -> None:
    """Without this, retries would multiply again: (1 + retries)^2 requests and minutes of waiting."""
    collected, sent = collect_against(tmp_path, outage)
    assert sent == 1 + RETRIES == collected.requests
    assert isinstance(collected.failure, SourceUnavailable) and collected.error == str(collected.failure)
    with pytest.raises(SourceUnavailable):
        collected.raise_failure()


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (httpx.Response(404, text="no such API"), SourceUnavailable),  # a refusal will not get better
        (httpx.Response(403, text="forbidden"), SourceUnavailable),
        (httpx.Response(200, text="<html>a login page</html>"), ParseError),  # nor will an answer we cannot read
    ],
)
def test_a_refusal_or_a_parse_error_costs_one_request(
    tmp_path: Path, answer: httpx.Response, kind: type[Exception]
) -> None:
    """Without this, a ParseError or a 404 would be retried like an outage."""
    collected, sent = collect_against(tmp_path, answer)
    assert sent == 1 == collected.requests
    assert type(collected.failure) is kind and collected.error == str(collected.failure)
