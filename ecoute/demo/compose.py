"""Compose demo posts from interchangeable parts, then roughen them the way people type.

Phrase material holds `{b}` for the brand a post is about and `{o}` for the other one;
other `{slots}` come from the language's style module. Brand names go in last, so no typo,
shorthand or case change can ever misspell them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from random import Random
from types import ModuleType

from ecoute.demo import people, replies, style_en, style_fr, themes_en, themes_fr

THEMES = {"fr": themes_fr, "en": themes_en}
STYLES = {"fr": style_fr, "en": style_en}
CHATTY = ("twitter", "mastodon")
LONG_FORM = ("reddit", "forum", "appstore")
# How hastily each platform's users type: 0 is edited copy, 1 is thumbs on a bus.
HASTE = {"news": 0.0, "forum": 0.5, "reddit": 0.6, "mastodon": 0.7, "appstore": 0.8, "twitter": 1.0}
EMOJI = {
    "negative": ["😡", "🤬", "😤", "🙄", "😩", "😒", "💀", "🤡", "😠", "👎", "😭", "🥲", "🫠", "😑"],
    "neutral": ["🤔", "👀", "🧐", "🤷", "🙏", "😅", "❓", "📱"],
    "positive": ["😍", "🙌", "👏", "💚", "🔥", "✨", "👍", "🥳", "😊", "💯", "🚀", "❤️", "🤩"],
}
BRAND_WORDS = {"zelia", "norvo"}  # typos never touch a brand, even one written out
# Words that keep their capital after an opener such as "Franchement,".
KEEP_CAPS = {"I", "I'm", "I've", "Norvo", "Zelia", "Apple", "Google", "Face", "ATM", "IBAN", "KYC", "CB"}

_SLOT = re.compile(r"\{(\w+)\}")
_BRAND = re.compile(r"([@#]?)\{([bo])\}", re.IGNORECASE)
_TYPO_WORD = re.compile(r"(?<![\w{@#/.])[^\W\d_]{4,}(?![\w}])")


def material(lang: str, theme: str, sentiment: str, *, event: str | None = None, both: bool = False) -> Sequence[str]:
    """The core clauses a post of this kind is built around."""
    themes = THEMES[lang]
    if event == "complaint_spike":
        return themes.OUTAGE[sentiment]
    if event == "new_theme":
        return themes.METAL[sentiment]
    if both:
        return themes.COMPARE[sentiment]
    return themes.THEMES[theme][sentiment]


def post(
    rng: Random,
    *,
    lang: str,
    platform: str,
    theme: str,
    sentiment: str,
    clauses: Sequence[str],
    brand: str,
    other: str | None = None,
    friend: str | None = None,
) -> str:
    """One post: a core clause, optional parts around it, roughened and decorated."""
    style = STYLES[lang]
    long_form = platform in LONG_FORM
    chatter = 0.0 if theme == "off_topic" else 1.0  # no "any thoughts?" after a joke
    body = [rng.choice(clauses)]
    if rng.random() < (0.45 if long_form else 0.12):
        _add(body, rng.choice(clauses))
    if rng.random() < (0.5 if long_form else 0.28) * chatter:
        _add(body, rng.choice(style.OPINIONS[sentiment]))
    if sentiment in style.QUESTIONS and not body[-1].endswith("?") and rng.random() < 0.22 * chatter:
        _add(body, rng.choice(style.QUESTIONS[sentiment]))
    if rng.random() < (0.35 if long_form else 0.15) * chatter:
        _add(body, rng.choice(style.CLOSERS[sentiment]))
    opened = rng.random() < 0.28
    if opened:
        body[0] = _lead(rng.choice(style.OPENERS[sentiment]), body[0])
    if "{b}" not in "".join(body) and brand not in "".join(body):
        _anchor(rng, body, style, platform, prefix=not opened)
    text = " ".join(body)
    if platform == "forum":
        if rng.random() < 0.55:
            text = f"{rng.choice(style.FORUM_GREETINGS)}\n{text}"
        if rng.random() < 0.35:
            text = f"{text}\n{rng.choice(style.FORUM_SIGNOFFS)}"
    if platform == "reddit" and rng.random() < 0.07:
        text = f"{text}\n\n{rng.choice(style.REDDIT_EDITS)}"
    text = _fill(rng, text, style)
    text = roughen(rng, text, lang, HASTE[platform], sentiment)
    if platform == "appstore" and rng.random() < 0.6:
        text = f"{rng.choice(style.APPSTORE_TITLES[sentiment])}\n{text}"
    case = "lower" if text == text.lower() else "upper" if text == text.upper() else "mixed"
    text = _decorate(rng, text, style, platform, theme, sentiment, friend)
    return _name_brands(rng, text, brand, other, platform, case)


def headline(rng: Random, lang: str, headlines: Sequence[str], brand: str, other: str, outlet: str) -> str:
    """A news headline as a listening tool exports it, sometimes with the outlet's name."""
    style = STYLES[lang]
    text = _fill(rng, rng.choice(headlines), style)
    roll = rng.random()
    if roll < 0.3:
        text = f"{text} | {outlet}"
    elif roll < 0.5:
        text = f"{text} - {outlet}"
    elif roll < 0.65:
        text = rng.choice(style.NEWS_PREFIXES) + text
    names = {"b": brand, "o": other}
    return _BRAND.sub(lambda m: m.group(1) + names[m.group(2).lower()], text)


