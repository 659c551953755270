"""What the messages say: the plain-text alert, the Slack payloads, Markdown turned into Slack mrkdwn.

Everything people wrote reaches Slack through `slack_text`, which escapes `&`, `<` and `>`:
no post can ping a channel, forge a link or break the message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ecoute.core.dates import moment_text, span_text
from ecoute.core.records import Finding
from ecoute.reports.render import KINDS, MAGNITUDES, http_url, md_url

EXAMPLES = 3  # example posts per alert
QUOTE_CHARS = 280  # longest post text quoted in an alert
SLACK_SECTION_CHARS = 3000  # Slack's limit on one section's text
SLACK_TEXT_CHARS = 39_000  # Slack truncates `text` at 40,000 characters
SLACK_MAX_BLOCKS = 50
SHARE_KINDS = ("sentiment_shift", "share_of_voice_shift")  # observed and baseline are shares (0-1)


def alert_text(finding: Finding) -> str:
    """The plain-text alert (e-mail body): headline, period, numbers, up to three posts with links."""
    lines = [
        f"{KINDS.get(finding.kind, finding.kind)}: {finding.headline}",
        "",
        f"Brand: {finding.brand} ({finding.scope})",
        f"Period: {span_text(finding.period_start, finding.period_end)}",
        *(f"{label}: {value}" for label, value in _numbers(finding)),
    ]
    examples = _examples(finding)
    if examples:
        lines += ["", "Example posts:"]
    for post in examples:
        lines.append(f'- "{one_line(post.get("text", ""))}" ({_posted(post)})')
        if link := http_url(post.get("url")):
            lines.append(f"  {link}")
    return "\n".join(lines) + "\n"


def alert_payload(finding: Finding) -> dict[str, Any]:
    """The Slack message for an alert: `text` for notifications, `blocks` for the message."""
    kind = slack_text(KINDS.get(finding.kind, finding.kind))
    headline = slack_text(finding.headline)
    facts = [("Period", span_text(finding.period_start, finding.period_end)), *_numbers(finding)]
    blocks: list[dict[str, Any]] = [
        _section(f":rotating_light: *{kind}*: {headline}"),
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{label}*\n{slack_text(value)}"} for label, value in facts],
        },
    ]
    quotes = []
    for post in _examples(finding):
        quote = f"> {slack_text(one_line(post.get('text', '')))}\n> _{slack_text(_posted(post))}_"
        if link := _slack_url(post.get("url")):
            quote += f" · <{link}|original post>"
        quotes.append(quote)
    if quotes:
        blocks.append(_section("\n\n".join(quotes)))
    return {"text": f"{kind}: {headline}", "blocks": blocks}


def report_payload(title: str, summary_markdown: str) -> dict[str, Any]:
    """The Slack message for a report: the whole digest in `text` (for tools that ignore
    blocks) and in sections of at most 3,000 characters."""
    text = markdown_to_slack(summary_markdown)
    blocks = [_section(chunk) for chunk in _chunks(text, SLACK_SECTION_CHARS)][:SLACK_MAX_BLOCKS]
    return {"text": text[:SLACK_TEXT_CHARS] or slack_text(title), "blocks": blocks}


def slack_text(text: Any) -> str:
    """Text safe in Slack mrkdwn: `&`, `<` and `>` escaped, as Slack asks."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MD_LINK = re.compile(r"(?<!\\)\[((?:\\.|[^\]\\])*)\]\(([^)\s]+)\)")
_MD_BOLD = re.compile(r"\*\*(.+?)\*\*")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_MD_MARKER = re.compile(r"^\s*([>*-])(?:\s+|$)")
_MD_ESCAPE = re.compile(r"\\([\\`*_\[\]<>|#(){}.!+-])")


def markdown_to_slack(markdown: str) -> str:
    """The digest's Markdown as Slack mrkdwn: headings and **bold** as *bold*, [text](url) as
    <url|text>, backslash escapes undone and `&`, `<`, `>` escaped."""
    lines = []
    for line in markdown.splitlines():
        heading = _MD_HEADING.match(line)
        if heading:
            line = f"**{heading[1]}**"
        marker = _MD_MARKER.match(line)  # a quote or bullet marker is markup, not text to escape
        prefix = {">": ">", "-": "•", "*": "•"}[marker[1]] + " " if marker else ""
        line = line[marker.end() :] if marker else line
        parts, last = [prefix], 0
        for link in _MD_LINK.finditer(line):
            parts.append(_inline(line[last : link.start()]))
            url = _slack_url(link[2])
            label = _inline(link[1])
            parts.append(f"<{url}|{label}>" if url else label)
            last = link.end()
        parts.append(_inline(line[last:]))
        lines.append("".join(parts))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _inline(markdown: str) -> str:
    bold = _MD_BOLD.sub(lambda m: f"\x00{m[1]}\x00", markdown)  # keep escaped stars apart from bold marks
    return slack_text(_MD_ESCAPE.sub(r"\1", bold)).replace("\x00", "*")


def _slack_url(url: str | None) -> str | None:
    """A web link usable inside `<url|text>`, or None."""
    safe = md_url(url)
    return None if safe is None else slack_text(safe.replace("|", "%7C"))


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SLACK_SECTION_CHARS]}}


def _chunks(text: str, size: int) -> Iterator[str]:
    """Pieces of at most `size` characters, cut at paragraph or line ends where possible."""
    while text:
        if len(text) <= size:
            yield text
            return
        cut = max(text.rfind("\n\n", 0, size), text.rfind("\n", 0, size))
        cut = cut if cut > 0 else size
        yield text[:cut].rstrip()
        text = text[cut:].lstrip("\n")


def title_of(summary_markdown: str, brand: str) -> str:
    """The digest's first heading ('Zelia · 2026-01-01 to 2026-02-25'), unescaped; else the brand."""
    for line in summary_markdown.splitlines():
        heading = _MD_HEADING.match(line)
        if heading:
            return one_line(_MD_ESCAPE.sub(r"\1", heading[1]))
    return f"{brand} report"


def _numbers(finding: Finding) -> list[tuple[str, str]]:
    share = finding.kind in SHARE_KINDS

    def value(v: float) -> str:
        return f"{v:.0%}" if share else f"{v:,.1f}".removesuffix(".0")

    return [
        ("Observed", value(finding.observed)),
        ("Usual", value(finding.baseline)),
        ("Magnitude", f"{finding.magnitude:,} ({MAGNITUDES.get(finding.kind, 'per kind')})"),
        ("Confidence", f"{finding.confidence:.0%}"),
    ]


def _examples(finding: Finding) -> list[Mapping[str, Any]]:
    examples = finding.evidence.get("examples") or []
    return [e for e in examples if isinstance(e, Mapping)][:EXAMPLES]


def _posted(post: Mapping[str, Any]) -> str:
    published = post.get("published_at")
    when = moment_text(str(published) if published else None)
    return ", ".join(str(part) for part in (post.get("source"), when) if part)


def one_line(text: Any, limit: int = QUOTE_CHARS) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
