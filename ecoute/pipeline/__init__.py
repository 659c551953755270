"""The steps of listening, as plain functions the Prefect flows compose.

collect -> load -> enrich -> topics -> detect -> report. Each step reads what it needs
from the warehouse, so any step can be re-run alone and running one twice changes nothing.
"""

from ecoute.pipeline.collect import (
    WATERMARK_OVERLAP,
    Collected,
    collect_source,
    key_file,
    load_batch,
    read_watermarks,
    save_watermarks,
    sync_brands,
)
from ecoute.pipeline.enrich import (
    MatchRelevance,
    PerBrandSentiment,
    Progress,
    enrich_pending,
    enrichment_frames,
    load_enricher,
    load_match_relevance,
    load_per_brand_sentiment,
    pending_count,
    preferred_languages,
)
from ecoute.pipeline.runs import caught_up_by, finish_run, report_period, run_failures, skip_run, start_run

__all__ = [
    "WATERMARK_OVERLAP",
    "Collected",
    "MatchRelevance",
    "PerBrandSentiment",
    "Progress",
    "caught_up_by",
    "collect_source",
    "enrich_pending",
    "enrichment_frames",
    "finish_run",
    "key_file",
    "load_batch",
    "load_enricher",
    "load_match_relevance",
    "load_per_brand_sentiment",
    "pending_count",
    "preferred_languages",
    "read_watermarks",
    "report_period",
    "run_failures",
    "save_watermarks",
    "skip_run",
    "start_run",
    "sync_brands",
]