def reply(rng: Random, lang: str, brand: str, topic: str, to_author: str, platform: str) -> str:
    """The brand account's answer to a complaint; `topic` is its theme or `outage`."""
    parts = replies.PARTS[(brand, lang)]
    hints = replies.HINTS[lang]
    body = [_lead(rng.choice(parts["greet"]), rng.choice(parts["sorry"]))]
    if topic in hints and rng.random() < (0.9 if topic == "outage" else 0.45):
        body.append(rng.choice(hints[topic]))
    body.append(rng.choice(parts["ask"]))
    sign = rng.choice(parts["sign"])
    if sign:
        body.append(sign)
    text = " ".join(body)
    return f"@{to_author} {text}" if platform in CHATTY else text


def roughen(rng: Random, text: str, lang: str, haste: float, sentiment: str) -> str:
    """Shorthand, dropped accents, letter slips and case the way hurried people type."""
    style = STYLES[lang]
    if rng.random() < 0.35 * haste:
        for phrase, short in style.SHORTHAND:
            if rng.random() < 0.6:
                text = _shorten(text, phrase, short)
    if lang == "fr" and rng.random() < 0.3 * haste:
        text = strip_accents(text)
    slips = rng.random()
    for _ in range(2 if slips < 0.06 * haste else 1 if slips < 0.28 * haste else 0):
        text = _slip(rng, text)
    if rng.random() < 0.2 * haste:
        text = text.lower()
    elif sentiment == "negative" and rng.random() < 0.04 * haste:
        text = text.upper()
    if rng.random() < 0.25 * haste and text.endswith("."):
        text = text[:-1]
    return text


def strip_accents(text: str) -> str:
    """Drop accents (é -> e) but keep emoji and other symbols intact."""
    out = []
    for char in text:
        base = unicodedata.normalize("NFD", char)
        out.append(base[0] if len(base) > 1 and base[0].isascii() else char)
    return "".join(out)


def _add(body: list[str], sentence: str) -> None:
    if sentence not in body:
        body.append(sentence)


def _lead(opener: str, sentence: str) -> str:
    first = sentence.split(" ", 1)[0]
    if opener[-1] in ",:" or opener[-1].isalpha():
        plain = first[:1].isupper() and first[1:2].islower() and first not in KEEP_CAPS
        if plain:
            sentence = sentence[0].lower() + sentence[1:]
    return f"{opener} {sentence}"


