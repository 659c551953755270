"""The `refit-topics` flow: a scheduled refit of the topic model on the latest window.

New mentions are only ever `transform`ed by the saved model; this flow is the one place a
model is replaced, and it records in `topic_map` how old topics carry over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from ecoute.core.settings import load_settings
from ecoute.models.encoder import load_encoder
from ecoute.pipeline.topics import refit_topics
from ecoute.warehouse.connection import connect


@task(name="refit", cache_policy=NO_CACHE)
def refit(settings_path: str) -> dict[str, Any]:
    settings = load_settings(Path(settings_path))
    encoder = load_encoder(settings.models.encoder)
    with connect(settings.warehouse.path) as con:
        return refit_topics(con, settings, encoder)


@flow(name="refit-topics")
def refit_topics_flow(settings_path: str = "ecoute.toml") -> dict[str, Any]:
    """Refit topics on the latest window and map old topics to new ones."""
    return refit(settings_path)
