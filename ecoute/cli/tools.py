"""`ecoute train ...` and `ecoute bench ...`: training and benchmark commands that print figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecoute.cli.common import friendly

train_app = typer.Typer(help="Train models from labelled data.", no_args_is_help=True)
bench_app = typer.Typer(help="Measure models and detectors; prints figures.", no_args_is_help=True)


@train_app.command("sentiment")
@friendly
def train_sentiment(
    data: Annotated[Path, typer.Option(help="A CSV with text,label columns, or a folder with train_/val_ files.")],
    out: Annotated[Path, typer.Option(help="Folder to write the head to.")] = Path("ecoute-data/sentiment-head"),
    encoder: Annotated[str, typer.Option(help="Encoder the head reads (must match the pipeline's).")] = "e5",
    bench: Annotated[Path | None, typer.Option(help="Benchmark folder: score the head and record it.")] = None,
) -> None:
    """Train a sentiment head on the encoder's embeddings; use it with `[models] sentiment = "<out>"`.

    Labels are negative/neutral/positive or 0/1/2.
    Example: ecoute train sentiment --data labelled.csv --out ecoute-data/sentiment-head
    """
    # late: prefect, torch and polars load only for the commands that need them (ecoute --help stays fast)
    from ecoute.models.train_sentiment import main as train_main

    argv = ["--data", str(data), "--out", str(out), "--encoder", encoder]
    raise typer.Exit(train_main([*argv, "--bench", str(bench)] if bench else argv))


@bench_app.command("sentiment")
@friendly
def bench_sentiment(
    data: Annotated[
        Path,
        typer.Option(help="Folder holding xlmt/ and tweeteval/ (../shared/benchmarks/sentiment), or a text,label CSV."),
    ],
    csv: Annotated[list[Path] | None, typer.Option(help="A text,label CSV to score as well; repeatable.")] = None,
    sentiment: Annotated[str, typer.Option(help="'packaged', a head or branch folder, or hf:<model id>.")] = "packaged",
    encoder: Annotated[str, typer.Option(help="Encoder spec.")] = "e5",
    limit: Annotated[int | None, typer.Option(help="Only the first N texts of each set.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Score the sentiment model: macro-F1, accuracy, macro-recall and texts/s per labelled set.

    Example: ecoute bench sentiment --data ../shared/benchmarks/sentiment --json
    """
    # late: prefect, torch and polars load only for the commands that need them (ecoute --help stays fast)
    from ecoute.models.bench_sentiment import main as bench_main

    argv = ["--data", str(data), "--sentiment", sentiment, "--encoder", encoder]
    argv += ["--limit", str(limit)] if limit else []
    for path in csv or []:
        argv += ["--csv", str(path)]
    raise typer.Exit(bench_main([*argv, "--json"] if as_json else argv))


