"""prefect.yaml: the one place that says when each flow runs (issue 10, item 3), read by
`prefect deploy --all`, `ecoute serve` and `ecoute check`; and the catch-up policy."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from ecoute.cli import app
from ecoute.core.deployments import load_deployments
from ecoute.core.errors import SettingsError
from ecoute.pipeline import caught_up_by, skip_run, start_run
from ecoute.pipeline.runs import finish_run
from ecoute.warehouse.connection import connect

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_the_shipped_file_declares_every_flow_with_its_time_zone_and_one_writer() -> None:
    from prefect import Flow
    from prefect.utilities.importtools import import_object

    shipped = (resources.files("ecoute") / "templates" / "prefect.yaml").read_text()
    assert (ROOT / "prefect.yaml").read_text() == shipped  # `ecoute init` writes what the repository deploys
    declared = {item.name: item for item in load_deployments(ROOT / "prefect.yaml")}
    assert set(declared) == {"listen", "refit-topics"}
    flows = {name: import_object(item.entrypoint) for name, item in declared.items()}
    assert all(isinstance(flow, Flow) for flow in flows.values())
    assert {flow.name for flow in flows.values()} == {"listen", "refit-topics"}
    for item in declared.values():
        assert (
            item.concurrency_limit.limit == 1 and item.schedules and item.parameters == {"settings_path": "ecoute.toml"}
        )
        assert all(schedule.timezone == "Europe/Paris" for schedule in item.schedules)
    assert "pull" not in yaml.safe_load(shipped)  # Prefect records the folder deployed from: no $ECOUTE_HOME


def write(tmp_path: Path, change: dict[str, Any]) -> Path:
    data = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    data["deployments"][0].update(change)
    path = tmp_path / "prefect.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"schedules": [{"cron": "0 25 * * *", "timezone": "UTC"}]}, "schedules[0].cron: '0 25 * * *' is not a cron"),
        ({"schedules": [{"cron": "0 6 * * *", "timezone": "Europe/Pariss"}]}, "'Europe/Pariss' is not a time zone"),
        ({"schedules": [{"cron": "0 6 * * *"}]}, "deployments[0].schedules[0].timezone: Field required"),
        (
            {"concurrency_limit": {"limit": 2, "collision_strategy": "ENQUEUE"}},
            "concurrency_limit.limit: Input should be 1",
        ),
        ({"concurrency_limit": None}, "deployments[0].concurrency_limit"),
        ({"entrypoint": "flows/listen.py:listen"}, "deployments[0].entrypoint"),  # a file path breaks once installed
    ],
)
def test_a_bad_deployment_names_the_key(tmp_path: Path, change: dict[str, Any], expected: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_deployments(write(tmp_path, change))
    assert expected in str(error.value)


@pytest.mark.parametrize("cron", ["0 6 * * *", "*/15 * * * *", "0 6 * * MON-FRI", "@daily", "@hourly"])
def test_schedules_prefect_takes_are_taken(tmp_path: Path, cron: str) -> None:
    path = write(tmp_path, {"schedules": [{"cron": cron, "timezone": "UTC"}]})
    assert load_deployments(path)[0].schedules[0].cron == cron


def test_init_writes_both_files_and_check_shows_the_deployments(tmp_path: Path) -> None:
    settings = tmp_path / "ecoute.toml"
    assert runner.invoke(app, ["init", str(settings)]).exit_code == 0
    assert (tmp_path / "prefect.yaml").read_text() == (ROOT / "prefect.yaml").read_text()
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "mentions.jsonl").touch()
    result = runner.invoke(app, ["check", "--settings", str(settings)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert (
        "deployment listen (ecoute.flows.listen:listen): 0 6 * * * (Europe/Paris); concurrency limit 1 (CANCEL_NEW)"
        in result.output
    )
    assert "deployment refit-topics (ecoute.flows.refit:refit_topics_flow): 0 5 * * 1 (Europe/Paris)" in result.output
    write(tmp_path, {"schedules": [{"cron": "0 25 * * *", "timezone": "UTC"}]})
    broken = runner.invoke(app, ["check", "--settings", str(settings)])
    assert broken.exit_code == 1 and "is not a cron expression" in broken.output and "Traceback" not in broken.output


def test_serve_serves_every_declared_deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import prefect

    served: list[Any] = []
    monkeypatch.setattr(prefect, "serve", lambda *deployments: served.extend(deployments))
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # never called: serve is replaced
    settings = tmp_path / "ecoute.toml"
    assert runner.invoke(app, ["init", str(settings)]).exit_code == 0
    result = runner.invoke(app, ["serve", "--settings", str(settings)])
    assert result.exit_code == 0, result.output
    by_name = {deployment.name: deployment for deployment in served}
    assert set(by_name) == {"listen", "refit-topics"}
    listen = by_name["listen"]
    assert listen.concurrency_limit == 1 and listen.concurrency_options.collision_strategy == "CANCEL_NEW"
    assert [(s.schedule.cron, s.schedule.timezone) for s in listen.schedules] == [("0 6 * * *", "Europe/Paris")]
    assert listen.parameters == {"settings_path": str(settings.resolve())}


def test_a_late_run_whose_slot_a_later_run_covered_is_skipped(tmp_path: Path) -> None:
    """A worker back from downtime starts every late run in turn: the first catches up, the others skip."""
    with connect(tmp_path / "ecoute.duckdb") as con:
        start_run(con, "catch-up", "listen")  # started after every missed slot, and went to the end
        finish_run(con, "catch-up", "completed", {})
        started = con.sql("SELECT started_at FROM runs").fetchall()[0][0]
        missed = started.replace(hour=0, minute=0, second=0, microsecond=0)
        assert "run catch-up, started" in (caught_up_by(con, "listen", missed) or "")
        assert caught_up_by(con, "refit-topics", missed) is None  # another flow covers nothing
        assert caught_up_by(con, "listen", datetime(2999, 1, 1)) is None  # a slot after it: a real run
        skip_run(con, "late", "listen", "run catch-up")
        assert dict(con.sql("SELECT run_id, status FROM runs").fetchall()) == {
            "catch-up": "completed",
            "late": "skipped",
        }


def test_a_skipped_scheduled_run_ends_completed_named_skipped(
    tmp_path: Path, prefect_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ecoute.flows.runlog
    from ecoute.flows.listen import listen

    settings = tmp_path / "ecoute.toml"
    settings.write_text('[[brands]]\nname = "Zelia"\n[[sources]]\nname = "x"\nkind = "file"\npath = "none.jsonl"\n')
    with connect(tmp_path / "ecoute-data" / "ecoute.duckdb") as con:
        start_run(con, "earlier", "listen")
        finish_run(con, "earlier", "partial", {})
    monkeypatch.setattr(ecoute.flows.runlog, "scheduled_slot", lambda: datetime(2000, 1, 1, 6))
    state = listen(settings_path=str(settings), return_state=True)
    assert state.is_completed() and state.name == "Skipped" and "caught up by run earlier" in state.message
    with connect(tmp_path / "ecoute-data" / "ecoute.duckdb") as con:
        assert sorted(row[0] for row in con.sql("SELECT status FROM runs").fetchall()) == ["partial", "skipped"]
