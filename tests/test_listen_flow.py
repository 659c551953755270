"""End to end: the Prefect `listen` flow on a slice of the demo corpus, with the real models."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import ecoute.pipeline.collect
from ecoute.cli import app
from ecoute.connectors.http import make_client
from ecoute.core.errors import RunFailed
from ecoute.core.settings import load_settings
from ecoute.demo.corpus import generate
from ecoute.warehouse.connection import connect

SETTINGS = """
[[brands]]
name = "Zelia"
competitors = ["Norvo"]
handles = ["zelia_help"]

[[brands]]
name = "Norvo"
competitors = ["Zelia"]
handles = ["norvo_support"]

[[sources]]
name = "demo"
kind = "file"
path = "corpus/mentions.jsonl"

[[sources]]
name = "gone"
kind = "file"
path = "corpus/does-not-exist.jsonl"

[collection]
retries = 1
retry_delay_seconds = 0

[warehouse]
path = "warehouse/ecoute.duckdb"

[models]
batch_size = 128
min_topic_size = 8

[detection]
min_daily_volume = 3

[reports]
dir = "reports"
"""

COUNTED = ("mentions", "enrichments", "embeddings", "topics", "findings", "quarantine")


def listen_with_failures(settings_path: Path) -> dict[str, Any]:
    """Run the flow where a source is meant to fail: it goes to the end, then ends Failed, named Partial,
    carrying its stats in a RunFailed."""
    from ecoute.flows.listen import listen

    state = listen(settings_path=str(settings_path), return_state=True)
    assert state.is_failed() and state.name == "Partial", state
    failed = state.result(raise_on_failure=False)
    assert isinstance(failed, RunFailed) and str(failed) == state.message
    return failed.stats


def table_counts(path: Path) -> dict[str, int]:
    with connect(path) as con:
        return {t: con.sql(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in COUNTED}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> tuple[Path, dict, dict]:
    root = tmp_path_factory.mktemp("listen")
    corpus = generate(root / "corpus", seed=11, scale=0.1)
    settings_path = root / "ecoute.toml"
    settings_path.write_text(SETTINGS)
    first = listen_with_failures(settings_path)
    return settings_path, first, {"n_mentions": corpus.n_mentions, "truth": json.loads(corpus.truth_path.read_text())}


def test_every_mention_is_stored_once_and_enriched(demo_run: tuple[Path, dict, dict]) -> None:
    """Each good demo record is in the warehouse exactly once with language, sentiment and topic."""
    settings_path, _, corpus = demo_run
    settings = load_settings(settings_path)
    with connect(settings.warehouse.path) as con:
        total, distinct = con.sql("SELECT count(*), count(DISTINCT native_id) FROM mentions").fetchall()[0]
        missing = con.sql(
            "SELECT count(*) FROM mentions LEFT JOIN enrichments USING (mention_id) "
            "WHERE language IS NULL OR sentiment IS NULL OR topic_id IS NULL "
            "OR duplicate_group IS NULL OR intent IS NULL"
        ).fetchall()[0][0]
        quarantined = con.sql("SELECT count(*) FROM quarantine").fetchall()[0][0]
        # the author field of the raw payload holds the keyed hash, never the handle
        handles = con.sql(
            "SELECT count(*) FROM mentions WHERE (raw->>'author') IS DISTINCT FROM author_key"
        ).fetchall()[0][0]
    assert total == distinct == corpus["n_mentions"]
    assert missing == 0
    assert quarantined == 3  # the corpus plants three malformed records
    assert handles == 0


def test_a_dead_source_is_reported_and_the_others_run(demo_run: tuple[Path, dict, dict]) -> None:
    """The missing file fails alone; the run is marked partial, not lost."""
    settings_path, stats, _ = demo_run
    assert list(stats["failed_sources"]) == ["gone"]
    assert (
        stats["failed_sources"]["gone"].startswith("SourceUnavailable: ")
        and "no file at" in stats["failed_sources"]["gone"]
    )
    with connect(load_settings(settings_path).warehouse.path) as con:
        assert con.sql("SELECT status FROM runs").fetchall() == [("partial",)]


def test_reports_are_written_for_each_brand(demo_run: tuple[Path, dict, dict]) -> None:
    """The run leaves one HTML report and one Markdown digest per brand."""
    _, stats, _ = demo_run
    for brand in ("Zelia", "Norvo"):
        html = Path(stats["reports"][brand])
        assert html.exists() and html.stat().st_size > 10_000
        assert Path(stats["reports"][f"{brand} (markdown)"]).exists()


def test_the_planted_complaint_spike_is_found(demo_run: tuple[Path, dict, dict]) -> None:
    """Brand A's week-6 spike is among the findings, dated inside the planted event."""
    settings_path, _, corpus = demo_run
    spike = next(e for e in corpus["truth"]["events"] if e["kind"] == "complaint_spike")
    with connect(load_settings(settings_path).warehouse.path) as con:
        found = con.sql(
            "SELECT kind, period_start, period_end FROM findings WHERE brand = 'Zelia' "
            "AND kind IN ('volume_spike', 'negative_surge') "
            "AND period_start <= $end::DATE AND period_end >= $start::DATE",
            params={"start": spike["start"], "end": spike["end"]},
        ).fetchall()
    assert found, "the planted spike was not detected"


