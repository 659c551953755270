"""Errors a person can act on (issue 10, item 5): a full disk, a read-only folder, a held
warehouse and an unexpected error are one line each, naming the cause and what to do, with
the traceback only under --verbose; `ecoute status` reads a read-only warehouse.

The full and read-only disks are real: small tmpfs mounts (root only, as on our CI machines).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import ecoute.cli
from ecoute.cli import app
from ecoute.core.errors import storage_problem

runner = CliRunner()
MENTION = '{"id": "%d", "text": "Zelia lost my card again, day %d of waiting", "published_at": "2026-11-01T10:00:00"}\n'


def mount_tmpfs(folder: Path, size: str, *, read_only: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small disk here ({done.stderr.decode().strip()}): needs root, as CI has")


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "disk"
    yield folder
    subprocess.run(["umount", str(folder)], capture_output=True)


def settings_on(tmp_path: Path, warehouse: Path, mentions: int) -> Path:
    export = tmp_path / "export.jsonl"
    export.write_text("".join(MENTION % (i, i) for i in range(mentions)))
    settings = tmp_path / "ecoute.toml"
    settings.write_text(
        f'[[brands]]\nname = "Zelia"\n[[sources]]\nname = "export"\nkind = "file"\npath = "{export}"\n'
        f'[warehouse]\npath = "{warehouse}"\nwait_seconds = 1\n'
    )
    return settings


def one_error_line(output: str) -> str:
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, output
    return lines[0]


def test_a_full_disk_is_said_as_a_full_disk(tmp_path: Path, disk: Path) -> None:
    mount_tmpfs(disk, "1m")
    settings = settings_on(tmp_path, disk / "ecoute.duckdb", mentions=3000)
    result = runner.invoke(app, ["collect", "--source", "export", "--settings", str(settings)], terminal_width=400)
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert line.startswith("error: the disk is full") and "free some space" in line


def test_a_read_only_warehouse_is_read_and_refused_for_writing_in_one_line(tmp_path: Path, disk: Path) -> None:
    mount_tmpfs(disk, "20m")
    settings = settings_on(tmp_path, disk / "ecoute.duckdb", mentions=5)
    assert runner.invoke(app, ["collect", "--source", "export", "--settings", str(settings)]).exit_code == 0
    (disk / "ecoute.read.duckdb").unlink()  # only the warehouse itself: status must read it as it is
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)

    shown = runner.invoke(app, ["status", "--settings", str(settings)], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "mentions" in shown.output and "│ 5 " in shown.output
    refused = runner.invoke(app, ["collect", "--source", "export", "--settings", str(settings)], terminal_width=400)
    assert refused.exit_code == 1
    line = one_error_line(refused.output)
    assert line.startswith(f"error: cannot write {disk}") and "Read-only file system" in line


def test_a_full_disk_behind_another_error_is_still_found() -> None:
    """DuckDB says 'cannot rollback' when a full disk broke the transaction; the cause is in the chain."""
    try:
        try:
            raise OSError(28, "No space left on device", "/data/ecoute.duckdb")
        except OSError as full:
            raise duckdb.TransactionException("cannot rollback - no transaction is active") from full
    except duckdb.Error as error:
        found = storage_problem(error)
    assert found is not None and str(found).startswith("the disk is full at /data/ecoute.duckdb")
    assert storage_problem(ValueError("a bug")) is None


def test_a_held_warehouse_names_its_holder_in_one_line(tmp_path: Path) -> None:
    warehouse = tmp_path / "wh" / "ecoute.duckdb"
    settings = settings_on(tmp_path, warehouse, mentions=2)
    script = (
        "import sys, time; from pathlib import Path; from ecoute.warehouse.sharing import hold_writer\n"
        "with hold_writer(Path(sys.argv[1]), what='listen nightly', wait_seconds=0):\n"
        "    print('held', flush=True); time.sleep(30)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", script, str(warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = runner.invoke(app, ["collect", "--source", "export", "--settings", str(settings)], terminal_width=400)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert f"is being written by `listen nightly` (PID {holder.pid} on " in line and "waited 1 s" in line


def test_an_unexpected_error_is_one_line_and_verbose_shows_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_: Path) -> None:
        raise RuntimeError("the [bold]thing[/] broke")  # markup-looking text prints as written

    monkeypatch.setattr(ecoute.cli, "load_settings", broken)
    plain = runner.invoke(app, ["status", "--settings", str(tmp_path / "x.toml")], terminal_width=400)
    assert plain.exit_code == 1
    assert one_error_line(plain.output) == (
        "error: RuntimeError: the [bold]thing[/] broke (`ecoute --verbose ...` shows the traceback)"
    )
    verbose = runner.invoke(app, ["--verbose", "status", "--settings", str(tmp_path / "x.toml")])
    assert isinstance(verbose.exception, RuntimeError)  # raised, so its traceback is printed
    ecoute.cli.Verbosity.tracebacks = False
