"""The report page as a file: small, with plotly.js shared by the reports folder (or inlined
where the page travels alone), laid out for phones, charts that save as images, and dates
written one way."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from markupsafe import escape
from plotly.offline import get_plotlyjs, get_plotlyjs_version
from synthetic_warehouse import BRANDS, FIRST_DAY, LAST_DAY, synthetic_warehouse
from test_reports import _CHART_DATA, HAND_MADE, Written, _write, add_posts

from ecoute.reports import write_report
from ecoute.reports.render import standalone_html

MB = 1_000_000
ASSET = f"assets/plotly-{get_plotlyjs_version()}.min.js"
LINK = f'<script src="{ASSET}"></script>'
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Written]:
    folder = tmp_path_factory.mktemp("page")
    with synthetic_warehouse(folder / "w.duckdb") as con:
        add_posts(con, HAND_MADE)
        yield _write(con, folder / "reports")


def _charts(html: str) -> dict[str, dict]:
    return {name: json.loads(data) for name, data in _CHART_DATA.findall(html)}


def test_page_is_small_and_links_plotly_from_the_reports_folder(written: Written) -> None:
    """plotly.js (4.8 MB) is written once beside the pages and linked relatively, not copied into each."""
    folder = written.paths.html.parent

    assert written.paths.html.stat().st_size < MB
    assert written.html.count(LINK) == 1  # relative: the folder opens anywhere, offline
    assert get_plotlyjs()[:200] not in written.html
    assert [p.relative_to(folder).as_posix() for p in (folder / "assets").iterdir()] == [ASSET]
    assert (folder / ASSET).read_text(encoding="utf-8") == get_plotlyjs()


def test_the_shared_asset_is_written_once(tmp_path: Path) -> None:
    """Writing reports again (another brand, the same one) leaves plotly.js untouched; a stale copy is replaced."""
    with synthetic_warehouse(tmp_path / "w.duckdb") as con:
        out = tmp_path / "reports"
        kwargs = {"period_start": FIRST_DAY, "period_end": LAST_DAY}
        write_report(con, BRANDS[0], BRANDS, out, **kwargs)
        asset = out / ASSET
        first = asset.stat()
        write_report(con, BRANDS[1], BRANDS, out, **kwargs)
        write_report(con, BRANDS[0], BRANDS, out, **kwargs)
        again = asset.stat()
        asset.write_text("// cut short by a full disk", encoding="utf-8")
        write_report(con, BRANDS[0], BRANDS, out, **kwargs)

    assert (again.st_mtime_ns, again.st_ino) == (first.st_mtime_ns, first.st_ino)
    assert asset.read_text(encoding="utf-8") == get_plotlyjs()
    assert sorted(p.name for p in (out / "assets").iterdir()) == [asset.name]  # no partial file left behind
    assert asset.stat().st_mode & 0o444 == 0o444  # readable like the pages


def test_self_contained_page_inlines_plotly(tmp_path: Path) -> None:
    """For a page that travels alone: plotly.js inside, nothing linked, no assets folder."""
    with synthetic_warehouse(tmp_path / "w.duckdb") as con:
        written = _write(con, tmp_path / "reports", self_contained=True)

    assert written.html.count(get_plotlyjs()[:200]) == 1
    assert "<script src=" not in written.html
    assert not (tmp_path / "reports" / "assets").exists()


def test_standalone_html_inlines_the_folder_asset(written: Written) -> None:
    """What the e-mail attaches: the written page with plotly.js in place of the link, and nothing else changed."""
    page = standalone_html(written.paths.html)

    assert LINK not in page and page.count(get_plotlyjs()[:200]) == 1
    assert page.replace(f"<script>{get_plotlyjs()}</script>", LINK) == written.html


def test_page_fits_a_phone(written: Written) -> None:
    """Declared for phones, charts follow their container's width, and tables scroll or reflow instead of
    being cut off (test_report_browser measures it at 390 px)."""
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in written.html
    for name, chart in _charts(written.html).items():
        assert chart["config"]["responsive"] is True, name
        assert "width" not in chart["layout"], name  # a fixed width would overflow a phone
    assert "minmax(min(100%, 460px), 1fr)" in written.html  # chart cards: side by side, or one per row
    assert '<div class="scroll">' in written.html  # evidence tables scroll inside their card


def test_every_chart_saves_as_a_png_named_after_brand_period_and_chart(written: Written) -> None:
    """The mode bar is always shown (a phone has no hover), with "download as PNG" and nothing that uploads."""
    for name, chart in _charts(written.html).items():
        config = chart["config"]
        assert config["displayModeBar"] is True, name
        assert config["showSendToCloud"] is False, name
        assert "toImage" not in config["modeBarButtonsToRemove"], name
        assert config["toImageButtonOptions"] == {
            "format": "png",
            "filename": f"zelia_{FIRST_DAY}_{LAST_DAY}_{name}",
            "width": 1200,
            "height": 600,
            "scale": 2,
        }


def test_dates_read_one_way(written: Written) -> None:
    """'7 Sep 2026' everywhere people read: header, cards, findings, quotes, tables, footer, digest,
    chart ticks and hover. ISO dates stay only in data (chart JSON, links, file names) and in
    detector headlines, which are written elsewhere."""
    text = re.sub(r"<script.*?</script>", "", written.html, flags=re.DOTALL)
    text = re.sub(r'(href|id|src)="[^"]*"', "", text)
    markdown = re.sub(r"\]\([^)]*\)", "]", written.markdown)
    for finding in written.findings:
        text = text.replace(str(escape(finding.headline)), "")
        markdown = markdown.replace(finding.headline, "")

    assert _ISO_DATE.findall(text) == []
    assert _ISO_DATE.findall(markdown) == []
    assert "17 Aug to 15 Oct 2026" in text and markdown.startswith("# Zelia · 17 Aug to 15 Oct 2026")
    assert re.search(r"Generated by ecoute on \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}\.", text)
    assert "1 Oct 2026</h3>" in text  # the volume spike's day
    assert re.search(r"<td>1 Oct 2026</td>", text)  # its evidence table
    assert "test, 1 Oct 2026 " in markdown  # a quote's time
    charts = _charts(written.html)
    for name in ("volume", "sentiment", "share-of-voice", "answered", "first-answer"):
        axis = charts[name]["layout"]["xaxis"]
        assert axis["tickformat"] == "%-d %b", name  # "7 Sep", not plotly's "Sep 7"
        assert axis["hoverformat"] in ("%-d %b %Y", "week of %-d %b %Y"), name