def test_running_again_changes_no_row_count(demo_run: tuple[Path, dict, dict]) -> None:
    """A second run over the same data adds nothing and keeps topic ids."""
    settings_path, _, _ = demo_run
    path = load_settings(settings_path).warehouse.path
    before = table_counts(path)
    with connect(path) as con:
        topics_before = con.sql("SELECT mention_id, topic_id FROM enrichments ORDER BY 1").fetchall()
    stats = listen_with_failures(settings_path)
    assert stats["enrich"]["enriched"] == 0
    assert table_counts(path) == before
    with connect(path) as con:
        assert con.sql("SELECT mention_id, topic_id FROM enrichments ORDER BY 1").fetchall() == topics_before


def test_refit_maps_old_topics_and_is_idempotent(demo_run: tuple[Path, dict, dict]) -> None:
    """A refit on a new window maps old topics to new and reassigns all; on the same window it changes nothing."""
    from ecoute.models.encoder import load_encoder
    from ecoute.pipeline.topics import refit_topics

    settings_path, _, _ = demo_run
    settings = load_settings(settings_path)
    encoder = load_encoder(settings.models.encoder)
    with connect(settings.warehouse.path) as con:
        old_model = con.sql("SELECT DISTINCT topic_model FROM enrichments").fetchall()
        assert refit_topics(con, settings, encoder) == {
            "refitted": False,
            "reason": "the window gives the same model",
            "topic_model": old_model[0][0],
        }
    smaller = settings.model_copy(
        update={"models": settings.models.model_copy(update={"topic_fit_window": 300, "min_topic_size": 10})}
    )
    with connect(settings.warehouse.path) as con:
        result = refit_topics(con, smaller, encoder)
        assert result["refitted"] and result["mapped_topics"] > 0
        models = con.sql("SELECT DISTINCT topic_model FROM enrichments").fetchall()
        unassigned = con.sql("SELECT count(*) FROM enrichments WHERE topic_id IS NULL").fetchall()[0][0]
        mapped = con.sql(
            "SELECT count(*) FROM topic_map WHERE old_model = $m", params={"m": old_model[0][0]}
        ).fetchall()
    assert models == [(result["topic_model"],)] and models != old_model and unassigned == 0
    assert mapped[0][0] > 0


FAILING = """
[[brands]]
name = "Zelia"

[[sources]]
name = "dead"
kind = "hackernews"
base_url = "https://dead.example/v1"
min_interval_seconds = 0

[[sources]]
name = "gone"
kind = "hackernews"
base_url = "https://gone.example/v1"
min_interval_seconds = 0

[[sources]]
name = "garbled"
kind = "hackernews"
base_url = "https://garbled.example/v1"
min_interval_seconds = 0

[collection]
retries = 2
retry_delay_seconds = 0

[warehouse]
path = "warehouse/ecoute.duckdb"

[reports]
dir = "reports"
"""


def test_failed_sources_are_retried_once_by_the_fetcher_and_keep_their_type(
    tmp_path: Path, prefect_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without this, the flow would retry what the Fetcher already retried ((1 + retries)^2 requests to a
    dead host), retry a 404 or a ParseError like an outage, and report every failure as RuntimeError."""

    answers = {
        "dead.example": httpx.Response(503, text="down"),  # an outage: retried by the Fetcher alone
        "gone.example": httpx.Response(404, text="no such API"),  # a refusal: never retried
        "garbled.example": httpx.Response(200, text="<html>a login page</html>"),  # unreadable: never retried
    }
    sent: Counter[str] = Counter()

    def handler(request: httpx.Request) -> httpx.Response:
        sent[request.url.host] += 1
        return answers[request.url.host]

    transport = httpx.MockTransport(handler)
    monkeypatch.setattr(ecoute.pipeline.collect, "make_client", lambda **_: make_client(transport=transport))
    (tmp_path / "ecoute.toml").write_text(FAILING)
    stats = listen_with_failures(tmp_path / "ecoute.toml")
    assert sent == {"dead.example": 1 + 2, "gone.example": 1, "garbled.example": 1}
    failed = stats["failed_sources"]
    assert failed["dead"].startswith("SourceUnavailable: dead.example: HTTP 503 after 3 tries")
    assert failed["gone"].startswith("SourceUnavailable: ") and "HTTP 404" in failed["gone"]
    assert failed["garbled"].startswith("ParseError: ") and "expected JSON" in failed["garbled"]


DEAD_ONLY = """
[[brands]]
name = "Zelia"

[[sources]]
name = "gone"
kind = "file"
path = "nowhere/mentions.jsonl"

[[sources]]
name = "also-gone"
kind = "file"
path = "nowhere/either.jsonl"

[warehouse]
path = "warehouse/ecoute.duckdb"

[reports]
dir = "reports"
"""


def test_a_run_with_dead_sources_looks_failed_to_the_shell_and_to_status(tmp_path: Path, prefect_server: None) -> None:
    """`ecoute run` exits non-zero with one line per failed source and no traceback; `ecoute status` shows
    the run and what failed; called from Python, the flow raises RunFailed."""
    from ecoute.flows.listen import listen

    settings = tmp_path / "ecoute.toml"
    settings.write_text(DEAD_ONLY)
    result = CliRunner().invoke(app, ["run", "--settings", str(settings)])

    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if "failed:" in line]
    assert len(lines) == 2 and lines[0].startswith("source gone failed: SourceUnavailable: ")
    assert "Traceback" not in result.output
    shown = CliRunner().invoke(app, ["status", "--settings", str(settings)], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "partial" in shown.output and "gone: SourceUnavailable" in shown.output
    with pytest.raises(RunFailed, match="source also-gone failed"):
        listen(settings_path=str(settings))
