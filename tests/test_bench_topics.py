"""What the encoder reads (handles, links, brand names masked) and `ecoute bench topics`."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from ecoute.bench.topics import format_table, inject_handles, read_themes, score_run
from ecoute.models.enrich import Enricher
from ecoute.models.mask import BrandMask

BANKING77 = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "topics" / "banking77"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@united my bag is lost", "@user my bag is lost"),
        ("@zelia.bsky.social merci !", "@user merci !"),
        ("write to help@zelia.fr please", "write to help@zelia.fr please"),  # an e-mail is not a handle
        ("see https://t.co/abc?x=1 and www.zelia.fr/aide.", "see http and http"),
        ("Zelia's app crashed, #zelia #fail", "@user's app crashed, @user #fail"),
        ("passé de Norvo Metal à ZELIA", "passé de @user à @user"),
        ("the zelias are blooming; Norvoxx", "the zelias are blooming; Norvoxx"),  # whole words only
    ],
)
def test_mask_reads_every_brand_the_same(text, expected):
    assert BrandMask(["Zelia", "Norvo", "Norvo Metal"]).apply(text) == expected


def test_mask_without_terms_still_masks_handles_and_links():
    mask = BrandMask()
    assert mask.apply("@AmericanAir thanks! http://aa.com") == "@user thanks! http"
    assert mask.apply_all(["ok", ""]) == ["ok", ""]
    with pytest.raises(TypeError):
        mask.apply_all("one string")


def test_the_enricher_reads_posts_through_the_mask(e5_encoder):
    """Two brands, one complaint: the models see the same post, whoever is addressed; the
    language is read from the post itself, and the brands' languages break its doubts."""
    enricher = Enricher.from_encoder(e5_encoder, languages=["fr", "en"], brand_terms=["Zelia", "Norvo"])
    posts = [
        "@united my bag is lost again",
        "@Delta my bag is lost again",
        "Zelia: carte refusée",
        "Norvo: carte refusée",
    ]
    enriched = enricher.enrich(posts)
    np.testing.assert_allclose(enriched.embeddings[0], enriched.embeddings[1], atol=1e-6)
    np.testing.assert_allclose(enriched.embeddings[2], enriched.embeddings[3], atol=1e-6)
    assert enriched.sentiments[0] == enriched.sentiments[1] and enriched.languages[2:] == ["fr", "fr"]
    unmasked = Enricher.from_encoder(e5_encoder).enrich(posts[2:])  # no brand terms: names stay
    assert float(unmasked.embeddings[0] @ unmasked.embeddings[1]) < 0.9999


def test_read_themes_takes_a_csv_or_a_folder(tmp_path):
    path = tmp_path / "test.csv"
    path.write_text("text,theme\nmy card is late,card_arrival\n ,card_arrival\nfees?,fees\n", encoding="utf-8")
    assert read_themes(path) == (["my card is late", "fees?"], ["card_arrival", "fees"])
    assert read_themes(tmp_path, "test") == read_themes(path)
    (tmp_path / "bad.csv").write_text("body,theme\nx,y\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs a 'text' column"):
        read_themes(tmp_path / "bad.csv")
    with pytest.raises(FileNotFoundError):
        read_themes(tmp_path, "train")


def test_injected_handles_are_random_and_recorded():
    texts, brands = inject_handles(["a", "b", "c", "d"] * 25, seed=3)
    assert all(t.startswith(f"@{b} ") for t, b in zip(texts, brands, strict=True))
    assert len(set(brands)) == 6
    assert inject_handles(["a"] * 10, seed=3) == inject_handles(["a"] * 10, seed=3)


def _banking77_sample(themes: int, per_theme: int) -> tuple[list[str], list[str]]:
    """The first ``per_theme`` test messages of the first ``themes`` themes (alphabetical)."""
    with (BANKING77 / "test.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    kept = sorted({r["category"] for r in rows})[:themes]
    picked = [r for theme in kept for r in [r for r in rows if r["category"] == theme][:per_theme]]
    return [r["text"] for r in picked], [r["category"] for r in picked]


@pytest.mark.skipif(not BANKING77.is_dir(), reason="needs ../shared/benchmarks/topics/banking77")
def test_topics_follow_the_theme_not_the_brand_handle(e5_encoder, language_detector):
    """A random brand's handle on each banking77 message: with the mask the topics keep the
    themes (NMI within 0.02 of the plain run) and ignore the brand (NMI <= 0.05); without it
    they follow the brand, which is the failure the mask fixes."""
    texts, themes = _banking77_sample(themes=20, per_theme=40)
    common = {"encoder": e5_encoder, "detector": language_detector, "min_topic_size": 15, "seed": 0}
    plain = score_run("plain", texts, themes, None, mask=BrandMask(), **common)
    injected, brands = inject_handles(texts, seed=0)
    masked = score_run("masked", injected, themes, brands, mask=BrandMask(), **common)
    unmasked = score_run("unmasked", injected, themes, brands, mask=None, **common)
    assert plain.nmi > 0.6, plain
    assert abs(masked.nmi - plain.nmi) <= 0.02, (plain, masked)
    assert masked.nmi_brand is not None and masked.nmi_brand <= 0.05, masked
    assert unmasked.nmi_brand is not None and unmasked.nmi_brand > masked.nmi_brand + 0.05, unmasked
    table = format_table(
        {
            "data": "banking77 sample",
            "texts": len(texts),
            "themes": 20,
            "encoder": "e5",
            "min_topic_size": 15,
            "runs": [vars(plain), vars(masked)],
        }
    )
    assert "KM NMI" in table and "masked" in table
    assert np.isfinite([plain.kmeans_nmi, plain.kmeans_ari]).all()
