"""Who posts in the demo corpus, and where: handles, news outlets, plausible fictional URLs.

A few heavy posters and a long tail of people who post once, as on real platforms.
Random ids in URLs use no vowels, so they can never spell a planted keyword.
"""

from __future__ import annotations

import re
import unicodedata
from random import Random


def _split(table: dict[str, str]) -> dict[str, list[str]]:
    return {lang: words.split() for lang, words in table.items()}


FIRST = _split(
    {
        "fr": (
            "camille lucas manon hugo lea thomas chloe nathan ines louis sarah theo julie "
            "maxime emma antoine clara romain pauline kevin marie julien laura nicolas oceane "
            "alexandre mathilde quentin lucie benjamin amandine florian elodie yanis sofiane "
            "nadia karim fatou moussa aurelie jeremy claire guillaume margaux baptiste anais "
            "vincent sophie damien lisa mehdi yasmine adrien coralie pierre celine arnaud "
            "marion jules zoe"
        ),
        "en": (
            "james olivia jack amelia harry isla oliver emily charlie sophie george grace "
            "alfie lily thomas chloe jacob ella oscar mia liam ava noah ruby ethan holly ryan "
            "megan connor niamh sean aoife callum eilidh priya arjun fatima omar tom katie dan "
            "becky sam jess ben lucy matt hannah josh zara kieran freya luke erin dylan jade "
            "aidan leah ross kirsty"
        ),
    }
)
LAST = _split(
    {
        "fr": (
            "martin bernard dubois durand lefebvre leroy moreau simon laurent michel garcia "
            "david bertrand roux fournier morel girard andre mercier dupont lambert bonnet "
            "legrand garnier faure rousseau blanc guerin muller henry roussel perrin morin "
            "mathieu clement gauthier benali nguyen diallo traore haddad"
        ),
        "en": (
            "smith jones taylor brown williams wilson johnson davies robinson wright thompson "
            "evans walker white roberts green hall wood jackson clarke murphy kelly byrne "
            "walsh obrien campbell stewart patel khan singh ahmed hughes edwards lewis turner "
            "hill moore cooper ward price"
        ),
    }
)
TAILS = _split(
    {
        "fr": "_musique _velo _cuisine _foot _photo _rando _paris _lyon _nantes _bzh _13 _69 _75 _off",
        "en": "_runs _cooks _ldn _mcr _dub _photos _fc _writes _codes _travels _uk _irl",
    }
)
PREFIXES = _split(
    {
        "fr": "le_vrai_ petit_ mister_ miss_ team_ la_ lo_ its_",
        "en": "the_ real_ its_ just_ not_ mr_ mrs_ big_ lil_",
    }
)
REDDIT_WORDS = (
    "Careful Lazy Quiet Brave Sad Happy Tiny Wild Clever Grumpy Sleepy Curious",
    "Owl Panda Potato Falcon Otter Badger Penguin Walrus Lemur Heron Toad Ferret",
)
SUBREDDITS = {
    "fr": ["vosfinances", "france", "AskFrance", "FinancesPerso", "neobanques"],
    "en": ["UKPersonalFinance", "eupersonalfinance", "fintech", "ireland", "expats"],
}
OUTLETS = {
    "fr": [
        ("financesmag", "Finances Mag"),
        ("lefileco", "Le Fil Éco"),
        ("neobanque_info", "Néobanque Info"),
        ("conso_hebdo", "Conso Hebdo"),
    ],
    "en": [
        ("fintechwire", "Fintech Wire"),
        ("themoneydesk", "The Money Desk"),
        ("paytech_daily", "PayTech Daily"),
        ("eurobankwatch", "EuroBank Watch"),
    ],
}
APP_IDS = {"Zelia": 1498231574, "Norvo": 1561029384}
_NO_VOWELS = "bcdfghjklmnpqrstvwxz0123456789"


class Authors:
    """A fixed cast of handles per language; `pick` favours the most active ones."""

    def __init__(self, rng: Random, per_language: int = 1500) -> None:
        self._people = {lang: _cast(rng, lang, per_language) for lang in FIRST}
        self._redditors = {lang: _redditors(rng, 300) for lang in FIRST}

    def pick(self, rng: Random, lang: str, platform: str) -> str:
        if platform == "news":
            return rng.choice(OUTLETS[lang])[0]
        redditor = platform == "reddit" and rng.random() < 0.4
        pool = self._redditors[lang] if redditor else self._people[lang]
        return pool[int(len(pool) * rng.random() ** 1.45)]


def outlet_name(handle: str) -> str:
    return next(name for lang in OUTLETS for h, name in OUTLETS[lang] if h == handle)


def url(rng: Random, platform: str, author: str, lang: str, brand: str, text: str) -> str | None:
    """A plausible permalink on a fictional host, or None as some exports have."""
    if platform == "twitter":
        return None if rng.random() < 0.03 else f"https://x.example/{author}/status/{_digits(rng, 19)}"
    if platform == "mastodon":
        return f"https://mastodon.example/@{author}/{_digits(rng, 18)}"
    if platform == "reddit":
        sub = rng.choice(SUBREDDITS[lang])
        return f"https://reddit.example/r/{sub}/comments/{code(rng, 6)}/comment/{code(rng, 7)}/"
    if platform == "appstore":
        if rng.random() < 0.2:
            return None
        app = f"{brand.lower()}/id{APP_IDS[brand]}"
        return f"https://apps.example/{lang}/app/{app}?review={_digits(rng, 10)}"
    if platform == "forum":
        host = "forum-banques.example" if lang == "fr" else "money-forum.example"
        return f"https://{host}/t/{_slug(text)}/{rng.randrange(1000, 99999)}"
    if platform == "news":
        section = rng.choice(["banque", "conso", "tech"] if lang == "fr" else ["money", "tech"])
        return f"https://{author}.example/{section}/{_slug(text)}-{rng.randrange(10**5, 10**6)}"
    raise ValueError(f"unknown platform {platform!r}")


def _cast(rng: Random, lang: str, size: int) -> list[str]:
    handles: dict[str, None] = {}
    while len(handles) < size:
        handles.setdefault(_handle(rng, lang))
    return list(handles)


def _handle(rng: Random, lang: str) -> str:
    first, last = rng.choice(FIRST[lang]), rng.choice(LAST[lang])
    shape = rng.randrange(9)
    if shape == 0:
        return f"{first}{rng.randrange(1, 100)}"
    if shape == 1:
        return f"{first}_{last}"
    if shape == 2:
        return f"{first[0]}{last}"
    if shape == 3:
        return f"{first}{last[:3]}"
    if shape == 4:
        return f"{rng.choice(PREFIXES[lang])}{first}"
    if shape == 5:
        return f"{first}{rng.choice(TAILS[lang])}"
    if shape == 6:
        return f"{first}{last}{rng.choice(['', '_', '.'])}{rng.randrange(70, 100):02d}"
    if shape == 7:
        return f"{first.capitalize()}{last.capitalize()}"
    return f"{first}.{last}"


def _redditors(rng: Random, size: int) -> list[str]:
    adjectives, animals = (words.split() for words in REDDIT_WORDS)
    return [f"{rng.choice(adjectives)}_{rng.choice(animals)}_{rng.randrange(1000, 10000)}" for _ in range(size)]


def _digits(rng: Random, n: int) -> str:
    return str(rng.randrange(10 ** (n - 1), 10**n))


def code(rng: Random, n: int) -> str:
    """A random id fragment that cannot spell a word (no vowels)."""
    return "".join(rng.choice(_NO_VOWELS) for _ in range(n))


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words[:6]) or "post"