def _anchor(rng: Random, body: list[str], style: ModuleType, platform: str, *, prefix: bool) -> None:
    """Name the brand in a post whose parts do not."""
    if platform in CHATTY and rng.random() < 0.6:
        if rng.random() < 0.5:
            body[0] = f"@{{b}} {body[0]}"
        else:
            body.append(rng.choice(["#{b}", "@{b}"]))
    elif prefix and rng.random() < 0.6:
        body[0] = _lead(rng.choice(style.ANCHOR_PREFIXES), body[0])
    else:
        body.append(rng.choice(style.ANCHOR_SUFFIXES))


def _fill(rng: Random, text: str, style: ModuleType) -> str:
    def slot(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in ("b", "o", "friend"):
            return match.group(0)
        return rng.choice(style.SLOTS[key])

    return _SLOT.sub(slot, text)


def _shorten(text: str, phrase: str, short: str) -> str:
    pattern = re.compile(rf"(?<![\w']){re.escape(phrase)}(?![\w'])", re.IGNORECASE)

    def keep_case(match: re.Match[str]) -> str:
        return short[0].upper() + short[1:] if match.group(0)[0].isupper() else short

    return pattern.sub(keep_case, text)


def _slip(rng: Random, text: str) -> str:
    """One typo in one word: two letters swapped, one dropped or one doubled."""
    words = [m for m in _TYPO_WORD.finditer(text) if m.group(0).lower() not in BRAND_WORDS]
    if not words:
        return text
    match = rng.choice(words)
    word = match.group(0)
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        word = word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    elif kind == 1:
        word = word[:i] + word[i + 1 :]
    else:
        word = word[:i] + word[i] + word[i:]
    return text[: match.start()] + word + text[match.end() :]


def _decorate(
    rng: Random,
    text: str,
    style: ModuleType,
    platform: str,
    theme: str,
    sentiment: str,
    friend: str | None,
) -> str:
    chatty = platform in CHATTY
    if chatty and friend and rng.random() < 0.04:
        text = f"{text} {rng.choice(style.CC).format(friend=friend)}"
    if chatty and rng.random() < (0.3 if platform == "twitter" else 0.45):
        pool = style.HASHTAGS.get(theme, []) + style.HASHTAGS["_"] + ["#{b}"]
        text = f"{text} {' '.join(rng.sample(pool, k=rng.choice((1, 1, 2))))}"
    if rng.random() < (0.5 if chatty else 0.12):
        faces = EMOJI[sentiment]
        if rng.random() < 0.25:
            emoji = rng.choice(faces) * rng.randrange(2, 4)
        else:
            emoji = "".join(rng.sample(faces, k=rng.choice((1, 1, 2, 3))))
        text = f"{text}{rng.choice((' ', ' ', ''))}{emoji}"
    if platform == "twitter" and rng.random() < 0.04:
        text = f"{text} https://t.example/{people.code(rng, 8)}"
    if platform == "reddit" and rng.random() < 0.03:
        text = f"{text} (screenshot: https://imgur.example/{people.code(rng, 7)})"
    return text


def _name_brands(rng: Random, text: str, brand: str, other: str | None, platform: str, case: str) -> str:
    names = {"b": brand, "o": other}

    def name(match: re.Match[str]) -> str:
        prefix, which = match.group(1), match.group(2).lower()
        real = names[which]
        if real is None:
            raise ValueError(f"post mentions {{o}} but has no other brand: {text!r}")
        if prefix:
            return prefix + (real if rng.random() < 0.7 else real.lower())
        if case == "lower":
            return real.lower() if rng.random() < 0.85 else real
        if case == "upper":
            return real.upper()
        forms = [real, real.lower(), real.upper()]
        weights = [62, 16, 3]
        if platform in CHATTY:
            forms += ["@" + real, "#" + real]
            weights += [14, 5]
        return rng.choices(forms, weights=weights)[0]

    return _BRAND.sub(name, text)
