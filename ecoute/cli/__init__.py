"""The `ecoute` command: a thin typer app over the packages.

Library errors stay typed everywhere else; only here do they become friendly messages.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ecoute.cli.common import SettingsOption, Verbosity, console, err, friendly
from ecoute.cli.tools import bench_app, train_app
from ecoute.connectors import KINDS
from ecoute.connectors.base import planned_searches
from ecoute.connectors.readiness import credentials, readiness_problems
from ecoute.core.deployments import deployments_beside, load_deployments
from ecoute.core.errors import EcouteError, RunFailed
from ecoute.core.settings import Brand, load_settings
from ecoute.core.source_settings import Source
from ecoute.warehouse.connection import connect
from ecoute.warehouse.connection import run as run_sql
from ecoute.warehouse.sharing import current_writer, hold_writer, reading

# Prefect's local server: no analytics (no network here) and a start-up timeout that the
# first run's migrations fit in. Set before Prefect is imported; the user's values win.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("HF_HUB_OFFLINE", os.environ.get("ECOUTE_HF_OFFLINE", "0"))

app = typer.Typer(help="ecoute: hear what people say about your brand, and what changed.", no_args_is_help=True)
app.add_typer(train_app, name="train")
app.add_typer(bench_app, name="bench")


@app.callback()
def main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show tracebacks and Prefect's debug log on errors.")
    ] = False,
) -> None:
    """ecoute: hear what people say about your brand, and what changed."""
    if verbose:
        Verbosity.tracebacks = True
        os.environ["PREFECT_LOGGING_LEVEL"] = "DEBUG"  # read when Prefect is imported, which comes later


DeploymentsOption = Annotated[
    Path | None,
    typer.Option("--deployments", help="Deployments file (default: prefect.yaml beside the settings file)."),
]


def _template(name: str) -> str:
    return (resources.files("ecoute") / "templates" / name).read_text(encoding="utf-8")


@app.command()
@friendly
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the settings file.")] = Path("ecoute.toml"),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example settings file, and prefect.yaml (the flows' schedules) beside it.

    Example: ecoute init ecoute.toml
    """
    deployments = deployments_beside(path)
    for target in (path, deployments):
        if target.exists() and not force:
            raise EcouteError(f"{target} exists; pass --force to overwrite it")
    path.write_text(_template("ecoute.example.toml"), encoding="utf-8")
    deployments.write_text(_template("prefect.yaml"), encoding="utf-8")
    console.print(
        f"Wrote {escape(str(path))} and {escape(str(deployments))} (when the flows run). "
        "Edit the brands and sources, then run [bold]ecoute check[/]."
    )


def _search_line(source: Source, brand: Brand) -> str | None:
    """What `source` reads for `brand`, as `ecoute check` shows it; None when it reads nothing for it."""
    apps = getattr(source, "apps", None)
    if apps is not None and brand.name not in {app.brand for app in apps}:
        return None
    empty = "nothing (the query cannot be said as a search: skipped)"
    if source.kind not in ("bluesky", "youtube"):
        empty = "no term (reads the latest posts)"
    reads = [
        f"{label} {', '.join(f'`{search}`' if search else empty for search in searches) or 'none'}"
        for label, searches in planned_searches(source, brand.search_query).items()
    ]
    if feeds := getattr(source, "feeds", None):
        reads.insert(0, f"reads {len(feeds)} feed(s) whole")
    if apps is not None:
        reads.append("reads the reviews of its app(s)")
    keeps = "keeps the posts the query matches" if source.filters_by_query else "keeps all (match_query = false)"
    return f"{source.name} ({source.kind}): {'; '.join(reads) or 'reads everything'}; then {keeps}"


@app.command()
@friendly
def check(settings: SettingsOption = Path("ecoute.toml"), deployments: DeploymentsOption = None) -> None:
    """Validate the settings file and show what each brand is searched for, source by source.

    Each brand's query (its terms ORed, or its `query`; its name alone, said loudly, when it has
    neither) and what every source sends its API for it, in the API's own search syntax.

    Example: ecoute check --settings ecoute.toml
    """
    loaded = load_settings(settings)
    console.print(f"[green]{escape(str(settings))} is valid.[/]")
    for brand in loaded.brands:
        console.print(f"  brand {brand.name}: competitors {', '.join(brand.competitors) or 'none'}", markup=False)
        if brand.searches_name_only:
            console.print(
                f'    [yellow]no terms configured — searching for its name "{escape(brand.name)}" only[/] '
                "(set `terms` or `query` to say what means this brand)",
                highlight=False,
            )
        console.print(f"    query: {brand.search_query.text}", markup=False, highlight=False)
        for source in loaded.sources:
            if brand in loaded.brands_for(source) and (line := _search_line(source, brand)):
                console.print(f"    {line}", markup=False, highlight=False)
    for source in loaded.sources:
        needed = ", ".join(str(credential) for credential in credentials(source)) or "none needed"
        console.print(f"  source {source.name} ({source.kind}): credentials {needed}", markup=False, highlight=False)
    console.print(f"  warehouse {loaded.warehouse.path}", markup=False)
    _show_deployments(deployments or deployments_beside(settings), given=deployments is not None)
    _exit_on_failures([str(problem) for problem in readiness_problems(loaded)])


