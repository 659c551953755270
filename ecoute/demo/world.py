"""What happens in the demo corpus, day by day: volumes, the planted events, the posts.

`Plan` says when things happen and how much; `World` draws every post from one seeded
random stream, in a fixed order, so the same seed always gives the same corpus. Event
days are given for a 56-day corpus and scale with its length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from random import Random

from ecoute.demo import compose, people, themes_en, themes_fr

BRAND_A, BRAND_B = "Zelia", "Norvo"
BRAND_ACCOUNTS = {BRAND_A: "zelia_help", BRAND_B: "norvo_support"}
SENTIMENTS = ("negative", "neutral", "positive")
MIN_DAYS = 14
HEADLINES = {"fr": themes_fr, "en": themes_en}

# Volumes, per day at scale 1.
ZELIA_PER_DAY = 36.0
FRENCH_SHARE = 0.55
WEEKDAY = (1.08, 1.12, 1.10, 1.08, 1.04, 0.80, 0.78)  # Monday first, mean 1
NOISE = 0.15  # daily volume wobbles by up to this fraction
# Posting activity per UTC hour: European days, quiet nights.
HOURS: tuple[float, ...] = (1.0, 0.5, 0.3, 0.2, 0.3, 0.8, 2.0, 3.4, 4.2, 4.6, 5.0, 5.8)
HOURS += (5.4, 4.8, 4.6, 5.0, 5.6, 6.2, 6.6, 6.4, 5.4, 4.0, 2.6, 1.6)
THEME_WEIGHTS = {
    "negative": {
        "app_bugs": 18,
        "card_payments": 14,
        "customer_service": 16,
        "fees": 12,
        "transfers": 12,
        "onboarding": 9,
        "cashback": 5,
        "savings": 4,
        "comparison": 12,
    },
    "neutral": {
        "app_bugs": 10,
        "card_payments": 10,
        "customer_service": 8,
        "fees": 12,
        "transfers": 12,
        "onboarding": 9,
        "cashback": 8,
        "savings": 10,
        "comparison": 12,
        "off_topic": 10,
    },
    "positive": {
        "app_bugs": 9,
        "card_payments": 12,
        "customer_service": 10,
        "fees": 9,
        "transfers": 11,
        "onboarding": 10,
        "cashback": 13,
        "savings": 12,
        "comparison": 16,
    },
}
PLATFORMS = {"twitter": 44, "reddit": 16, "appstore": 12, "forum": 11, "mastodon": 9}
NEWS_SHARE = 0.06  # of neutral posts on a theme with headlines
BOTH_BRANDS = 0.68  # of comparison posts name the other brand as well
CROSS_POSTS = 0.006  # of tweets also posted, word for word, on Mastodon
NOT_COMPLAINTS = ("comparison", "off_topic")

# Planted events; days are for a 56-day corpus.
SPIKE_DAY, SPIKE = 36, (230, 190, 95, 40)  # extra Zelia posts on the outage days
OUTAGE_HOUR = 7  # UTC, on the first outage day
SPIKE_NEGATIVE = 0.9
SPIKE_PLATFORMS = {"twitter": 60, "reddit": 12, "appstore": 10, "forum": 8, "mastodon": 10}
SPIKE_KEYWORDS = {
    "fr": ["carte refusée", "paiement refusé", "panne", "refusée"],
    "en": ["card declined", "declined", "outage", "payment failed"],
}
METAL_DAY, METAL, METAL_AFTER = 42, (12, 40, 36, 32), 28  # Norvo Metal posts per day
LAUNCH_HOUR = 8  # UTC, on launch day
METAL_SENTIMENT = (0.35, 0.35, 0.30)
METAL_PLATFORMS = {"twitter": 50, "reddit": 20, "forum": 12, "mastodon": 10, "appstore": 8}
METAL_KEYWORDS = {
    "fr": ["Norvo Metal", "carte métal", "métal", "9,99€/mois", "abonnement", "premium"],
    "en": ["Norvo Metal", "metal card", "metal", "€9.99/month", "subscription", "premium"],
}
NEGATIVE_SHARE = (0.25, 0.50)  # Norvo, mean of the first week -> of the last week
SHARE_OF_VOICE = (0.40, 0.55)  # Norvo, until mid-period -> from the last week on
# Each event is a layer on top of the baseline, so the shift is planted (and stated in
# truth.json) on baseline posts; Norvo Metal posts come on top of it from day 42.
BASELINE = "posts outside complaint_spike and new_theme, brand replies excluded"
EVENTS = ("complaint_spike", "new_theme", "sentiment_decline", "share_of_voice_shift")
REPLY_RATE = {BRAND_A: 0.8, BRAND_B: 0.4}


@dataclass
class Post:
    at: datetime
    brand: str
    lang: str
    platform: str
    theme: str
    sentiment: str
    event: str | None
    author: str
    text: str
    url: str | None
    likes: int
    replies: int
    shares: int | None
    reply_to: Post | None = None
    id: str = ""


@dataclass(frozen=True)
class Plan:
    """When things happen; event days are those of a 56-day corpus, scaled to `days`.

    `events` are the planted events (the others are left out: no spike, no new theme, a
    flat negative share, a flat share of voice); `strength` multiplies the size of each one.
    """

    start: date
    days: int
    strength: float = 1.0
    events: frozenset[str] = frozenset(EVENTS)

    def effect(self, event: str) -> float:
        """How much of a planted event there is: `strength` if planted, else nothing."""
        return self.strength if event in self.events else 0.0

    @property
    def spike_day(self) -> int:
        return round(self.days * SPIKE_DAY / 56)

    @property
    def metal_day(self) -> int:
        return round(self.days * METAL_DAY / 56)

    @property
    def shift_start(self) -> int:
        return self.days // 2

    def date(self, day: int) -> str:
        return (self.start + timedelta(days=day)).isoformat()

    def moment(self, day: int) -> datetime:
        midnight = datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)
        return midnight + timedelta(days=day)

    def weekday(self, day: int) -> float:
        return WEEKDAY[(self.start + timedelta(days=day)).weekday()]

    def norvo_share(self, day: int) -> float:
        low, high = SHARE_OF_VOICE
        progress = (day - self.shift_start) / (self.days - 7 - self.shift_start)
        return low + (high - low) * self.effect("share_of_voice_shift") * min(max(progress, 0.0), 1.0)

    def sentiment_weights(self, brand: str, day: int) -> tuple[float, float, float]:
        if brand == BRAND_A:
            return (0.30, 0.40, 0.30)
        low, high = NEGATIVE_SHARE
        negative = low + (high - low) * self.effect("sentiment_decline") * (day - 3) / (self.days - 7)
        return (negative, 0.40, 0.60 - negative)

    def spike_volume(self, day: int) -> float:
        k = day - self.spike_day
        return SPIKE[k] * self.effect("complaint_spike") if 0 <= k < len(SPIKE) else 0.0

    def metal_volume(self, day: int) -> float:
        k = day - self.metal_day
        volume = 0.0 if k < 0 else METAL[k] if k < len(METAL) else METAL_AFTER
        return volume * self.effect("new_theme")


class World:
    """Draws every post, in order, from one seeded random stream."""

    def __init__(self, rng: Random, plan: Plan, authors: people.Authors) -> None:
        self.rng, self.plan, self.authors = rng, plan, authors
        self._owed = {BRAND_A: [0.0] * 3, BRAND_B: [0.0] * 3}

    def day(self, day: int, scale: float) -> list[Post]:
        rng, plan = self.rng, self.plan
        zelia = ZELIA_PER_DAY * plan.weekday(day) * scale
        share = plan.norvo_share(day)
        metal = plan.metal_volume(day) * plan.weekday(day) * scale
        norvo = zelia * share / (1 - share)
        posts = [self.organic(BRAND_A, day) for _ in range(self._draw(zelia, NOISE))]
        posts += [self.organic(BRAND_B, day) for _ in range(self._draw(norvo, NOISE))]
        spike = plan.spike_volume(day) * scale
        posts += [self._outage(day) for _ in range(self._draw(spike, 0.05))]
        posts += [self._metal(day) for _ in range(self._draw(metal, 0.1))]
        end = plan.moment(plan.days)
        for post in list(posts):
            if post.platform == "twitter" and rng.random() < CROSS_POSTS:
                at = post.at + timedelta(minutes=rng.randrange(1, 30))
                if at < end:
                    url = people.url(rng, "mastodon", post.author, post.lang, post.brand, "")
                    posts.append(replace(post, platform="mastodon", at=at, url=url))
        return posts

    def replies(self, posts: Sequence[Post]) -> list[Post]:
        """The brand accounts answer a share of the complaints, Zelia fast, Norvo slowly."""
        rng, end = self.rng, self.plan.moment(self.plan.days)
        answers = []
        for post in posts:
            if post.sentiment != "negative" or post.platform == "news":
                continue
            if post.theme in NOT_COMPLAINTS or rng.random() >= REPLY_RATE[post.brand]:
                continue
            if post.brand == BRAND_A:
                busy = 2.0 if post.event == "complaint_spike" else 1.0
                delay = timedelta(minutes=_clamp(rng.lognormvariate(3.0, 1.0) * busy, 2, 300))
            else:
                delay = timedelta(hours=_clamp(rng.lognormvariate(1.95, 0.6), 1, 30))
            at = post.at + delay
            if at >= end:
                continue
            topic = "outage" if post.event == "complaint_spike" else post.theme
            text = compose.reply(rng, post.lang, post.brand, topic, post.author, post.platform)
            account = BRAND_ACCOUNTS[post.brand]
            post.replies += 1
            answers.append(
                Post(
                    at=at,
                    brand=post.brand,
                    lang=post.lang,
                    platform=post.platform,
                    theme="brand_reply",
                    sentiment="neutral",
                    event=None,
                    author=account,
                    text=text,
                    url=people.url(rng, post.platform, account, post.lang, post.brand, text),
                    likes=int(rng.lognormvariate(-0.3, 0.8)),
                    replies=int(rng.random() < 0.2),
                    shares=None if post.platform == "appstore" else 0,
                    reply_to=post,
                )
            )
        return answers

    def organic(self, brand: str, day: int) -> Post:
        rng = self.rng
        sentiment = self._sentiment(brand, day)
        lang = "fr" if rng.random() < FRENCH_SHARE else "en"
        weights = THEME_WEIGHTS[sentiment]
        theme = _pick(rng, list(weights), list(weights.values()))
        both = theme == "comparison" and rng.random() < BOTH_BRANDS
        other = _other(brand) if both else None
        at = self._at(day)
        headlines = HEADLINES[lang].HEADLINES
        if sentiment == "neutral" and theme in headlines and rng.random() < NEWS_SHARE:
            return self._news(at, brand, lang, theme, sentiment, None, headlines[theme])
        platforms = {p: w for p, w in PLATFORMS.items() if theme != "off_topic" or p != "appstore"}
        platform = _pick(rng, list(platforms), list(platforms.values()))
        clauses = compose.material(lang, theme, sentiment, both=both)
        return self._post(at, brand, lang, platform, theme, sentiment, None, clauses, other)

    def _sentiment(self, brand: str, day: int) -> str:
        """Deal sentiments by quota, not by coin flips, so planted shares hold week by week."""
        owed = self._owed[brand]
        for i, weight in enumerate(self.plan.sentiment_weights(brand, day)):
            owed[i] += weight
        most = max(range(3), key=owed.__getitem__)
        owed[most] -= 1
        return SENTIMENTS[most]

    def _outage(self, day: int) -> Post:
        rng = self.rng
        sentiment = "negative" if rng.random() < SPIKE_NEGATIVE else "neutral"
        lang = "fr" if rng.random() < FRENCH_SHARE else "en"
        at = self._at(day, OUTAGE_HOUR if day == self.plan.spike_day else 0)
        if rng.random() < 0.04:
            headlines = HEADLINES[lang].OUTAGE_HEADLINES
            event = "complaint_spike"
            return self._news(at, BRAND_A, lang, "card_payments", "negative", event, headlines)
        platform = _pick(rng, list(SPIKE_PLATFORMS), list(SPIKE_PLATFORMS.values()))
        clauses = compose.material(lang, "card_payments", sentiment, event="complaint_spike")
        return self._post(at, BRAND_A, lang, platform, "card_payments", sentiment, "complaint_spike", clauses)

    def _metal(self, day: int) -> Post:
        rng = self.rng
        sentiment = _pick(rng, SENTIMENTS, METAL_SENTIMENT)
        lang = "fr" if rng.random() < FRENCH_SHARE else "en"
        at = self._at(day, LAUNCH_HOUR if day == self.plan.metal_day else 0)
        launch = day < self.plan.metal_day + 3
        if rng.random() < (0.15 if launch else 0.02):
            headlines = HEADLINES[lang].METAL_HEADLINES
            return self._news(at, BRAND_B, lang, "norvo_metal", "neutral", "new_theme", headlines)
        platform = _pick(rng, list(METAL_PLATFORMS), list(METAL_PLATFORMS.values()))
        clauses = compose.material(lang, "norvo_metal", sentiment, event="new_theme")
        return self._post(at, BRAND_B, lang, platform, "norvo_metal", sentiment, "new_theme", clauses)

    def _post(
        self,
        at: datetime,
        brand: str,
        lang: str,
        platform: str,
        theme: str,
        sentiment: str,
        event: str | None,
        clauses: Sequence[str],
        other: str | None = None,
    ) -> Post:
        rng = self.rng
        author = self.authors.pick(rng, lang, platform)
        friend = self.authors.pick(rng, lang, "twitter")
        text = compose.post(
            rng,
            lang=lang,
            platform=platform,
            theme=theme,
            sentiment=sentiment,
            clauses=clauses,
            brand=brand,
            other=other,
            friend=friend,
        )
        url = people.url(rng, platform, author, lang, brand, text)
        likes, replies, shares = _engagement(rng, platform, event)
        return Post(at, brand, lang, platform, theme, sentiment, event, author, text, url, likes, replies, shares)

    def _news(
        self,
        at: datetime,
        brand: str,
        lang: str,
        theme: str,
        sentiment: str,
        event: str | None,
        headlines: Sequence[str],
    ) -> Post:
        rng = self.rng
        author = self.authors.pick(rng, lang, "news")
        outlet = people.outlet_name(author)
        text = compose.headline(rng, lang, headlines, brand, _other(brand), outlet)
        url = people.url(rng, "news", author, lang, brand, text)
        likes, replies, shares = _engagement(rng, "news", event)
        return Post(at, brand, lang, "news", theme, sentiment, event, author, text, url, likes, replies, shares)

    def _at(self, day: int, earliest_hour: int = 0) -> datetime:
        rng = self.rng
        hour = rng.choices(range(earliest_hour, 24), weights=HOURS[earliest_hour:])[0]
        offset = timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))
        return self.plan.moment(day) + offset

    def _draw(self, expected: float, noise: float) -> int:
        """A whole count around `expected`, wobbling by up to `noise` of it."""
        value = expected * self.rng.uniform(1 - noise, 1 + noise)
        whole = int(value)
        return whole + (self.rng.random() < value - whole)


def _engagement(rng: Random, platform: str, event: str | None) -> tuple[int, int, int | None]:
    mu, sigma = {
        "twitter": (0.8, 1.3),
        "mastodon": (0.3, 1.0),
        "reddit": (1.6, 1.2),
        "forum": (0.2, 1.0),
        "appstore": (0.2, 1.0),
        "news": (2.4, 1.1),
    }[platform]
    mu += 0.6 if event == "complaint_spike" else 0.0
    likes = min(int(rng.lognormvariate(mu, sigma)), 50_000)
    replies = 0 if platform == "appstore" else min(int(rng.lognormvariate(mu - 1.2, 1.0)), 5_000)
    if platform in ("news", "appstore"):
        return likes, replies, None
    spread = 0.3 if platform in ("twitter", "mastodon") else 0.05
    return likes, replies, int(likes * spread * rng.random())


def _pick(rng: Random, items: Sequence[str], weights: Sequence[float]) -> str:
    return rng.choices(items, weights=weights)[0]


def _other(brand: str) -> str:
    return BRAND_B if brand == BRAND_A else BRAND_A


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)
