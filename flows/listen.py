"""The `listen` flow: collect -> load -> enrich -> topics -> detect -> report.

Tasks open the warehouse themselves (DuckDB allows one writer, and a connection is not
something to pass between tasks). Only collection does I/O that can fail transiently, and
its retries live in one place, the connectors' polite Fetcher (`collection.retries` per
request, Retry-After and per-host pacing honoured): the `collect` task is not retried by
Prefect. A source that still fails ends its task Failed with its typed error in one line
(`SourceUnavailable: ...`, `ParseError: ...`), the others go on, and the run ends Failed
(`Partial`) once everything else is done.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed, State

from ecoute import pipeline
from ecoute.core.errors import RunFailed
from ecoute.core.settings import Settings, load_settings
from ecoute.delivery import send_alerts, send_report
from ecoute.flows.runlog import logged_run, said_in_one_line, step
from ecoute.flows.runlog import warehouse as _warehouse
from ecoute.insights.detect import detect as run_detectors
from ecoute.insights.detect import store_findings
from ecoute.models.encoder import load_encoder
from ecoute.pipeline.topics import update_topics
from ecoute.reports import write_report


@task(name="collect", cache_policy=NO_CACHE, retries=0)  # retried inside, by the Fetcher: never twice
@said_in_one_line
def collect(settings: Settings, source_name: str) -> pipeline.Collected:
    source = next(s for s in settings.sources if s.name == source_name)
    with _warehouse(settings) as con:  # closed before any network I/O
        since = pipeline.read_watermarks(con, source.name, settings.brands_for(source))
    collected = pipeline.collect_source(settings, source, since=since)
    # its own type (SourceUnavailable, ParseError...), the Fetcher having retried already:
    # said_in_one_line makes it this task's one-line Failed state, with no traceback
    collected.raise_failure()
    return collected


@task(name="load", cache_policy=NO_CACHE)
@said_in_one_line
def load(settings: Settings, collected: list[pipeline.Collected]) -> dict[str, Any]:
    stats: dict[str, Any] = {}
    with _warehouse(settings) as con:
        pipeline.sync_brands(con, settings.brands)
        for item in collected:
            loaded, quarantined = pipeline.load_batch(con, item)
            stats[item.source] = {
                "received": loaded.received,
                "new": loaded.inserted,
                "quarantined": quarantined,
                "off_query": item.off_query,
                "requests": item.requests,
            }
    return stats


@task(name="enrich", cache_policy=NO_CACHE)
@said_in_one_line
def enrich(settings: Settings) -> dict[str, Any]:
    logger = get_run_logger()
    with _warehouse(settings) as con:
        total = pipeline.pending_count(con)
        if total == 0:
            return {"enriched": 0}
        enricher = pipeline.load_enricher(settings)
        per_brand = pipeline.load_per_brand_sentiment(settings, enricher)
        relevance = pipeline.load_match_relevance(settings, enricher)
        started = time.perf_counter()
        logger.info("enriching %d mentions with %s", total, enricher.identities)
        if sys.stderr.isatty():
            from rich.progress import Progress  # only on a terminal

            with Progress(transient=True) as bar:
                job = bar.add_task("enriching", total=total)
                done = pipeline.enrich_pending(
                    con,
                    enricher,
                    batch_size=settings.models.batch_size,
                    progress=lambda n: bar.advance(job, n),
                    per_brand=per_brand,
                    relevance=relevance,
                )
        else:
            seen = 0

            def report(n: int) -> None:
                nonlocal seen
                seen += n
                logger.info("enriched %d/%d", seen, total)

            done = pipeline.enrich_pending(
                con,
                enricher,
                batch_size=settings.models.batch_size,
                progress=report,
                per_brand=per_brand,
                relevance=relevance,
            )
    seconds = time.perf_counter() - started
    return {
        "enriched": done,
        "seconds": round(seconds, 1),
        "per_second": round(done / seconds, 1),
        **enricher.identities,
    }


@task(name="topics", cache_policy=NO_CACHE)
@said_in_one_line
def topics(settings: Settings) -> dict[str, Any]:
    encoder = load_encoder(settings.models.encoder)  # embeddings are stored; it embeds the phrases naming topics
    with _warehouse(settings) as con:
        return update_topics(con, settings, encoder)


@task(name="detect", cache_policy=NO_CACHE)
@said_in_one_line
def detect(settings: Settings) -> dict[str, Any]:
    with _warehouse(settings) as con:
        findings = run_detectors(con, settings.brands, settings.detection)
        store_findings(con, findings)
    # sent after the warehouse is closed: send_alerts records what it sent, once per finding
    alerts = send_alerts(settings.delivery, findings, warehouse=settings.warehouse.path)
    return {"findings": len(findings), "headlines": [f.headline for f in findings], "alerts": alerts.as_dict()}


@task(name="report", cache_policy=NO_CACHE)
@said_in_one_line
def report(settings: Settings) -> dict[str, Any]:
    written: dict[str, Any] = {}
    with _warehouse(settings) as con:
        period = pipeline.report_period(con, settings.reports.period_days)
        if period is None:
            return written
        papers = {
            brand.name: write_report(
                con,
                brand,
                settings.brands,
                settings.reports.dir,
                period_start=period[0],
                period_end=period[1],
                detection=settings.detection,
            )
            for brand in settings.brands
        }
    deliveries = {}
    for name, paths in papers.items():
        written[name] = str(paths.html)
        written[f"{name} (markdown)"] = str(paths.markdown)
        sent = send_report(settings.delivery, name, paths, summary_markdown=paths.markdown.read_text(encoding="utf-8"))
        if sent.outcomes:
            deliveries[name] = sent.as_dict()
    if deliveries:
        written["delivery"] = deliveries
    return written


@flow(name="listen", log_prints=True)
@said_in_one_line
def listen(settings_path: str = "ecoute.toml", sources: list[str] | None = None) -> dict[str, Any] | State:
    """Collect from every configured source (or only `sources`), then enrich, detect and report.

    A run where a source or a delivery failed goes to the end, then ends Failed, named
    `Partial` (what a Prefect automation matches), its message one line per failure and its
    result a `RunFailed` carrying the stats; called directly, it raises that `RunFailed`.
    """
    settings = load_settings(Path(settings_path))
    with logged_run(settings, "listen") as log:
        if log.skipped:
            return Completed(name="Skipped", message=f"nothing to do: caught up by {log.skipped}")
        _listen(settings, log.stats, sources)
        failures = pipeline.run_failures(log.stats)
        log.status = "partial" if failures else "completed"
    if failures:
        message = "\n".join(failures)
        return Failed(name="Partial", message=message, data=RunFailed(message, log.stats))
    return log.stats


def _listen(settings: Settings, stats: dict[str, Any], sources: list[str] | None) -> None:
    logger = get_run_logger()
    stats["failed_sources"] = {}
    names = [s.name for s in settings.sources if not sources or s.name in sources]
    collected = []
    for name in names:
        state = collect(settings, name, return_state=True)
        result = state.result(raise_on_failure=False) if state.is_completed() else None
        if isinstance(result, pipeline.Collected):
            collected.append(result)
            if parts := result.batch.failed_parts:  # read, but not whole
                stats["failed_sources"][name] = f"{len(parts)} part(s) failed, the rest read: " + "; ".join(parts)
                logger.warning("source %s: %s", name, stats["failed_sources"][name])
        else:
            stats["failed_sources"][name] = str(state.message or state.name)
            logger.warning("source %s failed: %s", name, stats["failed_sources"][name])
    stats["load"] = step(load, settings, collected)
    for name, then in (("enrich", enrich), ("topics", topics), ("detect", detect), ("reports", report)):
        stats[name] = step(then, settings)
