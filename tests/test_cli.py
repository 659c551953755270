"""The CLI: every command has help with an example and is in the README; errors are friendly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ecoute.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def command_paths() -> list[str]:
    group = typer.main.get_group(app)
    paths = []
    for name, command in group.commands.items():
        sub = getattr(command, "commands", None)
        paths.extend(f"{name} {inner}" for inner in sub) if sub else paths.append(name)
    return sorted(paths)


@pytest.mark.parametrize("command", command_paths())
def test_every_command_has_an_example_and_is_documented(command: str) -> None:
    """A user finds each command in the README and an example in its help."""
    result = runner.invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    assert f"ecoute {command}" in (ROOT / "README.md").read_text()


def test_quickstart_is_two_one_line_commands_and_ci_runs_the_second() -> None:
    """The README's promise: one command installs and runs the demo, one runs every test."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1]
    block = re.search(r"```(?:\w+)?\n(.*?)```", section, re.DOTALL)
    assert block is not None
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(lines) == 2
    assert "ecoute demo" in lines[0]
    assert lines[1] in (ROOT / ".ci" / "run").read_text()


def test_init_then_check(tmp_path: Path) -> None:
    """`ecoute init` writes a file that `ecoute check` accepts."""
    path = tmp_path / "ecoute.toml"
    assert runner.invoke(app, ["init", str(path)]).exit_code == 0
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "mentions.jsonl").touch()  # the export the example settings read
    result = runner.invoke(app, ["check", "--settings", str(path)])
    assert result.exit_code == 0 and "is valid" in result.output
    again = runner.invoke(app, ["init", str(path)])
    assert again.exit_code == 1 and "--force" in again.output


def test_bad_settings_are_one_clear_message(tmp_path: Path) -> None:
    """A typo in the settings names the key, with no traceback."""
    path = tmp_path / "ecoute.toml"
    path.write_text('[[brands]]\nnme = "Zelia"\n[[sources]]\nname = "x"\nkind = "file"\npath = "a.jsonl"\n')
    result = runner.invoke(app, ["check", "--settings", str(path)])
    assert result.exit_code == 1
    assert "brands[0].name: Field required" in result.output
    assert "Traceback" not in result.output


CHECKED = """
[[brands]]
name = "Zelia"
terms = ["Zelia app", "@zelia"]

[[brands]]
name = "American"

[[brands]]
name = "Norvo"
query = 'norvo -niece lang:fr'

[[sources]]
name = "hn"
kind = "hackernews"

[[sources]]
name = "reddit"
kind = "reddit"
brands = ["Zelia", "Norvo"]

[[sources]]
name = "export"
kind = "file"
path = "m.jsonl"
"""


def brand_section(output: str, name: str) -> str:
    return output.split(f"  brand {name}:", 1)[1].split("\n  brand ", 1)[0].split("\n  source ", 1)[0]


def test_check_shows_what_each_brand_is_searched_for(tmp_path: Path) -> None:
    """The user sees the query every post must match and what each API is sent, in its own syntax."""
    path = tmp_path / "ecoute.toml"
    path.write_text(CHECKED)
    (tmp_path / "m.jsonl").touch()
    result = runner.invoke(app, ["check", "--settings", str(path)])
    assert result.exit_code == 0, result.output
    zelia, norvo = brand_section(result.output, "Zelia"), brand_section(result.output, "Norvo")
    assert 'query: ("Zelia app" OR @zelia)\n' in zelia  # the terms, without the name
    assert 'hn (hackernews): searches `"Zelia app"`, `zelia`;' in zelia  # Algolia: one search per alternative
    assert 'reddit (reddit): searches `"Zelia app" OR zelia`;' in zelia
    assert "export (file): reads everything; then keeps the posts the query matches" in zelia
    assert "no terms configured" not in zelia
    assert "query: norvo -niece lang:fr\n" in norvo
    assert "reddit (reddit): searches `norvo AND NOT niece`;" in norvo  # the exclusion, said Reddit's way


def test_check_says_when_only_the_name_is_searched(tmp_path: Path) -> None:
    """A settings file without terms still works, but nobody is left unaware that "American" is searched."""
    path = tmp_path / "ecoute.toml"
    path.write_text(CHECKED)
    (tmp_path / "m.jsonl").touch()
    result = runner.invoke(app, ["check", "--settings", str(path)])
    assert result.exit_code == 0, result.output
    american = brand_section(result.output, "American")
    assert 'no terms configured — searching for its name "American" only' in american
    assert "hn (hackernews): searches `American`;" in american
    assert "reddit" not in american  # that source does not listen for this brand


