"""The `refit-topics` flow: a scheduled refit of the topic model on the latest window.

New mentions are only ever `transform`ed by the saved model; this flow is the one place a
model is replaced, and it records in `topic_map` how old topics carry over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, State

from ecoute.core.settings import Settings, load_settings
from ecoute.flows.runlog import logged_run, said_in_one_line, step, warehouse
from ecoute.models.encoder import load_encoder
from ecoute.pipeline.topics import refit_topics


@task(name="refit", cache_policy=NO_CACHE)
@said_in_one_line
def refit(settings: Settings) -> dict[str, Any]:
    encoder = load_encoder(settings.models.encoder)
    with warehouse(settings) as con:
        return refit_topics(con, settings, encoder)


@flow(name="refit-topics")
@said_in_one_line
def refit_topics_flow(settings_path: str = "ecoute.toml") -> dict[str, Any] | State:
    """Refit topics on the latest window and map old topics to new ones; logged in `runs` like `listen`."""
    settings = load_settings(Path(settings_path))
    with logged_run(settings, "refit-topics") as log:
        if log.skipped:
            return Completed(name="Skipped", message=f"nothing to do: caught up by {log.skipped}")
        log.stats["refit"] = step(refit, settings)
        log.status = "completed"
    return log.stats["refit"]
