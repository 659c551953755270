"""Acceptance: one settings file using all nine connectors validates, runs against a replay
server in each source's real format, and a second collection run adds nothing."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from replay_server import CLOSED_VIDEO, OPEN_VIDEO, Seen, replay_server
from typer.testing import CliRunner

from ecoute.cli import app
from ecoute.core.settings import load_settings
from ecoute.warehouse.connection import connect

SETTINGS = Path(__file__).parent / "fixtures" / "all_sources.toml"
KINDS = ("file", "rss", "hackernews", "reddit", "mastodon", "bluesky", "youtube", "appstore", "web")
SEARCHES = ("hackernews", "reddit", "mastodon", "bluesky", "youtube")  # searched per brand: a watermark each
COUNTED = ("mentions", "enrichments", "quarantine")
API_KEY = "replay-youtube-key"
CREDENTIALS = ("REDDIT_", "BLUESKY_", "MASTODON_TOKEN")  # unset: every source takes its public path
EXPORT = [  # the file source's export, written next to the settings
    {"id": "x1", "platform": "twitter", "author": "alice_fr", "text": "Zelia ou Norvo pour un compte pro ?",
     "created_at": "2026-10-30T08:00:00Z", "likes": 2},
    {"id": "x2", "platform": "twitter", "author": "zelia_help", "text": "Zelia : écrivez-nous en MP, on regarde 🙏",
     "created_at": "2026-10-30T08:20:00Z", "in_reply_to": "x1"},
]  # fmt: skip
# Every author in the fixtures the run reads: handles, account ids, display names.
HANDLES = (
    "alice_fr", "zelia_help",  # file
    "Camille Martin", "Léa Bernard", "Norvo SRE team", "Priya Shah",  # rss
    "marie_dev", "kpetit", "newsbot_fr", "anon_eu", "ask_user",  # hackernews
    "throwaway_lyon", "fintech_watch", "nomad_in_lisbon", "curieux_75", "marco_b", "t2_8zq1x0c4",  # reddit
    "marie_l@piaille.fr", "tomwrites@hachyderm.io", "jules@framapiaf.org", "oldtimer",  # mastodon
    "zelia-help.bsky.social", "camille-lyon.bsky.social", "tomriver.com", "did:plc:c4m1ll3xq2w3e4r5t6y7u8i9",  # bluesky
    "@camille-lyon", "@tomriver", "@jules", "UCc4m1ll3Lyon0q2w3e4r5t6", "UCt0mR1v3rq2w3e4r5t6y7u8",  # youtube
    "Camille_78", "Théo.L", "nanou_du_69", "Mehdi K.", "JB-Rennes", "Sophie_P", "dan.k",  # appstore
    "Camille78", "Théo L.", "nanou69", "Dan K.", "Emma W.", "Lucie ✨",  # web
)  # fmt: skip

runner = CliRunner()


@dataclass(frozen=True)
class Runs:
    """Two `listen` runs over the same replayed sources, and what each left behind."""

    warehouse: Path
    first: dict[str, Any]
    second: dict[str, Any]
    counts: tuple[dict[str, int], dict[str, int]]  # after the first run, after the second
    requests: tuple[list[Seen], list[Seen]]  # what each run asked the server


def table_counts(path: Path) -> dict[str, int]:
    with connect(path) as con:
        return {t: con.sql(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in COUNTED}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> Runs:
    from ecoute.flows.listen import listen

    root = tmp_path_factory.mktemp("all-sources")
    with pytest.MonkeyPatch.context() as env, replay_server() as replay:
        for name in [n for n in os.environ if n.startswith(CREDENTIALS)]:
            env.delenv(name)
        env.setenv("YOUTUBE_API_KEY", API_KEY)
        settings_path = project(root, replay.url)
        warehouse = load_settings(settings_path).warehouse.path
        first = listen(settings_path=str(settings_path))
        after_first, asked_first = table_counts(warehouse), list(replay.requests)
        second = listen(settings_path=str(settings_path))
        asked_second = replay.requests[len(asked_first) :]
    # the server is stopped and the environment restored before any test looks at the results
    return Runs(warehouse, first, second, (after_first, table_counts(warehouse)), (asked_first, asked_second))


def project(root: Path, replay_url: str = "http://127.0.0.1:9") -> Path:
    """The settings with `{replay}` said, and the export they read, in `root`."""
    (root / "exports").mkdir(exist_ok=True)
    (root / "exports" / "mentions.jsonl").write_text("".join(json.dumps(row) + "\n" for row in EXPORT))
    settings_path = root / "ecoute.toml"
    settings_path.write_text(SETTINGS.read_text(encoding="utf-8").replace("{replay}", replay_url))
    return settings_path


def test_the_settings_file_validates(tmp_path: Path) -> None:
    """The shipped file is valid and declares one source of each of the nine kinds."""
    settings = load_settings(project(tmp_path))
    assert sorted(s.kind for s in settings.sources) == sorted(KINDS)
    assert [b.name for b in settings.brands] == ["Zelia", "Norvo"]


def test_check_command_accepts_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ecoute check --settings` on the file succeeds, with the credentials the sources need, and names every
    source."""
    for name in ("YOUTUBE_API_KEY", "BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD"):
        monkeypatch.setenv(name, "set-for-the-test")
    result = runner.invoke(app, ["check", "--settings", str(project(tmp_path))], terminal_width=200)
    assert result.exit_code == 0, result.output
    for kind in KINDS:
        assert f"source {kind} ({kind})" in result.output


