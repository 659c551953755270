"""The report in words: the opening summary, durations and the responsiveness badge.

Everything here returns plain text; the templates escape it (autoescaping in HTML, `md` in
the digest), because brand names, headlines and topic labels come from settings and posts.
"""

from __future__ import annotations

from datetime import date

from ecoute.core import dates
from ecoute.core.records import Finding
from ecoute.reports.data import ReportData, Responsiveness

_LANGUAGES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "und": "undetermined",
    "other": "other",
}
SAME_VOLUME = 0.05  # a change in mentions smaller than this reads "about as often"


def summary(data: ReportData) -> list[str]:
    """Two to four sentences a marketer reads first: volume, the biggest change, answering."""
    return [s for s in (_volume(data), _biggest_change(data), _answering(data)) if s]


def period(start: date, end: date) -> str:
    """'7 Sep to 1 Nov 2026', '7 to 9 Sep 2026', or '28 Dec 2026 to 3 Jan 2027' across a new year."""
    return dates.span_text(start, end)


def duration(minutes: float | None) -> str:
    """'38 min', '7 h 20 min', '1.5 days': how long, as people say it."""
    if minutes is None:
        return "n/a"
    if minutes < 59.5:
        return f"{max(1, round(minutes))} min"
    if minutes < 24 * 60:
        hours, rest = divmod(round(minutes / 5) * 5 if minutes >= 120 else round(minutes), 60)
        return f"{hours} h" if rest == 0 else f"{hours} h {rest} min"
    return f"{minutes / 1440:.1f} days"


def step(minutes: int) -> str:
    """A badge's time step in words: 5 -> '5 minutes', 60 -> '1 hour', 2880 -> '2 days'."""
    for size, unit in ((1440, "day"), (60, "hour"), (1, "minute")):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{minutes} minutes"


def badge(r: Responsiveness) -> str:
    """Messenger-style: 'answers 73% of complaints within 2 hours'."""
    if r.complaints == 0:
        return "no public complaints to answer"
    if r.answered == 0 or r.badge_minutes is None or r.answered_within_badge_share is None:
        return f"answered none of {r.complaints:,} public complaints"
    return f"answers {r.answered_within_badge_share:.0%} of complaints within {step(r.badge_minutes)}"


def language(code: str) -> str:
    return _LANGUAGES.get(code, code)


def biggest(findings: tuple[Finding, ...]) -> Finding | None:
    """The finding to lead with: the most certain, then the most recent."""
    return max(findings, key=lambda f: (f.confidence, f.period_end), default=None)


def _volume(data: ReportData) -> str:
    s = data.summary
    when = (
        f"on {dates.day_text(s.period_start)}"
        if s.period_start == s.period_end
        else f"from {period(s.period_start, s.period_end)}"
    )
    if s.mentions == 0:
        return f"{s.brand} was not mentioned {when}."
    sentence = f"{s.brand} was mentioned {s.mentions:,} time{'s' if s.mentions != 1 else ''} {when}"
    if data.previous_mentions:
        change = s.mentions / data.previous_mentions - 1
        days = data.days
        if abs(change) < SAME_VOLUME:
            sentence += f" (about as often as in the previous {days} days)"
        else:
            sentence += f" ({'up' if change > 0 else 'down'} {abs(change):.0%} on the previous {days} days)"
    sentence += f", {s.negative_share:.0%} of them negative" if s.negative_share is not None else ""
    if s.competitors and s.share_of_voice is not None:
        sentence += f"; that is {s.share_of_voice:.0%} of the conversation against {names(s.competitors)}"
    return sentence + "."


def history(data: ReportData) -> str | None:
    """What the brand's history is too short to judge yet, said plainly; None when everything is judged."""
    if not data.not_judged:
        return None
    limits = [f"{r.what} before {dates.day_text(r.judged_from)}" for r in data.not_judged]
    sentence = f"Not enough history to judge {names(tuple(limits))}"
    hourly = next((r for r in data.readiness if r.what == "hourly bursts"), None)
    if hourly and hourly.ready(data.summary.period_end) and hourly.full_from > data.summary.period_start:
        sentence += f"; hourly bursts are judged with low confidence until {dates.day_text(hourly.full_from)}"
    return sentence + "."


def _biggest_change(data: ReportData) -> str:
    lead = biggest(data.findings)
    if lead is None:
        if data.not_judged:
            return "Nothing unusual was detected in what could be judged (see the note below)."
        return "Nothing unusual was detected in this period."
    headline = lead.headline.removeprefix(f"{data.summary.brand}: ").rstrip(".")
    more = len(data.findings) - 1
    rest = f"; {more} more change{' is' if more == 1 else 's are'} listed below" if more else ""
    return f"The biggest change: {headline}{rest}."


def _answering(data: ReportData) -> str:
    own, *others = data.responsiveness
    if own.complaints == 0:
        return ""
    if own.answered == 0:
        sentence = f"{own.brand} answered none of its {own.complaints:,} public complaints"
    else:
        sentence = (
            f"{own.brand} answered {own.answered_share:.0%} of public complaints, "
            f"median first answer {duration(own.median_minutes)}"
        )
    compared = [
        f"{r.brand} answered {r.answered_share:.0%}" + (f", in {duration(r.median_minutes)}" if r.answered else "")
        for r in others
        if r.answered_share is not None
    ]
    return "; ".join([sentence, *compared]) + "."


def names(items: tuple[str, ...]) -> str:
    """'Norvo', 'Norvo and Brio', 'Norvo, Brio and Cato'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def set_aside(data: ReportData) -> str | None:
    """What the relevance model left out, said once so that nobody wonders where posts went."""
    left = data.set_aside
    if not left.matches:
        return None
    posts = "post" if left.matches == 1 else "posts"
    example = f", e.g. “{clip(' '.join(left.example.split()), 120)}”" if left.example else ""
    return (
        f"{left.matches} {posts} that only share the name {data.summary.brand} were left out as not about the "
        f"brand{example} (the off_topic_matches view lists them)."
    )


def clip(text: str, limit: int | None) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis saying so."""
    return text[: limit - 1].rstrip() + "…" if limit and len(text) > limit else text