def _show_deployments(path: Path, *, given: bool) -> None:
    """Each deployment with its schedules, time zones and concurrency limit; a bad file is an error."""
    if not path.exists() and not given:
        console.print(f"  no {path.name} beside the settings: `ecoute run` works, deployments need one", markup=False)
        return
    for item in load_deployments(path):
        when = "; ".join(f"{s.cron} ({s.timezone}){'' if s.active else ' paused'}" for s in item.schedules)
        limit = item.concurrency_limit
        console.print(
            f"  deployment {item.name} ({item.entrypoint}): {when or 'no schedule'}; "
            f"concurrency limit {limit.limit} ({limit.collision_strategy})",
            markup=False,
            highlight=False,
        )


def _run_listen(settings: Path, sources: list[str] | None = None) -> tuple[dict[str, Any], list[str]]:
    """Run the listen flow; return its stats and one line per failure (none when it completed)."""
    # late: prefect, torch and polars load only for the commands that need them (ecoute --help stays fast)
    from ecoute.flows.listen import listen

    state = listen(settings_path=str(settings), sources=sources, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, RunFailed):
        return result.stats, str(result).splitlines()
    if isinstance(result, BaseException):  # the run itself broke (not a source): its own error, as raised
        raise result
    if not isinstance(result, dict):
        raise EcouteError(f"the listen flow ended {state.name}: {state.message}")
    return result, []


def _exit_on_failures(failures: list[str]) -> None:
    """One line per failed source or delivery, then a non-zero exit: a failed run looks failed to the shell."""
    for line in failures:
        err.print(Text(line, style="red"), soft_wrap=True)
    if failures:
        raise typer.Exit(1)


def _print_counts(warehouse_path: Path) -> None:
    with reading(warehouse_path) as con:
        rows = run_sql(con, "table_counts").fetchall()
    table = Table("table", "rows")
    for name, count in rows:
        table.add_row(name, str(count))
    console.print(table)


def _print_outcome(stats: dict[str, Any], warehouse_path: Path) -> None:
    for name, load in stats.get("load", {}).items():
        console.print(
            f"source {name}: {load['received']} mentions read, {load['new']} new, {load['quarantined']} quarantined",
            markup=False,
        )
    enriched = stats.get("enrich", {})
    speed = f" in {enriched['seconds']} s ({enriched['per_second']} mentions/s)" if enriched.get("seconds") else ""
    console.print(f"enriched: {enriched.get('enriched', 0)}{speed}")
    detect = stats.get("detect", {})
    console.print(f"findings: {detect.get('findings', 0)}")
    for headline in detect.get("headlines", [])[:12]:
        console.print(f"  • {headline}", markup=False, highlight=False)
    _print_counts(warehouse_path)
    console.print(f"DuckDB warehouse: [bold]{escape(str(warehouse_path))}[/]")
    for name, path in stats.get("reports", {}).items():
        if name != "delivery":
            console.print(f"report {escape(name)}: [bold]{escape(str(path))}[/]")
    for name, outcome in stats.get("reports", {}).get("delivery", {}).items():
        console.print(f"delivery {name}: {outcome}", markup=False, highlight=False)


@app.command()
@friendly
def run(
    settings: SettingsOption = Path("ecoute.toml"),
    source: Annotated[list[str] | None, typer.Option(help="Only this source (repeatable).")] = None,
) -> None:
    """Run the listen flow once: collect, enrich, load, detect, report.

    Example: ecoute run --settings ecoute.toml
    """
    loaded = load_settings(settings)
    unknown = set(source or []) - {s.name for s in loaded.sources}
    if unknown:
        raise EcouteError(f"unknown source(s) {sorted(unknown)}; configured: {[s.name for s in loaded.sources]}")
    stats, failures = _run_listen(settings, source)
    _print_outcome(stats, loaded.warehouse.path)
    _exit_on_failures(failures)