def test_sources_command_lists_the_nine_kinds() -> None:
    """`ecoute sources` lists every connector kind the file uses."""
    result = runner.invoke(app, ["sources"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    listed = {line.split("│")[1].strip() for line in result.output.splitlines() if line.count("│") > 2}
    assert set(KINDS) <= listed and len(listed - {"kind", ""}) == 9


def test_no_source_fails(runs: Runs) -> None:
    """Both runs read all nine sources without a failure."""
    assert runs.first["failed_sources"] == {} and runs.second["failed_sources"] == {}
    assert sorted(runs.first["load"]) == sorted(KINDS)


def test_every_source_stores_mentions(runs: Runs) -> None:
    """Each of the nine sources stored at least one mention, as many as its load reported new."""
    with connect(runs.warehouse) as con:
        stored = dict(con.sql("SELECT source, count(*) FROM mentions GROUP BY source").fetchall())
    assert sorted(stored) == sorted(KINDS)  # a source that stored nothing has no row here
    assert stored == {kind: runs.first["load"][kind]["new"] for kind in KINDS}


def test_no_raw_handle_is_stored(runs: Runs) -> None:
    """No author handle from the fixtures is stored as an author key or in the raw payload's author."""
    with connect(runs.warehouse) as con:
        leaks = con.sql(
            "SELECT source, handle FROM mentions, unnest($handles::VARCHAR[]) AS h(handle) "
            "WHERE author_key = handle OR contains(coalesce(raw->>'author', ''), handle)",
            params={"handles": list(HANDLES)},
        ).fetchall()
        keyed = con.sql("SELECT count(*) FROM mentions WHERE author_key IS NOT NULL").fetchall()[0][0]
    assert leaks == []
    assert keyed > 0  # the check above looked at real author keys


def test_each_api_is_paged_as_it_answers(runs: Runs) -> None:
    """The first run follows every source's own paging and signs in nowhere without credentials."""
    asked = runs.requests[0]

    def queries(path: str) -> list[dict[str, str]]:
        return [r.query for r in asked if r.method == "GET" and r.path == path]

    hn = [q["page"] for q in queries("/api/v1/search_by_date") if q["query"] == "Zelia"]
    assert hn == ["0", "1"]  # nbPages = 2
    links = [q.get("after") for q in queries("/search.json") if q["q"] == "Zelia" and q["type"] == "link"]
    assert links == [None, "t3_1ohx3k2"]
    tag = [q.get("max_id") for q in queries("/api/v1/timelines/tag/zelia")]
    assert tag == [None, "115448000000000001", "115400000000000004"]  # Link headers, then an empty page
    assert all("cursor" not in q for q in queries("/xrpc/app.bsky.feed.searchPosts"))  # anonymous: one page
    threads = queries("/youtube/v3/commentThreads")
    assert {q["key"] for q in threads} == {API_KEY}
    assert ["pageToken" in q for q in threads if q["videoId"] == OPEN_VIDEO] == [False, True, True]
    assert [q["videoId"] for q in threads].count(CLOSED_VIDEO) == 1  # comments off: skipped, not failed
    assert "/fr/rss/customerreviews/page=2/id=1500000001/sortby=mostrecent/json" in {r.path for r in asked}
    assert [r.path for r in asked].count("/robots.txt") == 1
    assert {"page": "2"} in queries("/t/zelia-carte-refusee-12345")
    assert [r for r in asked if r.method != "GET"] == []


def test_a_second_run_adds_nothing(runs: Runs) -> None:
    """Running again over the same answers stores no new mention and changes no row count."""
    assert {kind: load["new"] for kind, load in runs.second["load"].items()} == dict.fromkeys(KINDS, 0)
    assert runs.counts[1] == runs.counts[0]
    assert runs.second["enrich"]["enriched"] == 0


def test_the_second_run_starts_from_the_watermarks(runs: Runs) -> None:
    """Each search source keeps a watermark per brand, and the second run asks only for what is newer."""
    with connect(runs.warehouse) as con:
        marks = set(con.sql("SELECT source, brand FROM watermarks").fetchall())
    assert {(source, brand) for source in SEARCHES for brand in ("Zelia", "Norvo")} <= marks
    asked = runs.requests[1]
    hn = [r.query for r in asked if r.path == "/api/v1/search_by_date"]
    assert hn and all(q["numericFilters"].startswith("created_at_i>") for q in hn)
    bluesky = [r.query for r in asked if r.path == "/xrpc/app.bsky.feed.searchPosts"]
    assert bluesky and all("since" in q for q in bluesky)
    youtube = [r.query for r in asked if r.path == "/youtube/v3/search"]
    assert youtube and all("publishedAfter" in q for q in youtube)
