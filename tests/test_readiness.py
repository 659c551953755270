"""Settings checked for real: URLs refused when loaded; missing files and credentials listed by source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ecoute.connectors.readiness import credential_problems, credentials, readiness_problems
from ecoute.core.errors import SettingsError
from ecoute.core.settings import load_settings, parse_settings

BRANDS = [{"name": "Zelia"}]
CREDENTIAL_VARIABLES = (
    "REDDIT_CLIENT_ID",
    "REDDIT_CLIENT_SECRET",
    "MASTODON_TOKEN",
    "BLUESKY_HANDLE",
    "BLUESKY_APP_PASSWORD",
    "YOUTUBE_API_KEY",
)


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own keys must not make a missing credential look set."""
    for variable in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


def settings_with(*sources: dict[str, Any], base_dir: Path | None = None) -> Any:
    return parse_settings({"brands": BRANDS, "sources": list(sources)}, base_dir=base_dir)


def source(kind: str, **fields: Any) -> dict[str, Any]:
    return {"name": kind, "kind": kind, **fields}


@pytest.mark.parametrize(
    ("settings_source", "expected"),
    [
        (source("mastodon", instances=["mastodon.social"]),  # a bare host name: the scheme is added in the example
         "sources[0].mastodon.instances[0]: 'mastodon.social' is not an http(s) URL (no scheme); "
         "e.g. 'https://mastodon.social' (source 'mastodon')"),
        (source("rss", feeds=["https://ok.example/rss", "ftp://files.example/feed.xml"]),  # the second item is named
         "sources[0].rss.feeds[1]: 'ftp://files.example/feed.xml' is not an http(s) URL (scheme 'ftp'); "
         "e.g. 'https://files.example/feed.xml' (source 'rss')"),
        (source("web", pages=[{"url": "forum.example.fr/t/1", "item": "article", "text": "p"}]),  # nested in a page
         "sources[0].web.pages[0].url: 'forum.example.fr/t/1' is not an http(s) URL (no scheme)"),
        (source("rss", news_search=True, news_search_url="https://"),  # a scheme and nothing after it
         "sources[0].rss.news_search_url: 'https://' is not an http(s) URL (no host name); e.g. 'https://example.com'"),
        (source("reddit", base_url="http:/www.reddit.com"),  # one slash short
         "sources[0].reddit.base_url: 'http:/www.reddit.com' is not an http(s) URL (no // after the scheme)"),
        (source("bluesky", pds=" https://bsky.social"),  # pasted with a space
         "sources[0].bluesky.pds: ' https://bsky.social' is not an http(s) URL (spaces around it); "
         "e.g. 'https://bsky.social'"),
        (source("youtube", base_url="file:///tmp/youtube"), "sources[0].youtube.base_url: 'file:///tmp/youtube'"),
        (source("hackernews", base_url="hn.algolia.com/api/v1"), "sources[0].hackernews.base_url"),
        (source("appstore", apps=[{"brand": "Zelia", "id": "1"}], base_url="itunes.apple.com"),
         "sources[0].appstore.base_url"),
    ],
)  # fmt: skip
def test_a_url_without_http_is_refused_naming_the_key_and_the_source(
    settings_source: dict[str, Any], expected: str
) -> None:
    """Without this, `mastodon.social` loads and every run fails far from the file, as a request to nowhere."""
    with pytest.raises(SettingsError) as error:
        settings_with(settings_source)
    assert expected in str(error.value)


@pytest.mark.parametrize(
    "url", ["https://mastodon.social", "http://127.0.0.1:8080/api/v1", "HTTPS://Piaille.fr/", "http://[::1]:9/feed"]
)
def test_http_urls_load_as_written(url: str) -> None:
    """Local replay servers, upper case schemes and IPv6 hosts are real URLs; nothing is rewritten."""
    loaded = settings_with(source("mastodon", instances=[url]), source("rss", feeds=[url]))
    assert loaded.sources[0].instances == [url] and loaded.sources[1].feeds == [url]


def test_a_missing_export_is_a_problem_at_the_path_the_connector_reads(tmp_path: Path) -> None:
    """The relative path is read from the settings file's folder, not from where the command runs."""
    settings_file = tmp_path / "conf" / "ecoute.toml"
    settings_file.parent.mkdir()
    settings_file.write_text(
        '[[brands]]\nname = "Zelia"\n\n[[sources]]\nname = "helpdesk"\nkind = "file"\npath = "exports/m.jsonl"\n'
    )
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "m.jsonl").write_text("{}\n")  # beside the working folder, not beside the settings

    (problem,) = readiness_problems(load_settings(settings_file))
    expected = tmp_path / "conf" / "exports" / "m.jsonl"
    assert str(problem) == f"source helpdesk (file): path: no file at {expected}"
    assert problem.key == "path"

    expected.parent.mkdir()
    expected.write_text("{}\n")
    assert readiness_problems(load_settings(settings_file)) == []