@bench_app.command("trends")
@friendly
def bench_trends(
    data: Annotated[
        Path | None,
        typer.Option(help="Real labelled series instead (the NAB folder, holding windows.json)."),
    ] = None,
    scale: Annotated[float, typer.Option(help="Corpus size factor (1.0 = about 5,600 mentions per corpus).")] = 1.0,
    work_dir: Annotated[Path, typer.Option(help="Where corpora and warehouses are written.")] = Path(
        "ecoute-data/bench-trends"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Score trend detection: on generated corpora with planted events, or with --data on real series
    with labelled anomaly windows (windows found, delay, false alarms per series-month, beside a
    rolling z-score baseline).

    Example: ecoute bench trends --data ../shared/benchmarks/trends/nab --json
    """
    if data is not None:
        # late: polars loads only for the commands that need it (ecoute --help stays fast)
        from ecoute.bench.nab import main as nab_main

        raise typer.Exit(nab_main(["--data", str(data), *(["--json"] if as_json else [])]))
    # late: prefect, torch and polars load only for the commands that need them (ecoute --help stays fast)
    from ecoute.bench.trends import main as trends_main

    argv = ["--scale", str(scale), "--work-dir", str(work_dir)]
    raise typer.Exit(trends_main([*argv, "--json"] if as_json else argv))


@bench_app.command("enrich")
@friendly
def bench_enrich(
    n: Annotated[int, typer.Option("--n", help="Demo texts to enrich.")] = 2000,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Mentions/s of batched enrichment vs one text at a time, and per-batch cost at 10k and 200k stored.

    Example: ecoute bench enrich --n 2000 --json
    """
    # late: prefect, torch and polars load only for the commands that need them (ecoute --help stays fast)
    from ecoute.bench.enrich import main as enrich_main

    raise typer.Exit(enrich_main(["--n", str(n), "--json"] if as_json else ["--n", str(n)]))


@bench_app.command("topics")
@friendly
def bench_topics(
    data: Annotated[Path, typer.Option(help="A text,<theme> CSV, or a folder holding SPLIT.csv (e.g. banking77).")],
    split: Annotated[str, typer.Option(help="File name in a folder.")] = "test",
    min_topic_size: Annotated[int, typer.Option(help="As [topics] min_topic_size.")] = 15,
    invariance: Annotated[bool, typer.Option(help="Also run with a random brand's handle on each text.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Score topic discovery against human themes: NMI, ARI, topics, outliers, beside KMeans told k.

    Example: ecoute bench topics --data ../shared/benchmarks/topics/banking77 --json
    """
    # late: prefect, torch and polars load only for the commands that need them (ecoute --help stays fast)
    from ecoute.bench.topics import main as topics_main

    argv = ["--data", str(data), "--split", split, "--min-topic-size", str(min_topic_size)]
    argv += [] if invariance else ["--no-invariance"]
    raise typer.Exit(topics_main([*argv, "--json"] if as_json else argv))


@bench_app.command("language")
@friendly
def bench_language(
    data: Annotated[Path, typer.Option(help="XLM-T's all/ folder (eight languages in blocks).")],
    split: Annotated[str, typer.Option(help="test, or val (the split the rule was tuned on).")] = "test",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Share of en/fr posts kept and of other languages let in, before and after the fallback rule.

    Example: ecoute bench language --data ../shared/benchmarks/sentiment/xlmt/all
    """
    # late: prefect, torch and polars load only for the commands that need them (ecoute --help stays fast)
    from ecoute.bench.language import main as language_main

    argv = ["--data", str(data), "--split", split]
    raise typer.Exit(language_main([*argv, "--json"] if as_json else argv))


@bench_app.command("relevance")
@friendly
def bench_relevance(
    data: Annotated[Path | None, typer.Option(help="A labelled CSV (default: the packaged relevance set).")] = None,
    split: Annotated[str, typer.Option(help="test, dev (what the weights were fitted on) or all.")] = "test",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Is a post that matched a brand's terms about that brand? Precision/recall/F1/AUC beside keyword matching.

    Example: ecoute bench relevance --split test
    """
    # late: prefect, torch and polars load only for the commands that need them (ecoute --help stays fast)
    from ecoute.bench.relevance import main as relevance_main

    argv = ["--split", split] + (["--data", str(data)] if data else [])
    raise typer.Exit(relevance_main([*argv, "--json"] if as_json else argv))


@bench_app.command("brand-sentiment")
@friendly
def bench_brand_sentiment(
    data: Annotated[Path | None, typer.Option(help="A labelled CSV (default: the packaged comparisons set).")] = None,
    split: Annotated[str, typer.Option(help="test, dev (what the rules were chosen on) or all.")] = "test",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Sentiment toward each brand of posts that name several, beside one sentiment per post.

    Example: ecoute bench brand-sentiment --split test
    """
    # late: prefect, torch and polars load only for the commands that need them (ecoute --help stays fast)
    from ecoute.bench.brand_sentiment import main as brand_sentiment_main

    argv = ["--split", split] + (["--data", str(data)] if data else [])
    raise typer.Exit(brand_sentiment_main([*argv, "--json"] if as_json else argv))
