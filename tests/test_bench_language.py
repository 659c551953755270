"""`python -m ecoute.bench.language`: XLM-T's language blocks read right, before/after figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecoute.bench.language import first_words, load_split, run, score

# two tweets per language, in the file order of XLM-T's all/ folder
TWEETS = {
    "ar": ["شكرا جزيلا على المساعدة السريعة", "الخدمة سيئة جدا هذا الشهر"],
    "en": ["Thanks so much!", "The delivery was late again and nobody answered my emails"],
    "fr": ["Merci beaucoup !", "Je trouve que le service client de cette banque est vraiment nul"],
    "de": ["Die Lieferung war wieder zu spät und niemand hat geantwortet", "Vielen Dank für die schnelle Hilfe"],
    "hi": ["यह सेवा बहुत खराब है और कोई जवाब नहीं देता", "आपकी मदद के लिए बहुत धन्यवाद"],
    "it": ["Grazie mille per l'aiuto, siete stati gentilissimi", "La consegna è arrivata in ritardo di nuovo"],
    "pt": ["Muito obrigado pela ajuda de ontem, foi perfeito", "A entrega chegou atrasada outra vez"],
    "es": ["La entrega llegó tarde otra vez y nadie contestó", "Muchas gracias por la ayuda de ayer"],
}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    lines = [text for texts in TWEETS.values() for text in texts]
    lines[0] += "\u2028suite"  # a line separator inside a tweet is not a new line of the file
    (tmp_path / "val_text.txt").write_text("\n".join(lines), encoding="utf-8")  # no final newline, as XLM-T's
    return tmp_path


def test_blocks_are_read_in_xlmt_order(data: Path) -> None:
    """Each tweet gets its block's language; a file that is not eight equal blocks is refused."""
    split = load_split(data, "val")
    assert split.languages == [code for code in TWEETS for _ in range(2)]
    (data / "test_text.txt").write_text("one\ntwo\nthree\n", encoding="utf-8")
    with pytest.raises(ValueError, match="8 equal language blocks"):
        load_split(data, "test")


def test_score_counts_kept_and_pulled_in() -> None:
    """kept: en/fr posts a fr/en brand counts ('und' included); pulled in: the others it counts."""
    figures = score(["en", "fr", "de", "hi"], ["und", "es", "en", "en"], ("fr", "en"))
    assert (figures["kept"], figures["pulled_in"], figures["pulled_in_no_hi"]) == (0.5, 1.0, 1.0)
    assert figures["accuracy"] == 0.0


def test_first_words_fit_under_the_limit() -> None:
    assert first_words("RT @user: Thanks so much for the quick answer http://t.co/x") == "Thanks so much for the quick"


def test_short_english_praise_is_kept_after_and_not_before(data: Path) -> None:
    """ "Thanks so much!" was Spanish to lid.176, so a fr/en brand lost it; now it is English."""
    whole = run(data, "val", demo=False)["sets"]["whole"]
    assert whole["before"]["kept"] == 0.75
    assert whole["after"]["kept"] == 1.0
    assert whole["after"]["pulled_in"] == 0.0
