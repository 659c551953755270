"""Dates as people read them, one way everywhere: headlines, reports, digests and alerts.

"7 Sep 2026", "7 to 9 Sep 2026", "7 Sep 2026 14:00". ISO dates stay in the data (evidence,
file names, JSON); these are for sentences.
"""

from __future__ import annotations

from datetime import date, datetime

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_text(day: date) -> str:
    """'7 Sep 2026'."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def hour_text(moment: datetime) -> str:
    """'7 Sep 2026 14:00'."""
    return f"{day_text(moment.date())} {moment:%H:%M}"


def moment_text(moment: datetime | str | None) -> str:
    """hour_text of a datetime or of an ISO string (evidence and payloads hold strings); a string
    that is no moment is shown as it came, nothing as ""."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, datetime):
        return hour_text(moment)
    try:
        return hour_text(datetime.fromisoformat(moment))
    except ValueError:
        return moment


def span_text(start: date, end: date) -> str:
    """'7 Sep 2026', '7 to 9 Sep 2026', '7 Sep to 1 Nov 2026', '28 Dec 2026 to 3 Jan 2027'."""
    if start == end:
        return day_text(start)
    last = day_text(end)
    if start.year != end.year:
        return f"{day_text(start)} to {last}"
    if start.month != end.month:
        return f"{start.day} {_MONTHS[start.month - 1]} to {last}"
    return f"{start.day} to {last}"
