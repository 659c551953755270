"""The report's charts as plotly figure JSON, ready to embed in a page.

Each figure carries its plotly `config` too: resizing with its container, and a mode bar
with "download as PNG" that names the file after the brand, period and chart.

Names shown by plotly (brands, topic labels) go through `_label`: plotly renders a few
HTML-like tags in text, and topic labels come from what people wrote.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import plotly.graph_objects as go
from plotly.utils import PlotlyJSONEncoder

from ecoute.reports.data import AnsweringPoint, DayCounts, Grain, ReportData, SharePoint, Slice, Topic
from ecoute.reports.narrative import clip, duration, language

WEEKLY_AFTER_DAYS = 45  # longer periods show sentiment per week, not per day
MARKERS_UP_TO = 21  # lines with this many points or fewer also mark each point
MAX_TICKS = 7  # date labels on an axis, at most: more overlap on a phone
LABEL_CHARS = 32  # longest bar label; the whole of it shows on hover
IMAGE = {"format": "png", "width": 1200, "height": 600, "scale": 2}  # "download as PNG": 2400 x 1200 pixels
_SENTIMENT_COLOURS = {"negative": "#d1495b", "neutral": "#c9c9c9", "positive": "#2e9e6a"}
_BRAND_COLOUR = "#1f4e79"
_OTHER_COLOURS = ("#e8a33d", "#7a5195", "#58a4b0", "#a05195", "#8c8c8c")
# what dates read like on axes and on hover, as ecoute.core.dates writes them ("7 Sep 2026")
_TICK = "%-d %b"
_HOVER = {"day": "%-d %b %Y", "week": "week of %-d %b %Y"}
_DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    figure_json: str  # plotly's figure JSON with its config; escape it for <script> when embedding
    section: str = "overview"  # where the page shows it: overview, breakdown or responsiveness


def build_charts(data: ReportData, image_name: str = "chart") -> list[Chart]:
    """Every chart the data has something for; PNGs download as `<image_name>_<chart id>.png`."""
    brand = data.summary.brand
    competitors = ", ".join(data.summary.competitors)
    by = "by day" if data.grain == "day" else "by week"
    figures: list[tuple[str, str, go.Figure, str]] = [
        ("volume", "Daily mentions", _volume(data.daily, brand), "overview"),
        ("sentiment", f"Sentiment of {brand} mentions over time", _sentiment(data.daily, brand), "overview"),
    ]
    if data.summary.competitors:
        title = f"Share of voice {by}, against {competitors}"
        figures.append(("share-of-voice", title, _share_of_voice(data.share_of_voice, brand, data.grain), "overview"))
    if data.topics:
        figures.append(("topics", "Top topics", _topics(data.topics), "overview"))
    if data.by_source:
        figures.append(("by-source", "Mentions by source", _slices(data.by_source, str), "breakdown"))
    if data.by_language:
        figures.append(("by-language", "Mentions by language", _slices(data.by_language, language), "breakdown"))
    if data.answering:
        answering, grain = data.answering, data.grain
        figures.append(("answered", f"Complaints answered, {by}", _answered(answering, brand, grain), "responsiveness"))
        figures.append(
            (
                "first-answer",
                f"Median time to first answer, {by}",
                _first_answer(answering, brand, grain),
                "responsiveness",
            )
        )
    return [
        Chart(key, title, _figure_json(figure, f"{image_name}_{key}"), section)
        for key, title, figure, section in figures
    ]


def config(image_name: str) -> dict[str, Any]:
    """plotly's config: follow the container's width, and a mode bar shown at all times (a
    touch screen has no hover to reveal it) with "download as PNG", zoom and reset, and no
    button that sends the chart anywhere."""
    return {
        "responsive": True,
        "displayModeBar": True,
        "displaylogo": False,
        "showSendToCloud": False,  # plotly 4's "Share chart" would upload the brand's data to Plotly Cloud
        "modeBarButtonsToRemove": [
            *("select2d", "lasso2d", "pan2d", "zoomIn2d", "zoomOut2d", "autoScale2d"),
            *("toggleSpikelines", "hoverClosestCartesian", "hoverCompareCartesian"),
        ],
        "toImageButtonOptions": {**IMAGE, "filename": image_name},
    }


def _figure_json(figure: go.Figure, image_name: str) -> str:
    return json.dumps({**figure.to_plotly_json(), "config": config(image_name)}, cls=PlotlyJSONEncoder)


def _label(text: str, limit: int | None = None) -> str:
    """Text plotly shows as written: its markup characters as entities, which it decodes."""
    return clip(text, limit).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _layout(fig: go.Figure, **extra: object) -> go.Figure:
    layout: dict[str, object] = {
        "template": "plotly_white",
        "autosize": True,  # no width: the chart takes its container's, a phone's too
        "margin": {"l": 48, "r": 16, "t": 28, "b": 40},  # room at the top for the mode bar
        "height": 320,
        "legend": {"orientation": "h", "y": -0.18},
        "hovermode": "x unified",
    }
    fig.update_layout(**(layout | extra))
    return fig


def _dates(days: Iterable[date], grain: Grain = "day") -> dict[str, object]:
    """A date axis read as ecoute writes dates: ticks '7 Sep' on whole days (or on the Mondays
    that weekly points stand for, not on plotly's Sundays), few enough to read on a phone;
    '7 Sep 2026' on hover."""
    ordered = sorted(set(days))
    axis: dict[str, object] = {"tickformat": _TICK, "hoverformat": _HOVER[grain]}
    if not ordered:
        return axis
    step = 7 if grain == "week" else 1
    count = (ordered[-1] - ordered[0]).days // step + 1
    every = max(1, -(-count // MAX_TICKS))
    return axis | {"tick0": ordered[0].isoformat(), "dtick": every * step * _DAY_MS}


def _mode(points: int) -> str:
    return "lines+markers" if points <= MARKERS_UP_TO else "lines"


def _volume(daily: tuple[DayCounts, ...], brand: str) -> go.Figure:
    fig = go.Figure()
    by_brand: dict[str, list[DayCounts]] = defaultdict(list)
    for row in daily:
        by_brand[row.brand].append(row)
    others = iter(_OTHER_COLOURS * 4)
    for name, rows in sorted(by_brand.items(), key=lambda item: item[0] != brand):
        main = name == brand
        fig.add_trace(
            go.Scatter(
                x=[r.day.isoformat() for r in rows],
                y=[r.mentions for r in rows],
                name=_label(name),
                mode=_mode(len(rows)),
                line={"color": _BRAND_COLOUR if main else next(others), "width": 3 if main else 1.5},
            )
        )
    return _layout(fig, xaxis=_dates(r.day for r in daily), yaxis={"title": "mentions", "rangemode": "tozero"})


def _sentiment(daily: tuple[DayCounts, ...], brand: str) -> go.Figure:
    rows = [r for r in daily if r.brand == brand]
    weekly = len(rows) > WEEKLY_AFTER_DAYS
    buckets: dict[date, dict[str, int]] = defaultdict(lambda: {"negative": 0, "neutral": 0, "positive": 0})
    for r in rows:
        key = r.day - timedelta(days=r.day.weekday()) if weekly else r.day
        for label in ("negative", "neutral", "positive"):
            buckets[key][label] += getattr(r, label)
    days = sorted(buckets)
    fig = go.Figure()
    for label, colour in _SENTIMENT_COLOURS.items():
        fig.add_trace(
            go.Bar(
                x=[d.isoformat() for d in days], y=[buckets[d][label] for d in days], name=label, marker_color=colour
            )
        )
    return _layout(
        fig,
        barmode="stack",
        xaxis=_dates(days, "week" if weekly else "day"),
        yaxis={"title": "mentions per week" if weekly else "mentions per day"},
    )


def _share_of_voice(shares: tuple[SharePoint, ...], brand: str, grain: Grain) -> go.Figure:
    by_brand: dict[str, list[SharePoint]] = defaultdict(list)
    for row in shares:
        by_brand[row.brand].append(row)
    fig = go.Figure()
    others = iter(_OTHER_COLOURS * 4)
    for name, rows in sorted(by_brand.items(), key=lambda item: item[0] != brand):
        fig.add_trace(
            go.Scatter(
                x=[r.start.isoformat() for r in rows],
                y=[r.share or 0.0 for r in rows],
                name=_label(name),
                mode=_mode(len(rows)),
                stackgroup="share",
                line={"color": _BRAND_COLOUR if name == brand else next(others)},
                hovertemplate="%{y:.0%}",
            )
        )
    return _layout(
        fig,
        xaxis=_dates((r.start for r in shares), grain),
        yaxis={"title": "share of mentions", "tickformat": ".0%", "range": [0, 1]},
    )


def _topics(topics: tuple[Topic, ...]) -> go.Figure:
    ordered = list(reversed(topics))  # plotly draws the first bar at the bottom
    fig = go.Figure(
        go.Bar(
            x=[t.mentions for t in ordered],
            y=[_label(t.label, LABEL_CHARS) for t in ordered],
            orientation="h",
            marker_color=_BRAND_COLOUR,
            customdata=[[round(100 * (t.negative_share or 0)), _label(t.label)] for t in ordered],
            hovertemplate="%{customdata[1]}: %{x} mentions, %{customdata[0]}% negative<extra></extra>",
        )
    )
    return _layout(fig, height=max(200, 40 * len(ordered) + 60), hovermode="closest", xaxis={"title": "mentions"})


def _slices(slices: tuple[Slice, ...], name: Callable[[str], str]) -> go.Figure:
    """Horizontal bars, the largest on top, split by sentiment."""
    ordered = list(reversed(slices))  # plotly draws the first bar at the bottom
    labels = [_label(name(s.value), LABEL_CHARS) for s in ordered]
    fig = go.Figure()
    for label, colour in _SENTIMENT_COLOURS.items():
        fig.add_trace(
            go.Bar(
                x=[getattr(s, label) for s in ordered],
                y=labels,
                name=label,
                orientation="h",
                marker_color=colour,
            )
        )
    # no axis title: the chart's title says "mentions", and the legend sits where it would be
    return _layout(fig, barmode="stack", height=max(220, 36 * len(ordered) + 100), hovermode="y unified")


def _by_brand(points: tuple[AnsweringPoint, ...], brand: str) -> list[tuple[str, list[AnsweringPoint]]]:
    by_brand: dict[str, list[AnsweringPoint]] = defaultdict(list)
    for row in points:
        by_brand[row.brand].append(row)
    return sorted(by_brand.items(), key=lambda item: (item[0] != brand, item[0]))


def _answered(points: tuple[AnsweringPoint, ...], brand: str, grain: Grain) -> go.Figure:
    fig = go.Figure()
    others = iter(_OTHER_COLOURS * 4)
    for name, rows in _by_brand(points, brand):
        main = name == brand
        fig.add_trace(
            go.Scatter(
                x=[r.start.isoformat() for r in rows],
                y=[r.answered_share for r in rows],
                customdata=[[r.answered, r.complaints] for r in rows],
                hovertemplate="%{y:.0%} (%{customdata[0]} of %{customdata[1]} complaints)",
                name=_label(name),
                mode="lines+markers",
                line={"color": _BRAND_COLOUR if main else next(others), "width": 3 if main else 1.5},
            )
        )
    return _layout(
        fig,
        xaxis=_dates((r.start for r in points), grain),
        yaxis={"title": "share of complaints answered", "tickformat": ".0%", "range": [0, 1.05]},
    )


def _first_answer(points: tuple[AnsweringPoint, ...], brand: str, grain: Grain) -> go.Figure:
    fig = go.Figure()
    others = iter(_OTHER_COLOURS * 4)
    for name, rows in _by_brand(points, brand):
        main = name == brand
        answered = _answered_rows(rows)
        fig.add_trace(
            go.Scatter(
                x=[r.start.isoformat() for r, _ in answered],
                y=[round(minutes / 60, 2) for _, minutes in answered],
                customdata=[duration(minutes) for _, minutes in answered],
                hovertemplate="%{customdata}",
                name=_label(name),
                mode="lines+markers",
                line={"color": _BRAND_COLOUR if main else next(others), "width": 3 if main else 1.5},
            )
        )
    return _layout(
        fig,
        xaxis=_dates((r.start for r in points), grain),
        yaxis={"title": "hours (median)", "rangemode": "tozero"},
    )


def _answered_rows(rows: Sequence[AnsweringPoint]) -> list[tuple[AnsweringPoint, float]]:
    return [(r, r.median_minutes) for r in rows if r.median_minutes is not None]
