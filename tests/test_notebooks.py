"""The analysts' notebooks run top to bottom against a warehouse, and are kept without outputs."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from synthetic_warehouse import BRANDS, DETECTION, Scenario, synthetic_warehouse

from ecoute.insights.detect import detect, store_findings
from ecoute.pipeline import sync_brands

NOTEBOOK_DIR = Path(__file__).parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
TOPIC_NOTEBOOKS = ["02_topic_deep_dive.ipynb", "03_campaign_comparison.ipynb"]
INPUTS = ["ECOUTE_BRAND", "ECOUTE_TOPIC", "ECOUTE_PERIOD_START", "ECOUTE_PERIOD_END"]  # left to their defaults


def build(path: Path, *, topics: bool) -> Path:
    """A synthetic warehouse with brand settings and findings, closed so a kernel can open it read-only."""
    with synthetic_warehouse(path, Scenario()) as con:
        if not topics:  # as before the first topic fit
            con.execute("UPDATE enrichments SET topic_id = NULL, topic_probability = NULL, topic_model = NULL")
            con.execute("DELETE FROM topics")
        sync_brands(con, BRANDS)
        store_findings(con, detect(con, BRANDS, DETECTION))
    return path


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("notebooks") / "ecoute.duckdb", topics=True)


@pytest.fixture(scope="module")
def warehouse_without_topics(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("notebooks") / "ecoute.duckdb", topics=False)


def test_notebooks_are_saved_without_outputs() -> None:
    """Outputs hold one run's data and bloat diffs: notebooks are committed cleared."""
    assert NOTEBOOKS, "no notebook found in notebooks/"
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        dirty = [i for i, cell in enumerate(notebook.cells) if cell.get("outputs") or cell.get("execution_count")]
        assert dirty == [], f"{path.name}: cells {dirty} have outputs; clear them before saving"


def execute(path: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> nbformat.NotebookNode:
    """Run every cell on the warehouse given by ECOUTE_WAREHOUSE, in this venv's Python; return the outputs."""
    monkeypatch.setenv("ECOUTE_WAREHOUSE", str(warehouse))  # the kernel inherits this process's environment
    for name in INPUTS:
        monkeypatch.delenv(name, raising=False)
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.prefix, end='')"))

    client = NotebookClient(
        notebook, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, at the first failing cell

    errors = [output for cell in notebook.cells for output in cell.get("outputs", []) if output.output_type == "error"]
    assert errors == []
    assert notebook.cells[-1].outputs[0].text == sys.prefix, "the kernel is not this virtual environment's Python"
    return notebook


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_top_to_bottom(path: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cell runs without error on a fresh warehouse, each input left to its default."""
    execute(path, warehouse, monkeypatch)


@pytest.mark.parametrize("name", TOPIC_NOTEBOOKS)
def test_notebook_says_when_there_is_no_topic(
    name: str, warehouse_without_topics: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the first topic fit, the topic sections still run, and say there is no topic data."""
    notebook = execute(NOTEBOOK_DIR / name, warehouse_without_topics, monkeypatch)

    texts = [
        output.get("text") or output.get("data", {}).get("text/markdown", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    ]
    assert any("no topic data" in text.lower() for text in texts)