@app.command()
@friendly
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Folder for the demo corpus, warehouse and reports.")] = Path(
        "ecoute-demo"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the generated corpus.")] = 7,
    scale: Annotated[float, typer.Option(help="Corpus size factor (1.0 = about 5,600 mentions).")] = 1.0,
) -> None:
    """Generate the demo corpus (two neobanks, 8 weeks, FR+EN, planted events) and run the pipeline on it.

    Example: ecoute demo --dir ecoute-demo
    """
    # late: prefect, torch and polars load only for the commands that need them (ecoute --help stays fast)
    from ecoute.demo.corpus import generate

    directory.mkdir(parents=True, exist_ok=True)
    corpus = generate(directory / "corpus", seed=seed, scale=scale)
    settings_file = directory / "ecoute.toml"
    settings_file.write_text(_template("demo.toml"), encoding="utf-8")
    console.print(
        f"demo corpus: {corpus.n_mentions} mentions in {corpus.mentions_path} (truth: {corpus.truth_path})",
        markup=False,
    )
    loaded = load_settings(settings_file)
    stats, failures = _run_listen(settings_file)
    _print_outcome(stats, loaded.warehouse.path)
    _exit_on_failures(failures)


@app.command()
@friendly
def report(
    settings: SettingsOption = Path("ecoute.toml"),
    brand: Annotated[str | None, typer.Option(help="Only this brand.")] = None,
    start: Annotated[
        str | None, typer.Option(help="First day (YYYY-MM-DD); default: period_days before the end.")
    ] = None,
    end: Annotated[str | None, typer.Option(help="Last day (YYYY-MM-DD); default: the latest mention.")] = None,
) -> None:
    """Write the HTML report and Markdown digest from what the warehouse holds.

    Example: ecoute report --brand Zelia --start 2026-10-01 --end 2026-10-31
    """
    # late: prefect, torch and polars load only for the commands that need them (ecoute --help stays fast)
    from ecoute import pipeline
    from ecoute.reports import write_report

    loaded = load_settings(settings)
    brands = [loaded.brand(brand)] if brand else loaded.brands
    with reading(loaded.warehouse.path) as con:  # a run may be writing: read its last published copy
        period = pipeline.report_period(con, loaded.reports.period_days)
        if period is None:
            raise EcouteError("the warehouse has no mentions yet; run `ecoute run` first")
        first = date.fromisoformat(start) if start else period[0]
        last = date.fromisoformat(end) if end else period[1]
        for item in brands:
            paths = write_report(
                con,
                item,
                loaded.brands,
                loaded.reports.dir,
                period_start=first,
                period_end=last,
                detection=loaded.detection,
            )
            console.print(f"{item.name}: {paths.html} and {paths.markdown}", markup=False)


@app.command()
@friendly
def quarantine(
    settings: SettingsOption = Path("ecoute.toml"),
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    limit: Annotated[int, typer.Option(help="Most rows to show.")] = 50,
) -> None:
    """List records that could not be parsed, with the reason and the payload as received.

    Example: ecoute quarantine --source demo
    """
    loaded = load_settings(settings)
    with reading(loaded.warehouse.path) as con:
        rows = run_sql(con, "list_quarantine", {"source": source, "limit": limit}).fetchall()
    if not rows:
        console.print("quarantine is empty")
        return
    table = Table("source", "reason", "payload", "seen", "times")
    for src, _brand, reason, payload, _first, last_seen, times in rows:
        table.add_row(Text(src), Text(reason), Text(payload[:120]), str(last_seen)[:19], str(times))
    console.print(table)


@app.command()
@friendly
def status(
    settings: SettingsOption = Path("ecoute.toml"),
    runs: Annotated[int, typer.Option(help="How many of the latest runs to show.")] = 5,
) -> None:
    """Show the latest runs (status, and which sources failed) and the row counts of the warehouse.

    Example: ecoute status --runs 10
    """
    path = load_settings(settings).warehouse.path
    writer = current_writer(path)
    if writer:
        console.print(Text(f"running now: {writer}", style="bold"))
    with reading(path) as con:  # the copy the last run published: a run writing now is not waited for
        rows = run_sql(con, "last_runs", {"limit": runs}).fetchall()
    table = Table("started (UTC)", "flow", "status", "took", "failed")
    for _, flow, started, finished, state, failed in rows:
        took = f"{(finished - started).total_seconds():.0f} s" if finished else "-"
        failures = json.loads(failed) if failed else {}
        table.add_row(
            f"{started:%Y-%m-%d %H:%M}",
            flow,
            # nothing holds the writer lock, so this run is not going on: it was killed
            "interrupted" if state == "running" and writer is None else state,
            took,
            Text("\n".join(f"{name}: {reason}" for name, reason in failures.items()) or "-"),
        )
    console.print(table if rows else "no runs yet")
    _print_counts(path)


