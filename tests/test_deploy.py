"""Against a real Prefect server on 127.0.0.1 (issue 10, items 2 and 3), the way the README says:

- deployed from prefect.yaml (`prefect work-pool create`, `prefect deploy --all`, a process
  worker), a scheduled run of `listen` completes;
- two `ecoute run` started at once on one warehouse both finish, one after the other, and
  nothing is doubled.

Each test costs about a minute or two: a server, model loading, a run or two.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ecoute.cli import app
from ecoute.demo.corpus import generate
from ecoute.warehouse.sharing import reading

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
runner = CliRunner()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A Prefect server of its own (`prefect server start`, as the README says); the environment to reach it."""
    home = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_WORKER_QUERY_SECONDS": "2",  # the worker looks for due runs every 2 s, not 10
    }
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [BIN / "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{env['PREFECT_API_URL']}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (home / "server.log").read_text()
            time.sleep(1)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def project(folder: Path, *, mentions_scale: float = 0.02) -> Path:
    """What a user has after `ecoute init`: ecoute.toml and prefect.yaml, plus the export it reads."""
    folder.mkdir(parents=True, exist_ok=True)
    assert runner.invoke(app, ["init", str(folder / "ecoute.toml")]).exit_code == 0
    generate(folder / "exports", seed=7, scale=mentions_scale)  # writes exports/mentions.jsonl, as the settings read
    return folder


def prefect(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run([BIN / "prefect", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def api(env: dict[str, str], method: str, path: str, body: dict | None = None) -> object:
    answer = httpx.request(method, f"{env['PREFECT_API_URL']}{path}", json=body, timeout=30)
    answer.raise_for_status()
    return answer.json()


def test_deployed_from_prefect_yaml_a_scheduled_run_completes(tmp_path: Path, prefect_api: dict[str, str]) -> None:
    folder = project(tmp_path / "project")
    deployments = folder / "prefect.yaml"
    shipped = deployments.read_text()
    # the one change to the shipped file: listen every minute, so that a scheduled run comes within the test
    deployments.write_text(shipped.replace('- cron: "0 6 * * *"', '- cron: "* * * * *"', 1))
    assert deployments.read_text() != shipped

    prefect(prefect_api, folder, "work-pool", "create", "ecoute", "--type", "process")
    prefect(prefect_api, folder, "deploy", "--all")
    listed = prefect(prefect_api, folder, "deployment", "ls")
    assert "listen/listen" in listed and "refit-topics/refit-topics" in listed
    declared = {d["name"]: d for d in api(prefect_api, "POST", "/deployments/filter", {})}  # type: ignore[union-attr]
    for name, cron in (("listen", "* * * * *"), ("refit-topics", "0 5 * * 1")):
        schedule = declared[name]["schedules"][0]["schedule"]
        assert (schedule["cron"], schedule["timezone"]) == (cron, "Europe/Paris")
        assert declared[name]["global_concurrency_limit"]["limit"] == 1
        assert declared[name]["concurrency_options"]["collision_strategy"] == "CANCEL_NEW"
        assert declared[name]["pull_steps"][0]["prefect.deployments.steps.set_working_directory"]["directory"] == str(
            folder
        )

    worker_log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [BIN / "prefect", "worker", "start", "--pool", "ecoute"],
        env=prefect_api,
        cwd=tmp_path,  # anywhere: the deployment says where to run
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    try:
        listen_id = declared["listen"]["id"]
        deadline = time.monotonic() + 420
        completed: list[dict] = []
        while not completed:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(3)
            runs = api(prefect_api, "POST", "/flow_runs/filter", {"deployments": {"id": {"any_": [listen_id]}}})
            completed = [run for run in runs if run["state_type"] == "COMPLETED"]  # type: ignore[union-attr]
            failed = [run for run in runs if run["state_type"] in ("FAILED", "CRASHED")]  # type: ignore[union-attr]
            assert not failed, (tmp_path / "worker.log").read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        worker_log.close()
    assert completed[0]["auto_scheduled"] is True  # created by the schedule, not by hand
    with reading(folder / "ecoute-data" / "ecoute.duckdb") as con:
        assert con.sql("SELECT count(*) FROM mentions").fetchall()[0][0] > 0
        assert ("listen", "completed") in con.sql("SELECT flow, status FROM runs").fetchall()


def test_two_runs_at_once_take_turns_and_double_nothing(tmp_path: Path, prefect_api: dict[str, str]) -> None:
    folder = project(tmp_path / "project")
    runs = [
        subprocess.Popen(
            [BIN / "ecoute", "run", "--settings", "ecoute.toml"],
            env=prefect_api,
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    with reading(folder / "ecoute-data" / "ecoute.duckdb") as con:
        mentions = con.sql("SELECT count(*), count(DISTINCT mention_id) FROM mentions").fetchall()[0]
        logged = con.sql("SELECT status, stats FROM runs ORDER BY started_at").fetchall()
    assert mentions[0] == mentions[1] > 0  # each mention once
    assert [status for status, _ in logged] == ["completed", "completed"]
    new = [json.loads(stats)["load"]["helpdesk-export"]["new"] for _, stats in logged]
    assert new == [mentions[0], 0]  # the second ran after the first, and found everything there
