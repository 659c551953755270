"""Writing a brand's report: one HTML page and a Markdown digest.

Everything people wrote reaches the page through jinja2's autoescaping; chart data is JSON
inside a `<script type="application/json">` with `<`, `>` and `&` escaped, so no text can
close the script.

plotly.js (4.8 MB, most of a page) is written once per reports folder, as
`assets/plotly-<version>.min.js`, and each page loads it by a relative link: the pages stay
small and open offline from disk with their folder. A page that travels alone (an e-mail
attachment) inlines it instead: `write_report(..., self_contained=True)`, or
`standalone_html(path)` for a page already written.
"""

from __future__ import annotations

import os
import re
import tempfile
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

from ecoute.core import dates
from ecoute.core.settings import Brand, Detection
from ecoute.reports import narrative
from ecoute.reports.charts import build_charts
from ecoute.reports.data import load_report_data
from ecoute.reports.kpis import compared_with, kpis

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


ASSETS = "assets"  # the folder, next to the pages, that holds plotly.js
_ASSET_SCRIPT = re.compile(rf'<script src="{ASSETS}/(plotly-[0-9A-Za-z.-]+\.min\.js)"></script>')


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
    self_contained: bool = False,
    detection: Detection | None = None,
) -> ReportPaths:
    """Write `<out_dir>/<brand-slug>_<start>_<end>.html` and `.md`; returns both paths.

    The page loads plotly.js from `<out_dir>/assets/`, written there if missing; with
    `self_contained` it carries plotly.js itself (about 5 MB) and needs no folder.
    """
    data = load_report_data(
        con, brand, all_brands, period_start=period_start, period_end=period_end, detection=detection
    )
    stem = f"{slug(brand.name)}_{period_start.isoformat()}_{period_end.isoformat()}"
    context = {
        "data": data,
        "summary": data.summary,
        "lead": narrative.summary(data),
        "history": narrative.history(data),
        "kpis": kpis(data),
        "compared_with": compared_with(data),
        "set_aside": narrative.set_aside(data),
        "answering": data.brand_responsiveness,
        "charts": build_charts(data, image_name=stem),
        "kinds": KINDS,
        "magnitudes": MAGNITUDES,
        "generated_at": datetime.now().replace(microsecond=0),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = ReportPaths(html=out_dir / f"{stem}.html", markdown=out_dir / f"{stem}.md")
    env = _environment()
    if self_contained:
        plotly: dict[str, Any] = {"plotly_js": Markup(_plotly_js()), "plotly_src": None}
    else:
        plotly = {"plotly_js": None, "plotly_src": write_plotly_asset(out_dir)}
    html = env.get_template("report.html.j2").render(**context, **plotly)
    paths.html.write_text(html, encoding="utf-8")
    paths.markdown.write_text(env.get_template("digest.md.j2").render(**context), encoding="utf-8")
    return paths


def write_plotly_asset(out_dir: Path) -> str:
    """Write plotly.js to `<out_dir>/assets/plotly-<version>.min.js` unless it is there already,
    byte for byte; returns its path relative to `out_dir`, as pages link to it."""
    relative = f"{ASSETS}/{_plotly_name()}"
    target = out_dir / relative
    content = _plotly_js().encode("utf-8")
    if target.is_file() and target.stat().st_size == len(content) and target.read_bytes() == content:
        return relative
    target.parent.mkdir(parents=True, exist_ok=True)
    # written beside and renamed into place: a page opened meanwhile never loads half a file
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
        os.chmod(partial, 0o644)  # readable as the pages are (mkstemp makes it private)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return relative


def standalone_html(page: Path) -> str:
    """A written page with plotly.js inlined in place of its link to the reports folder's
    assets, so that it works on its own (as an e-mail attachment). A page without the link
    comes back as it is."""

    def inline(match: re.Match[str]) -> str:
        asset = page.parent / ASSETS / match[1]
        if asset.is_file():
            return f"<script>{asset.read_text(encoding='utf-8')}</script>"
        if match[1] == _plotly_name():
            return f"<script>{_plotly_js()}</script>"
        return match[0]  # neither there nor installed: the page keeps its link

    return _ASSET_SCRIPT.sub(inline, page.read_text(encoding="utf-8"))


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
        when=dates.moment_text,
        cell=_cell,
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


def _plotly_name() -> str:
    # late: plotly.offline loads the 4 MB plotly.js bundle's module only when a report is written
    from plotly.offline import get_plotlyjs_version

    return f"plotly-{get_plotlyjs_version()}.min.js"


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
    line = narrative.clip(" ".join(str(text).split()), limit)
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


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")  # and whatever follows: seconds, offset


def _cell(value: Any) -> str:
    """A value of an evidence table as the page shows it: dates as ecoute writes them,
    true as 'yes', false and nothing as blank."""
    if value is True or value is False:
        return "yes" if value else ""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return dates.hour_text(value)
    if isinstance(value, date):
        return dates.day_text(value)
    text = str(value)
    try:
        if _ISO_DAY.match(text):
            return dates.day_text(date.fromisoformat(text))
        if _ISO_MOMENT.match(text):
            return dates.hour_text(datetime.fromisoformat(text))
    except ValueError:  # shaped like a date, but none: shown as it came
        pass
    return text