@app.command()
@friendly
def serve(settings: SettingsOption = Path("ecoute.toml"), deployments: DeploymentsOption = None) -> None:
    """Serve every deployment of prefect.yaml (listen, refit-topics) on its schedule, in this process.

    The same file `prefect deploy --all` reads: one place says when runs happen. Needs a Prefect
    server (PREFECT_API_URL); runs until stopped.

    Example: PREFECT_API_URL=http://127.0.0.1:4200/api ecoute serve --settings ecoute.toml
    """
    load_settings(settings)  # a bad file is one clear message before Prefect starts
    declared = load_deployments(deployments or deployments_beside(settings))
    if not os.environ.get("PREFECT_API_URL"):
        raise EcouteError(
            "schedules need a running Prefect server: start one with "
            "`prefect server start -b --host 127.0.0.1 --port 4200` and set PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    # late: prefect, torch and polars load only for the commands that need them (ecoute --help stays fast)
    from prefect import serve as serve_all
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron
    from prefect.utilities.importtools import import_object

    served = [
        import_object(item.entrypoint).to_deployment(
            name=item.name,
            description=item.description,
            schedules=[Cron(s.cron, timezone=s.timezone, active=s.active) for s in item.schedules],
            # the flows run in this process: the settings are the ones given here, wherever it was started
            parameters={**item.parameters, "settings_path": str(settings.resolve())},
            concurrency_limit=ConcurrencyLimitConfig(
                limit=item.concurrency_limit.limit,
                collision_strategy=ConcurrencyLimitStrategy(item.concurrency_limit.collision_strategy),
            ),
        )
        for item in declared
    ]
    serve_all(*served)


@app.command()
@friendly
def refit(settings: SettingsOption = Path("ecoute.toml")) -> None:
    """Refit the topic model on the latest mentions; old topics are mapped to new ones in `topic_map`.

    Example: ecoute refit --settings ecoute.toml
    """
    # late: prefect, torch and polars load only for the commands that need them (ecoute --help stays fast)
    from ecoute.flows.refit import refit_topics_flow

    load_settings(settings)  # a bad file is one clear message before Prefect starts
    console.print(refit_topics_flow(settings_path=str(settings)), highlight=False)


@app.command()
def sources() -> None:
    """List the connector kinds: endpoint, settings each needs, credentials (environment variables).

    Example: ecoute sources
    """
    table = Table("kind", "endpoint", "settings", "credentials")
    for kind, info in KINDS.items():
        table.add_row(kind, info.endpoint, info.needs, info.credentials)
    console.print(table)


@app.command()
@friendly
def collect(
    source: Annotated[str, typer.Option(help="Source name from the settings.")],
    settings: SettingsOption = Path("ecoute.toml"),
    brand: Annotated[str | None, typer.Option(help="Only this brand.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Collect from this day (YYYY-MM-DD) instead of the watermark.")
    ] = None,
) -> None:
    """Collect one source into the warehouse (no enrichment); prints what was new.

    Example: ecoute collect --source hn --brand Zelia --since 2026-11-01
    """

    # late: prefect, torch and polars load only for the commands that need them (ecoute --help stays fast)
    from ecoute import pipeline

    loaded = load_settings(settings)
    chosen = next((s for s in loaded.sources if s.name == source), None)
    if chosen is None:
        raise EcouteError(f"unknown source {source!r}; configured: {[s.name for s in loaded.sources]}")
    brands = [loaded.brand(brand)] if brand else loaded.brands_for(chosen)
    path, wait = loaded.warehouse.path, loaded.warehouse.wait_seconds
    with hold_writer(path, what=f"ecoute collect --source {chosen.name}", wait_seconds=wait):
        with connect(path, wait_seconds=wait) as con:
            marks = pipeline.read_watermarks(con, chosen.name, brands)
        if since:
            marks = dict.fromkeys(marks, datetime.fromisoformat(since))
        collected = pipeline.collect_source(loaded, chosen, since=marks, brands=brands)
        if collected.error:
            raise EcouteError(f"{chosen.name} failed: {collected.error}")
        with connect(path, wait_seconds=wait) as con:
            pipeline.sync_brands(con, loaded.brands)
            result, quarantined = pipeline.load_batch(con, collected)
    console.print(
        f"{chosen.name}: {result.received} mentions, {result.inserted} new, {quarantined} quarantined, "
        f"{collected.off_query} off-query, {collected.requests} requests",
        markup=False,
    )
    _exit_on_failures([f"{chosen.name}: part failed: {part}" for part in collected.batch.failed_parts])


if __name__ == "__main__":  # pragma: no cover - `python -m ecoute.cli`
    app()
