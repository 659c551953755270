"""The deployments file (`prefect.yaml`): the one place that says when each flow runs.

`prefect deploy --all` reads it for a work pool, `ecoute serve` reads the same file, and
`ecoute check` validates it: each schedule's cron and its (explicit) time zone, and a
concurrency limit of one, since a DuckDB warehouse has one writer. Keys ecoute does not use
(work pools, tags, job variables) are Prefect's and pass through untouched.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from cronsim import CronSim, CronSimError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ecoute.core.errors import SettingsError
from ecoute.core.settings import describe_problems

DEFAULT_DEPLOYMENTS_FILE = "prefect.yaml"

CRON_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


class _Prefects(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)  # the rest of each mapping is Prefect's business


class Schedule(_Prefects):
    cron: str
    timezone: str = Field(description="Required: a cron without a time zone runs in UTC, which nobody means.")
    active: bool = True

    @field_validator("cron")
    @classmethod
    def _cron(cls, cron: str) -> str:
        # cronsim parses the five fields; the @-aliases Prefect's schedules also take are read as what they stand for
        try:
            CronSim(CRON_ALIASES.get(cron.strip().lower(), cron), datetime(2026, 1, 1))
        except CronSimError as error:
            raise ValueError(
                f"{cron!r} is not a cron expression ({error}); e.g. '0 6 * * *' (06:00 every day)"
            ) from None
        return cron

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not a time zone name; e.g. 'Europe/Paris', 'UTC'") from None
        return name


class ConcurrencyLimit(_Prefects):
    limit: Literal[1] = Field(description="One: DuckDB lets one process write the warehouse.")
    collision_strategy: Literal["ENQUEUE", "CANCEL_NEW"]


class Deployment(_Prefects):
    name: str = Field(min_length=1)
    entrypoint: str = Field(pattern=r"^[\w.]+:\w+$", description="module:flow, imported from the installed package.")
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=dict)
    schedules: list[Schedule] = Field(default_factory=list)
    concurrency_limit: ConcurrencyLimit


class DeploymentsFile(_Prefects):
    deployments: list[Deployment] = Field(min_length=1)


def load_deployments(path: Path) -> list[Deployment]:
    """Read and validate a deployments file; any problem is a `SettingsError` naming the key."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"no deployments file at {path}; `ecoute init` writes one beside the settings") from None
    except yaml.YAMLError as error:
        raise SettingsError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path} is not a Prefect deployments file (no `deployments:` mapping)")
    try:
        return DeploymentsFile.model_validate(data).deployments
    except ValidationError as error:
        raise SettingsError(f"{path} is invalid:\n{describe_problems(error, data)}") from None


def deployments_beside(settings_file: Path) -> Path:
    """Where the deployments file of a settings file lives: in the same folder."""
    return settings_file.resolve().parent / DEFAULT_DEPLOYMENTS_FILE
