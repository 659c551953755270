"""Writing a brand's report: one self-contained HTML page and a Markdown digest.

Everything people wrote reaches the page through jinja2's autoescaping; chart data is JSON
inside a `<script type="application/json">` with `<`, `>` and `&` escaped, so no text can
close the script. plotly.js is inlined once, so the page opens offline from disk.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ecoute.core.settings import Brand
from ecoute.reports import narrative
from ecoute.reports.charts import build_charts
from ecoute.reports.data import load_report_data

QUOTE_CHARS = 280  # longest mention text quoted in the digest

KINDS = {
    "volume_spike": "Volume spike",
    "negative_surge": "Negative surge",
    "emerging_topic": "Emerging topic",
    "sentiment_shift": "Sentiment shift",
    "share_of_voice_shift": "Share of voice shift",
}
# what a finding's magnitude means, per kind
MAGNITUDES = {
    "volume_spike": "robust z-score",
    "negative_surge": "robust z-score",
    "emerging_topic": "times the usual volume",
    "sentiment_shift": "points of negative share",
    "share_of_voice_shift": "points of share of voice",
}


@dataclass(frozen=True)
class ReportPaths:
    html: Path
    markdown: Path


def write_report(
    con: duckdb.DuckDBPyConnection,
    brand: Brand,
    all_brands: Sequence[Brand],
    out_dir: Path,
    *,
    period_start: date,
    period_end: date,
) -> ReportPaths:
    """Write `<out_dir>/<brand-slug>_<start>_<end>.html` and `.md`; returns both paths."""
    data = load_report_data(con, brand, all_brands, period_start=period_start, period_end=period_end)
    context = {
        "data": data,
        "summary": data.summary,
        "lead": narrative.summary(data),
        "answering": data.brand_responsiveness,
        "charts": build_charts(data),
        "kinds": KINDS,
        "magnitudes": MAGNITUDES,
        "generated_at": datetime.now().replace(microsecond=0),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{slug(brand.name)}_{period_start.isoformat()}_{period_end.isoformat()}"
    paths = ReportPaths(html=out_dir / f"{stem}.html", markdown=out_dir / f"{stem}.md")
    env = _environment()
    html = env.get_template("report.html.j2").render(**context, plotly_js=Markup(_plotly_js()))
    paths.html.write_text(html, encoding="utf-8")
    paths.markdown.write_text(env.get_template("digest.md.j2").render(**context), encoding="utf-8")
    return paths


def slug(name: str) -> str:
    """A file-name-safe form of a brand name: 'Café Noir!' -> 'cafe-noir'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.casefold()).strip("-") or "brand"


@cache
def _environment() -> Environment:
    # autoescape for the HTML template only: the Markdown digest escapes with `md`
    env = Environment(
        loader=PackageLoader("ecoute.reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        script_json=script_json,
        http_url=http_url,
        md=md_text,
        md_url=md_url,
        pct=_percent,
        num=_number,
        when=_when,
        duration=narrative.duration,
        badge=narrative.badge,
        language=narrative.language,
    )
    env.globals["period"] = narrative.period
    return env


@cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs  # heavy (the 4 MB plotly.js bundle): only when a report is written

    return get_plotlyjs()


def script_json(text: str) -> Markup:
    """JSON safe inside a <script> element: nothing in it can close the element."""
    escaped = (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    return Markup(escaped)


def http_url(url: str | None) -> str | None:
    """The URL if it is a web link (http or https), else None: no javascript: links."""
    if url and re.match(r"^https?://", url.strip(), re.IGNORECASE):
        return url.strip()
    return None


# "~" is left alone: a lone tilde ("~80") is not strikethrough, and chat tools that do not
# read backslash escapes (Slack) would show "\~80"
_MD_ACTIVE = re.compile(r"([\\`*_\[\]<>|#])")


def md_text(text: Any, limit: int | None = None) -> str:
    """Mention text fit to quote in Markdown chat messages: one line, markup characters
    backslash-escaped, @-mentions defused so a quote cannot ping a channel."""
    line = " ".join(str(text).split())
    if limit and len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    line = _MD_ACTIVE.sub(r"\\\1", line)
    return line.replace("@", "@\u200b")


def md_url(url: str | None) -> str | None:
    """A web link usable inside `[text](url)`, or None."""
    safe = http_url(url)
    if safe is None:
        return None
    return safe.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def _percent(share: float | None, digits: int = 0) -> str:
    return "n/a" if share is None else f"{share:.{digits}%}"


def _number(value: float | int | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _when(moment: datetime | str | None) -> str:
    """'2026-10-13 14:05' from a datetime or an ISO string."""
    if moment is None:
        return ""
    text = moment.isoformat() if isinstance(moment, datetime) else str(moment)
    return text[:16].replace("T", " ")
