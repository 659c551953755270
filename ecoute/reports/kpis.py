"""The report's headline numbers (the KPI cards), each with its change on the period before.

A number with nothing behind it is left out or says why ("No public complaints in this
period"), never "n/a of 0". A change is said against as many days just before, measured the
same way (`compared_with` names them); when the warehouse did not collect those days, the
report says so once (`compared_with` again) rather than comparing with a made-up zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ecoute.core import dates
from ecoute.reports.data import ReportData, Responsiveness, Summary
from ecoute.reports.narrative import SAME_VOLUME, duration, names

Tone = Literal["better", "worse", ""]  # how a change reads for the brand; "" when neither
_OPPOSITE: dict[Tone, Tone] = {"better": "worse", "worse": "better", "": ""}


@dataclass(frozen=True)
class Kpi:
    key: str  # mentions, negative, health, share-of-voice, answered, first-answer
    label: str
    value: str | None  # None: nothing to show, `empty` says why
    empty: str = ""
    change: str = ""  # against the previous period ("up 12% from 1,100"); "" when there is none
    tone: Tone = ""


def compared_with(data: ReportData) -> str:
    """What the cards' changes are against, or why they have none."""
    before = data.previous
    when = dates.span_text(before.start, before.end)
    if before.coverage == "full":
        return f"Changes are against the previous {before.days} days ({when})."
    if before.coverage == "partial":
        return f"No change is shown: the previous {before.days} days ({when}) were not all collected."
    return "No earlier period to compare: the warehouse has no mentions from before this period."


def kpis(data: ReportData) -> list[Kpi]:
    """The cards shown under the summary, in order; those with nothing to show are left out."""
    s, then = data.summary, data.previous.summary  # `then` is None when there is nothing to compare with
    compared = then is not None
    cards = [_mentions(s, then)]
    if s.mentions:
        negative_then = then.negative_share if then else None
        cards.append(_share("negative", "of mentions negative", s.negative_share, negative_then, compared, "worse"))
        cards.append(
            _share(
                "health",
                "health index: positive ÷ (positive + negative)",
                s.health,
                then.health if then else None,
                compared,
                "better",
                empty="No positive or negative mention in this period",
                none_before="no positive or negative mention before",
            )
        )
    if s.competitors and s.share_of_voice is not None:
        cards.append(
            _share(
                "share-of-voice",
                f"share of voice against {names(s.competitors)}",
                s.share_of_voice,
                then.share_of_voice if then else None,
                compared,
                "better",
                none_before="no mentions of any of them before",
            )
        )
    cards.extend(_answering(data.brand_responsiveness, data.previous.responsiveness))
    return cards


def _mentions(s: Summary, then: Summary | None) -> Kpi:
    if then is None:
        return Kpi("mentions", "mentions", f"{s.mentions:,}")
    if then.mentions == 0:
        change = "none before"
    elif abs(s.mentions / then.mentions - 1) < SAME_VOLUME:
        change = f"about as many as before ({then.mentions:,})"
    else:
        ratio = s.mentions / then.mentions - 1
        change = f"{'up' if ratio > 0 else 'down'} {abs(ratio):.0%} from {then.mentions:,}"
    return Kpi("mentions", "mentions", f"{s.mentions:,}", change=change)


def _share(
    key: str,
    label: str,
    now: float | None,
    then: float | None,
    compared: bool,
    higher_is: Tone,
    *,
    empty: str = "",
    none_before: str = "no mentions before",
) -> Kpi:
    """A share (0 to 1), and by how many percentage points it moved, when `compared`."""
    if now is None:
        return Kpi(key, label, None, empty=empty)
    if not compared:
        return Kpi(key, label, f"{now:.0%}")
    if then is None:
        return Kpi(key, label, f"{now:.0%}", change=none_before)
    points = round(100 * now) - round(100 * then)  # as the cards show them: 21% after 18% is 3 points
    if points == 0:
        return Kpi(key, label, f"{now:.0%}", change=f"same as before ({then:.0%})")
    direction = "up" if points > 0 else "down"
    unit = "point" if abs(points) == 1 else "points"
    tone = higher_is if points > 0 else _OPPOSITE[higher_is]
    return Kpi(key, label, f"{now:.0%}", change=f"{direction} {abs(points)} {unit} from {then:.0%}", tone=tone)


def _answering(own: Responsiveness, then: Responsiveness | None) -> list[Kpi]:
    if own.complaints == 0:
        return [Kpi("answered", "public complaints answered", None, empty="No public complaints in this period")]
    answered = _share(
        "answered",
        f"of {own.complaints:,} public complaint{'s' if own.complaints != 1 else ''} answered",
        own.answered_share,
        then.answered_share if then else None,
        then is not None,
        "better",
        none_before="no public complaints before",
    )
    if own.median_minutes is None:  # none answered: the card above says 0%
        return [answered]
    return [answered, _first_answer(own.median_minutes, then)]


def _first_answer(minutes: float, then: Responsiveness | None) -> Kpi:
    label = "median time to first answer"
    if then is None:
        return Kpi("first-answer", label, duration(minutes))
    if then.median_minutes is None:
        reason = "no public complaints" if then.complaints == 0 else "no complaint answered"
        return Kpi("first-answer", label, duration(minutes), change=f"{reason} before")
    was = then.median_minutes
    if duration(minutes) == duration(was) or abs(minutes - was) < SAME_VOLUME * was:
        return Kpi("first-answer", label, duration(minutes), change=f"about as fast as before ({duration(was)})")
    faster = minutes < was
    change = f"{duration(abs(minutes - was))} {'faster' if faster else 'slower'}, from {duration(was)}"
    return Kpi("first-answer", label, duration(minutes), change=change, tone="better" if faster else "worse")