def test_a_folder_where_the_export_should_be_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "m.jsonl").mkdir()
    (problem,) = readiness_problems(settings_with(source("file", path="m.jsonl"), base_dir=tmp_path))
    assert str(problem) == f"source file (file): path: {tmp_path / 'm.jsonl'} is a folder, not a file"


def test_every_source_is_checked_and_one_line_names_each_problem(tmp_path: Path) -> None:
    """A sound source between two broken ones: the problems are the broken two, in settings order."""
    loaded = settings_with(
        {"name": "youtube", "kind": "youtube"},
        {"name": "hn", "kind": "hackernews"},
        {"name": "export", "kind": "file", "path": "gone.jsonl"},
        base_dir=tmp_path,
    )
    assert [str(p) for p in readiness_problems(loaded)] == [
        "source youtube (youtube): YOUTUBE_API_KEY is not set (YouTube's Data API answers only with a key)",
        f"source export (file): path: no file at {tmp_path / 'gone.jsonl'}",
    ]


@pytest.mark.parametrize(
    ("kind", "environ", "problem"),
    [
        ("youtube", {}, "YOUTUBE_API_KEY is not set"),  # required: nothing is read without it
        ("youtube", {"YOUTUBE_API_KEY": ""}, "YOUTUBE_API_KEY is not set"),  # empty counts as unset, as it does there
        ("youtube", {"YOUTUBE_API_KEY": "k"}, None),
        ("bluesky", {}, "BLUESKY_HANDLE and BLUESKY_APP_PASSWORD are not set"),  # anonymous search is refused
        ("bluesky", {"BLUESKY_HANDLE": "zelia.bsky.social"}, "BLUESKY_APP_PASSWORD is not set"),
        ("bluesky", {"BLUESKY_HANDLE": "h", "BLUESKY_APP_PASSWORD": "p"}, None),
        ("reddit", {}, None),  # optional: public listings without them
        ("reddit", {"REDDIT_CLIENT_ID": "id"}, "REDDIT_CLIENT_ID is set but REDDIT_CLIENT_SECRET is not"),  # refused
        ("reddit", {"REDDIT_CLIENT_SECRET": "s"}, "REDDIT_CLIENT_SECRET is set but REDDIT_CLIENT_ID is not"),
        ("reddit", {"REDDIT_CLIENT_ID": "id", "REDDIT_CLIENT_SECRET": "s"}, None),
        ("mastodon", {}, None),  # optional: hashtag timelines without it
        ("hackernews", {}, None),  # no credentials at all
    ],
)
def test_credentials_a_source_cannot_run_without_are_problems(
    kind: str, environ: dict[str, str], problem: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = {"instances": ["https://mastodon.social"]} if kind == "mastodon" else {}
    for variable, value in environ.items():
        monkeypatch.setenv(variable, value)
    (loaded,) = settings_with(source(kind, **fields)).sources
    found = [p.message for p in credential_problems(loaded)]
    assert [message[: len(problem)] for message in found] == ([] if problem is None else [problem])


def test_credentials_say_set_or_missing_and_never_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """`ecoute check` prints this line: which variables the source reads, and whether each is there."""
    monkeypatch.setenv("REDDIT_CLIENT_ID", "s3cret-client-id")
    (reddit,) = settings_with(source("reddit")).sources
    line = ", ".join(str(c) for c in credentials(reddit))
    assert line == "REDDIT_CLIENT_ID set, REDDIT_CLIENT_SECRET missing (optional)"
    assert "s3cret" not in repr(credentials(reddit)) + "".join(str(p) for p in credential_problems(reddit))
    (youtube,) = settings_with(source("youtube")).sources
    assert [str(c) for c in credentials(youtube)] == ["YOUTUBE_API_KEY missing"]  # required: no "(optional)"


def test_the_environment_can_be_given_instead_of_read() -> None:
    """A caller (a deployment check, a test) asks about another environment than this process's."""
    (youtube,) = settings_with(source("youtube")).sources
    assert [c.is_set for c in credentials(youtube, {"YOUTUBE_API_KEY": "k"})] == [True]
    assert credential_problems(youtube, {"YOUTUBE_API_KEY": "k"}) == []
