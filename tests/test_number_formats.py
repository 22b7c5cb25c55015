"""Numbers formatted by kind in the human formats (issue 12): NPS and percentages 1 decimal, CES means and
margins 2, p- and q-values 3 with "< 0.001" below, money and counts with thousands separators."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxroi.report.formats import display_cell
from tests.conftest import ROOT, run


@pytest.mark.parametrize(
    "field,value,shown",
    [
        ("p_value", 0.0004, "< 0.001"),
        ("p_value", 0.0123, "0.012"),
        ("q_value", 0.0, "< 0.001"),
        ("value", 32.04, "32.0"),
        ("clv", 23794.301, "23,794.30"),
        ("customers", 1500, "1,500"),
    ],
)
def test_display_cell_by_kind(field: str, value: float, shown: str) -> None:
    assert display_cell(field, value) == shown


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("r")
    texts = {}
    for kind in ("markdown", "html"):
        path = out / f"r.{kind}"
        r = run(["run", "-c", str(ROOT / "configs" / "default.yaml"), "--as-of", "2025-12-31", "--report", kind,
                 "-o", str(path)])  # fmt: skip
        assert r.exit_code == 0, r.stderr
        texts[kind] = Path(path).read_text()
    return texts


def test_ces_keeps_two_decimals_in_markdown_and_html(reports: dict[str, str]) -> None:
    # CES 4.98 (4.92..5.05) on 2,730 answers: the sample's overall CES (`cxroi scores` prints the same)
    assert "| ces | 2,730 | 4.98 | 4.92 | 5.05 |" in reports["markdown"]
    # HTML: the three overall records are turned around (one column each: NPS, CSAT, CES)
    assert (
        '<td class="t">value</td><td class="">32.0</td><td class="">67.4</td><td class="">4.98</td>'
        in reports["html"]
    )
    assert (
        '<td class="t">ci_low</td><td class="">29.3</td><td class="">65.7</td><td class="">4.92</td>'
        in reports["html"]
    )
    assert "| ces | 2,730 | 5.0 | 4.9 | 5.0 |" not in reports["markdown"]


def test_small_p_values_are_not_zero(reports: dict[str, str]) -> None:
    assert "&lt; 0.001" in reports["markdown"] and "&lt; 0.001" in reports["html"]
    assert "| 0.000 |" not in reports["markdown"]


def test_markdown_sections_follow_the_html(reports: dict[str, str]) -> None:
    """The same sections in the same order in both documents (issue 12)."""
    import html
    import re

    from cxroi.report.documents import SECTION_TITLES

    titles = set(SECTION_TITLES.values())
    md = [t for t in re.findall(r"^## (.+)$", reports["markdown"], flags=re.M) if t in titles]
    page = [html.unescape(t) for t in re.findall(r"<h[23][^>]*>([^<]+)</h[23]>", reports["html"])]
    page = [t for t in page if t in titles]
    md, page = list(dict.fromkeys(md)), list(dict.fromkeys(page))  # "Survey scores" heads charts and table
    shared = [t for t in md if t in page]
    assert len(shared) >= 12
    assert shared == [t for t in page if t in shared]
