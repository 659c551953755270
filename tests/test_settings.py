"""Settings: one TOML file, validated with errors that name the key."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from ecoute.core.errors import SettingsError
from ecoute.core.settings import load_settings, parse_settings

MINIMAL = {"brands": [{"name": "Zelia"}], "sources": [{"name": "export", "kind": "file", "path": "m.jsonl"}]}


def test_example_settings_file_is_valid(tmp_path: Path) -> None:
    """The file `ecoute init` writes must load as it is."""
    path = tmp_path / "ecoute.toml"
    path.write_text((resources.files("ecoute") / "templates" / "ecoute.example.toml").read_text())
    settings = load_settings(path)
    assert [b.name for b in settings.brands] == ["Zelia", "Norvo"]
    assert settings.sources[0].path == tmp_path / "exports" / "mentions.jsonl"


def test_relative_paths_are_taken_from_the_settings_folder(tmp_path: Path) -> None:
    """A settings file works whatever folder the command is run from."""
    settings = parse_settings(MINIMAL, base_dir=tmp_path)
    assert settings.warehouse.path == tmp_path / "ecoute-data" / "ecoute.duckdb"
    assert settings.sources[0].path == tmp_path / "m.jsonl"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"brands": [{"nme": "Zelia"}]}, "brands[0].name: Field required"),  # a typo in a key
        ({"brands": [{"name": "Zelia"}], "extra": 1}, "extra: Extra inputs are not permitted"),  # unknown section
        ({"sources": [{"name": "x", "kind": "file"}]}, "sources[0].file.path: Field required"),  # missing setting
        ({"sources": [{"name": "x", "kind": "ftp", "path": "a"}]}, "sources[0]: Input tag 'ftp'"),  # unknown kind
        ({"sources": [{"name": "x", "kind": "rss"}]}, "needs `feeds` or `news_search = true`"),  # nothing to read
        # a key of another kind
        ({"sources": [{"name": "x", "kind": "file", "path": "a", "feeds": []}]}, "file.feeds: Extra inputs"),
        ({"brands": [{"name": "A", "query": "a AND (b"}]}, "position"),  # a query with a mistake
        ({"sources": [{"name": "x", "kind": "appstore", "apps": [{"brand": "B", "id": "1"}]}]}, "unknown brand 'B'"),
        ({"brands": [{"name": "A", "competitors": ["B"]}]}, "unknown brand 'B'"),  # dangling competitor
        ({"models": {"batch_size": 0}}, "models.batch_size"),  # out of range
        ({"brands": [{"name": "A"}, {"name": "a"}]}, "brand names must be unique"),  # duplicate brand
        ({"brands": [{"name": "A", "terms": ["a", "!!"]}]}, "brands[0].terms: '!!' has no letter"),  # matches nothing
        ({"brands": [{"name": "🚀"}]}, "brands[0]: name '🚀' has no letter"),  # searched by name: no word in it
        ({"brands": [{"name": "A", "about": " -- "}]}, "brands[0].about: has no words"),  # empty
        ({"brands": [{"name": "A", "about": "bank " * 101}]}, "brands[0].about: String should have at most 500"),
        ({"schedule": {"cron": "0 6 * * *"}}, "[schedule] is read from prefect.yaml now"),  # one place says when
    ],
)
def test_invalid_settings_name_the_key(change: dict, expected: str) -> None:
    with pytest.raises(SettingsError) as error:
        parse_settings({**MINIMAL, **change})
    assert expected in str(error.value)


def test_missing_and_broken_files_are_clear_errors(tmp_path: Path) -> None:
    """No traceback for a missing file or bad TOML: a message that says what to do."""
    with pytest.raises(SettingsError, match="ecoute init"):
        load_settings(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[[brands]\nname = 'x'\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(broken)


def test_an_old_settings_file_without_terms_searches_the_name_and_says_so(tmp_path: Path) -> None:
    """Settings written before terms were required still load; the brand's name alone is searched."""
    path = tmp_path / "ecoute.toml"
    path.write_text('[[brands]]\nname = "Zelia"\n\n[[sources]]\nname = "x"\nkind = "file"\npath = "m.jsonl"\n')
    brand = load_settings(path).brands[0]
    assert brand.searches_name_only and brand.search_query.text == "Zelia"


@pytest.mark.parametrize(
    ("brand", "query", "stop_words"),
    [
        ({"name": "American", "terms": ["American Airlines", "@AmericanAir"]},  # the name is not searched
         '("American Airlines" OR @AmericanAir)', ["American", "American Airlines", "@AmericanAir"]),
        ({"name": "Zelia", "terms": ["zelia", "zelia bank"]},  # unless it is a term
         '(zelia OR "zelia bank")', ["Zelia", "zelia bank"]),
        ({"name": "Zelia", "terms": ["zelia"], "query": "zelia -niece"},  # a query wins over the terms
         "zelia -niece", ["Zelia"]),
    ],
)  # fmt: skip
def test_the_search_is_the_terms_the_name_only_names(brand: dict, query: str, stop_words: list[str]) -> None:
    """What is searched is what the user wrote; the name still names the brand (topic stop words)."""
    loaded = parse_settings({**MINIMAL, "brands": [brand]}).brands[0]
    assert loaded.search_query.text == query and not loaded.searches_name_only
    assert loaded.all_terms == stop_words


def test_about_says_what_the_brand_is_and_is_optional() -> None:
    """`about` feeds the relevance score; old files without it load, its spacing is tidied."""
    assert parse_settings(MINIMAL).brands[0].about is None
    brand = {"name": "American", "terms": ["American"], "about": "US airline:\n  flights, bags,   delays"}
    assert parse_settings({**MINIMAL, "brands": [brand]}).brands[0].about == "US airline: flights, bags, delays"