def test_check_names_what_this_machine_lacks_and_never_prints_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing export and a missing API key are one line each and exit 1; a key that is set is said set."""
    monkeypatch.setenv("REDDIT_CLIENT_ID", "my-id-value")
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", "my-secret-value")
    monkeypatch.delenv("YOUTUBE_API_KEY", raising=False)
    path = tmp_path / "ecoute.toml"
    path.write_text(f'{CHECKED}\n[[sources]]\nname = "yt"\nkind = "youtube"\n')
    result = runner.invoke(app, ["check", "--settings", str(path)], terminal_width=200)
    assert result.exit_code == 1, result.output
    assert "credentials REDDIT_CLIENT_ID set, REDDIT_CLIENT_SECRET set" in result.output
    assert "my-id-value" not in result.output and "my-secret-value" not in result.output
    problems = [line for line in result.output.splitlines() if line.startswith("source ")]
    assert len(problems) == 2, result.output
    assert problems[0].startswith("source export (file): path: no file at ")
    assert problems[1].startswith("source yt (youtube): ") and "YOUTUBE_API_KEY" in problems[1]


def test_the_readme_shows_what_check_prints(tmp_path: Path) -> None:
    """The README's brands, checked with its two sources, print what the README says they print."""
    section = (ROOT / "README.md").read_text().split("## Settings", 1)[1].split("\n## ", 1)[0]
    settings = re.search(r"```toml\n(.*?)```", section, re.DOTALL)
    shown = re.search(r"```text\n(.*?)```", section, re.DOTALL)
    assert settings is not None and shown is not None
    path = tmp_path / "ecoute.toml"
    sources = '[[sources]]\nname = "hn"\nkind = "hackernews"\n\n[[sources]]\nname = "reddit"\nkind = "reddit"\n'
    path.write_text(f"{settings.group(1)}\n{sources}")
    result = runner.invoke(app, ["check", "--settings", str(path)])
    assert result.exit_code == 0, result.output
    assert shown.group(1) in result.output


def test_train_sentiment_from_an_analysts_csv(tmp_path: Path) -> None:
    """Analysts' labels become a head the pipeline can load by its folder."""
    from ecoute.models.encoder import load_encoder
    from ecoute.models.sentiment import load_sentiment

    rows = ["text,label"]
    for i in range(6):
        rows += [f'"Zelia is wonderful, thanks {i}",positive', f'"Zelia lost my money again {i}",negative']
        rows += [f'"Zelia opens a branch on street {i}",neutral']
    data = tmp_path / "labelled.csv"
    data.write_text("\n".join(rows) + "\n")
    out = tmp_path / "head"
    result = runner.invoke(app, ["train", "sentiment", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    encoder = load_encoder("e5")  # the pipeline's default, which the command trains on
    head = load_sentiment(str(out), encoder)
    assert head.predict(["Zelia is wonderful"], encoder.encode(["Zelia is wonderful"])).labels == ["positive"]


def test_collect_one_source_twice(tmp_path: Path) -> None:
    """`ecoute collect` stores what is new, and a second run adds nothing."""
    (tmp_path / "m.jsonl").write_text(
        '{"id": "1", "text": "Zelia rocks", "created_at": "2026-10-01T10:00:00Z"}\n'
        '{"id": "2", "text": "unrelated", "created_at": "2026-10-01T11:00:00Z"}\n'
    )
    settings = tmp_path / "ecoute.toml"
    settings.write_text(
        '[[brands]]\nname = "Zelia"\n[[sources]]\nname = "export"\nkind = "file"\npath = "m.jsonl"\n'
        '[warehouse]\npath = "w.duckdb"\n'
    )
    first = runner.invoke(app, ["collect", "--source", "export", "--settings", str(settings)])
    second = runner.invoke(app, ["collect", "--source", "export", "--settings", str(settings)])
    assert first.exit_code == 0 and "1 mentions, 1 new, 0 quarantined, 1 off-query" in first.output
    assert second.exit_code == 0 and "1 new" not in second.output and "0 new" in second.output
    unknown = runner.invoke(app, ["collect", "--source", "nope", "--settings", str(settings)])
    assert unknown.exit_code == 1 and "unknown source 'nope'" in unknown.output


def test_error_text_is_never_read_as_terminal_markup(tmp_path: Path) -> None:
    """A name or query holding "[...]" or "[/]" prints as written, instead of vanishing or crashing rich."""
    settings = tmp_path / "ecoute.toml"
    settings.write_text(
        '[[brands]]\nname = "Zelia"\n[[sources]]\nname = "export"\nkind = "file"\npath = "m.jsonl"\n'
        '[warehouse]\npath = "w.duckdb"\n'
    )
    result = runner.invoke(app, ["collect", "--source", "[bold]x[/]", "--settings", str(settings)])
    assert result.exit_code == 1
    assert "unknown source '[bold]x[/]'" in result.output
