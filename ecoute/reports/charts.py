"""The report's charts as plotly figure JSON, ready to embed in a page.

Names shown by plotly (brands, topic labels) go through `_label`: plotly renders a few
HTML-like tags in text, and topic labels come from what people wrote.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import plotly.graph_objects as go

from ecoute.reports.data import DayCounts, ReportData, Slice, Topic, WeeklyResponsiveness, WeeklyShare
from ecoute.reports.narrative import duration, language

WEEKLY_AFTER_DAYS = 45  # longer periods show sentiment per week, not per day
_SENTIMENT_COLOURS = {"negative": "#d1495b", "neutral": "#c9c9c9", "positive": "#2e9e6a"}
_BRAND_COLOUR = "#1f4e79"
_OTHER_COLOURS = ("#e8a33d", "#7a5195", "#58a4b0", "#a05195", "#8c8c8c")


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    figure_json: str  # plotly's figure JSON; escape it for <script> when embedding
    section: str = "overview"  # where the page shows it: overview, breakdown or responsiveness


def build_charts(data: ReportData) -> list[Chart]:
    brand = data.summary.brand
    competitors = ", ".join(data.summary.competitors)
    charts = [
        Chart("volume", "Daily mentions", _volume(data.daily, brand).to_json()),
        Chart("sentiment", f"Sentiment of {brand} mentions over time", _sentiment(data.daily, brand).to_json()),
    ]
    if data.summary.competitors:
        title = f"Share of voice by week, against {competitors}"
        charts.append(Chart("share-of-voice", title, _share_of_voice(data.share_of_voice, brand).to_json()))
    if data.topics:
        charts.append(Chart("topics", "Top topics", _topics(data.topics).to_json()))
    if data.by_source:
        figure = _slices(data.by_source, str)
        charts.append(Chart("by-source", "Mentions by source", figure.to_json(), "breakdown"))
    if data.by_language:
        figure = _slices(data.by_language, language)
        charts.append(Chart("by-language", "Mentions by language", figure.to_json(), "breakdown"))
    if data.responsiveness_weekly:
        weekly = data.responsiveness_weekly
        charts.append(
            Chart("answered", "Complaints answered, by week", _answered(weekly, brand).to_json(), "responsiveness")
        )
        charts.append(
            Chart(
                "first-answer",
                "Median time to first answer, by week",
                _first_answer(weekly, brand).to_json(),
                "responsiveness",
            )
        )
    return charts


def _label(text: str) -> str:
    """Text plotly shows as written: its markup characters as entities, which it decodes."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _layout(fig: go.Figure, **extra: object) -> go.Figure:
    layout: dict[str, object] = {
        "template": "plotly_white",
        "margin": {"l": 48, "r": 16, "t": 16, "b": 40},
        "height": 320,
        "legend": {"orientation": "h", "y": -0.18},
        "hovermode": "x unified",
    }
    fig.update_layout(**(layout | extra))
    return fig


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
                mode="lines",
                line={"color": _BRAND_COLOUR if main else next(others), "width": 3 if main else 1.5},
            )
        )
    return _layout(fig, yaxis={"title": "mentions", "rangemode": "tozero"})


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
        xaxis=_weeks(days) if weekly else {},
        yaxis={"title": "mentions per week" if weekly else "mentions per day"},
    )


def _share_of_voice(shares: tuple[WeeklyShare, ...], brand: str) -> go.Figure:
    by_brand: dict[str, list[WeeklyShare]] = defaultdict(list)
    for row in shares:
        by_brand[row.brand].append(row)
    fig = go.Figure()
    others = iter(_OTHER_COLOURS * 4)
    for name, rows in sorted(by_brand.items(), key=lambda item: item[0] != brand):
        fig.add_trace(
            go.Scatter(
                x=[r.week.isoformat() for r in rows],
                y=[r.share or 0.0 for r in rows],
                name=_label(name),
                mode="lines",
                stackgroup="share",
                line={"color": _BRAND_COLOUR if name == brand else next(others)},
            )
        )
    return _layout(
        fig,
        xaxis=_weeks(r.week for r in shares),
        yaxis={"title": "share of mentions", "tickformat": ".0%", "range": [0, 1]},
    )


def _topics(topics: tuple[Topic, ...]) -> go.Figure:
    ordered = list(reversed(topics))  # plotly draws the first bar at the bottom
    fig = go.Figure(
        go.Bar(
            x=[t.mentions for t in ordered],
            y=[_label(t.label) for t in ordered],
            orientation="h",
            marker_color=_BRAND_COLOUR,
            customdata=[round(100 * (t.negative_share or 0)) for t in ordered],
            hovertemplate="%{x} mentions, %{customdata}% negative<extra></extra>",
        )
    )
    return _layout(fig, height=max(200, 40 * len(ordered) + 60), hovermode="closest", xaxis={"title": "mentions"})


def _slices(slices: tuple[Slice, ...], name: Callable[[str], str]) -> go.Figure:
    """Horizontal bars, the largest on top, split by sentiment."""
    ordered = list(reversed(slices))  # plotly draws the first bar at the bottom
    labels = [_label(name(s.value)) for s in ordered]
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


def _by_brand(weekly: tuple[WeeklyResponsiveness, ...], brand: str) -> list[tuple[str, list[WeeklyResponsiveness]]]:
    by_brand: dict[str, list[WeeklyResponsiveness]] = defaultdict(list)
    for row in weekly:
        by_brand[row.brand].append(row)
    return sorted(by_brand.items(), key=lambda item: (item[0] != brand, item[0]))


def _answered(weekly: tuple[WeeklyResponsiveness, ...], brand: str) -> go.Figure:
    fig = go.Figure()
    others = iter(_OTHER_COLOURS * 4)
    for name, rows in _by_brand(weekly, brand):
        main = name == brand
        fig.add_trace(
            go.Scatter(
                x=[r.week.isoformat() for r in rows],
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
        xaxis=_weeks(r.week for r in weekly),
        yaxis={"title": "share of complaints answered", "tickformat": ".0%", "range": [0, 1.05]},
    )


def _first_answer(weekly: tuple[WeeklyResponsiveness, ...], brand: str) -> go.Figure:
    fig = go.Figure()
    others = iter(_OTHER_COLOURS * 4)
    for name, rows in _by_brand(weekly, brand):
        main = name == brand
        answered = [r for r in rows if r.median_minutes is not None]
        fig.add_trace(
            go.Scatter(
                x=[r.week.isoformat() for r in answered],
                y=[round(r.median_minutes / 60, 2) for r in answered if r.median_minutes is not None],
                customdata=[duration(r.median_minutes) for r in answered],
                hovertemplate="%{customdata}",
                name=_label(name),
                mode="lines+markers",
                line={"color": _BRAND_COLOUR if main else next(others), "width": 3 if main else 1.5},
            )
        )
    return _layout(fig, xaxis=_weeks(r.week for r in weekly), yaxis={"title": "hours (median)", "rangemode": "tozero"})


def _weeks(mondays: Iterable[date]) -> dict[str, object]:
    """Ticks on the Mondays that weekly points stand for, not on plotly's Sundays."""
    weeks = sorted(set(mondays))
    if not weeks:
        return {}
    every = max(1, -(-len(weeks) // 9))  # at most nine labels
    return {"tick0": weeks[0].isoformat(), "dtick": every * 7 * 24 * 3600 * 1000, "tickformat": "%-d %b"}
