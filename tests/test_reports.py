"""Reports, alerts, locking and privacy of `cxroi run`, as cron and executives meet them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from cxroi.errors import EXIT_ALERT, EXIT_LOCKED
from tests.conftest import GOLDEN, ROOT, run

FIX = ROOT / "tests" / "fixtures" / "link"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def config(tmp_path: Path, extra: str = "") -> Path:
    """The report fixture config, copied next to its data with extra YAML appended."""
    for name in ("survey.csv", "customers.csv", "transactions.csv"):
        shutil.copy(FIX / name, tmp_path / name)
    cfg = tmp_path / "report.yaml"
    cfg.write_text((FIX / "report.yaml").read_text() + extra)
    return cfg


@pytest.mark.parametrize(("fmt", "golden"), [("markdown", "report.md"), ("json", "report.json")])
def test_report_golden(fmt: str, golden: str, tmp_path: Path) -> None:
    out = tmp_path / golden
    r = run(["run", "-c", "tests/fixtures/link/report.yaml", "--report", fmt, "-o", str(out), "-q"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""  # --quiet: data went to the file, nothing else said
    text = out.read_text(encoding="utf-8")
    if os.environ.get("CXROI_UPDATE_GOLDEN"):
        (GOLDEN / golden).write_text(text, encoding="utf-8")
    assert text == (GOLDEN / golden).read_text(encoding="utf-8")


def test_csv_report_one_file_per_table(tmp_path: Path) -> None:
    r = run(
        ["run", "-c", "tests/fixtures/link/report.yaml", "--report", "csv", "-o", str(tmp_path / "cx.csv")]
    )
    assert r.exit_code == 0, r.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert (
        "cx-link_outcomes.csv" in names and "cx-roi_summary.csv" in names and "cx-scores_trend.csv" in names
    )
    golden = GOLDEN / "report-link_outcomes.csv"
    text = (tmp_path / "cx-link_outcomes.csv").read_text()
    if os.environ.get("CXROI_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_reports_from_config_with_path_templates(tmp_path: Path) -> None:
    cfg = config(
        tmp_path,
        "reports:\n"
        "  - format: html\n    path: out/cx-{as_of:%Y-%m}.html\n"
        "  - {format: xlsx, path: 'out/cx-{as_of:%Y-%m}.xlsx'}\n"
        "  - {format: markdown, path: 'out/cx-{period}.md'}\n",
    )
    r = run(["run", "-c", str(cfg), "-f", "json"])
    assert r.exit_code == 0, r.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["cx-2025-12.html", "cx-2025-12.xlsx", "cx-2025-Q4.md"]
    assert "Wrote " in r.stderr


P_FORMAT = '[<0.0005]"< 0.001";0.000'


def test_xlsx_number_formats_by_kind(tmp_path: Path) -> None:
    """Issue 12's rules in the workbook of the sample run: NPS and percentages 1 decimal, CES means and
    margins 2, p-values 3 with "< 0.001" below, money with thousands separators, counts as integers; the
    cells keep full precision."""
    out = tmp_path / "cx.xlsx"
    assert run(["run", "--as-of", "2025-12-31", "--report", "xlsx", "-o", str(out), "-q"]).exit_code == 0
    wb = load_workbook(out)

    def rows(sheet: str) -> list[dict[str, Any]]:
        ws = wb[sheet]
        header = [c.value for c in ws[1]]
        return [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2)]

    trend = rows("scores_trend")
    for r in trend:
        places = 2 if r["metric"].value == "ces" else 1
        for f in ("value", "moe", "ci_low", "ci_high"):
            assert r[f].number_format == "#,##0." + "0" * places, (r["metric"].value, f)
        assert r["n"].number_format == "#,##0"
        if r["p_value"].value is not None:
            assert r["p_value"].number_format == P_FORMAT
    assert any(r["p_value"].value is not None and r["p_value"].value < 0.0005 for r in trend)  # shown "< 0.001"
    ces = next(r for r in trend if r["metric"].value == "ces")
    assert ces["value"].value != round(ces["value"].value, 2)  # full precision kept in the cell
    themes = rows("why_themes")
    assert all(r["q_value"].number_format == P_FORMAT for r in themes if r["q_value"].value is not None)
    economics = rows("economics")
    assert economics[0]["clv"].number_format == "#,##0.00" and economics[0]["clv"].value > 1000
    assert economics[0]["customers_start"].number_format == "#,##0"
    assert economics[0]["churn"].number_format == "#,##0.0"


def test_xlsx_cell_by_cell(tmp_path: Path) -> None:
    out = tmp_path / "cx.xlsx"
    assert (
        run(
            ["run", "-c", "tests/fixtures/link/report.yaml", "--report", "xlsx", "-o", str(out), "-q"]
        ).exit_code
        == 0
    )
    wb = load_workbook(out)
    assert {"scores_overall", "scores_trend", "link_outcomes", "roi_summary", "roi_lines", "assumptions",
            "explain"} <= set(wb.sheetnames)  # fmt: skip
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)  # no formulas, ever
    ws = wb["scores_overall"]
    header = [c.value for c in ws[1]]
    nps = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert nps["metric"].value == "nps" and nps["n"].value == 10  # every answer counts, matched or not
    assert isinstance(nps["value"].value, int | float) and nps["value"].number_format == "#,##0.0"
    assert nps["n"].number_format == "#,##0"
    roi = {r[0].value: r[1] for r in wb["roi_summary"].iter_rows(min_row=2)}
    assert round(roi["roi"].value, 2) == 171.98 and roi["npv"].number_format == "#,##0.00"  # see test_run
    settings = {r[0].value: r[1].value for r in wb["assumptions"].iter_rows(min_row=2)}
    assert settings["roi.attribution"] == 0.5 and settings["roi.cost.one_off"] == 50000


def test_xlsx_and_csv_never_turn_text_into_formulas() -> None:
    from cxroi.report.documents import render_csv_tables, render_xlsx_report

    data = {"churn": [{"period": "2025", "Plan": "=HYPERLINK(\"http://x\",\"y\")", "customers_start": 3,
                       "churned": 1, "value": 33.3, "partial": False, "note": "+cmd", "extra": "@SUM(A1)"}]}  # fmt: skip
    wb = load_workbook(__import__("io").BytesIO(render_xlsx_report(data, {})))
    ws = wb["churn"]
    header = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert row["Plan"].value == '=HYPERLINK("http://x","y")' and row["Plan"].data_type == "s"
    assert row["note"].data_type == "s" and row["extra"].data_type == "s"
    csv_text = render_csv_tables(data)["churn"]
    assert "'=HYPERLINK" in csv_text and ",'+cmd\n" in csv_text and ",'@SUM(A1)," in csv_text


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    html_path = tmp_path / "cx.html"
    r = run(["run", "--as-of", "2025-12-31", "--report", "html", "-o", str(html_path), "-q"])
    assert r.exit_code == 0, r.stderr
    page = html_path.read_text(encoding="utf-8")
    # self-contained: no scripts, no external stylesheets, images, fonts or links
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", page)
    charts = ["chart-nps-trend", "chart-nps-distribution", "chart-csat-trend", "chart-ces-trend",
              "chart-churn-by-group", "chart-roi-waterfall"]  # fmt: skip
    for chart in charts:
        assert f'id="{chart}"' in page, chart
    assert 'class="hl"' in page  # the highest-churn segment is highlighted
    # it opens with a card per score (value, interval, the latest change, a trend line) and a paragraph
    assert page.count('<div class="card">') == 3 and page.count("<polyline") >= 3
    assert '<div class="v">32.0</div>' in page and '<div class="v">4.98</div>' in page
    assert "2025-Q4: 37.4 (+0.6 on the period before, not significant, p 0.899)" in page
    assert '<p class="summary">Churn 2025-Q4' in page
    browser = _chromium()
    if browser is None:
        if os.environ.get("CXROI_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required here (CI installs it) but was not found")
        pytest.skip("headless Chromium is not installed (Debian package 'chromium'; .ci/run installs it)")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND"]  # fmt: skip
    png = tmp_path / "cx.png"
    shot = subprocess.run([browser, *flags, "--window-size=1200,4000", f"--screenshot={png}", html_path.as_uri()],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert png.exists() and png.stat().st_size > 50_000, shot.stderr[-2000:]
    dom = subprocess.run([browser, *flags, "--dump-dom", html_path.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout  # fmt: skip
    for chart in charts:
        assert f'id="{chart}"' in dom, chart  # the browser parsed and kept every chart
    assert "CX report — as of 2025-12-31" in dom


def test_alerts_exit_5_after_writing_reports(tmp_path: Path) -> None:
    cfg = config(
        tmp_path,
        "reports:\n  - {format: json, path: out.json}\n"
        "alerts:\n  - nps < 90\n  - {when: 'roi < 100', name: roi below target}\n  - match_rate < 10\n",
    )
    r = run(["run", "-c", str(cfg), "-f", "json"], ok=False)
    assert r.exit_code == EXIT_ALERT
    assert "Alert: alert 'nps < 90' breached: " in r.stderr
    assert "roi below target" not in r.stderr  # ROI is 172.0 %: not breached
    assert (tmp_path / "out.json").exists()  # reports are written before the exit code
    assert json.loads(r.stdout)["roi"]["summary"]["roi"] > 100


def test_alerts_that_hold_exit_0_and_per_segment(tmp_path: Path) -> None:
    cfg = config(tmp_path, "alerts:\n  - nps < -100\n  - {when: 'churn_rate > 1000', per_segment: true}\n"
                           "  - nps_delta < -1000 and significant\n")  # fmt: skip
    r = run(["run", "-c", str(cfg), "-q", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    assert "Alert" not in r.stderr


def test_bad_alert_is_a_config_error(tmp_path: Path) -> None:
    cfg = config(tmp_path, "alerts:\n  - nps is low\n")
    r = run(["run", "-c", str(cfg)], ok=False)
    assert r.exit_code == 2 and "alerts[0]" in r.stderr


def test_second_run_waits_for_the_lock_then_gives_up(tmp_path: Path) -> None:
    from cxroi.io.lock import run_lock

    cfg = config(tmp_path)
    with run_lock(cfg, 0):
        r = run(["run", "-c", str(cfg), "--wait", "0.3", "-f", "json"], ok=False)
    assert r.exit_code == EXIT_LOCKED and "holds its lock" in r.stderr
    assert run(["run", "-c", str(cfg), "--wait", "0", "-f", "json"]).exit_code == 0  # free again


def test_personal_segments_are_redacted_unless_allowed(tmp_path: Path) -> None:
    shutil.copy(ROOT / "tests/fixtures/qualtrics_nps.csv", tmp_path / "s.csv")
    base = "inputs:\n  survey: {path: s.csv}\nscores:\n  nps: {column: Q1}\n  by: [RecipientEmail]\n"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(base)
    out = tmp_path / "r.md"
    assert run(["run", "-c", str(cfg), "--report", "markdown", "-o", str(out)]).exit_code == 0
    text = out.read_text()
    assert "@example.com" not in text and "[redacted]" in text
    stdout = run(["run", "-c", str(cfg), "-f", "json"]).stdout
    assert "@example.com" not in stdout
    cfg.write_text(base + "privacy:\n  allow: [RecipientEmail]\n")
    assert run(["run", "-c", str(cfg), "--report", "markdown", "-o", str(out)]).exit_code == 0
    assert "a@example.com" in out.read_text()


def test_html_escapes_data(tmp_path: Path) -> None:
    from cxroi.report.documents import render_html_report

    page = render_html_report({"churn": [{"period": "2025", "Plan": "<script>alert(1)</script>",
                                          "customers_start": 1, "churned": 0, "value": 0.0, "partial": False}]})  # fmt: skip
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


LAYOUT_PROBE = """<script>
const out = {scroll: document.documentElement.scrollWidth, width: window.innerWidth, overlaps: [], wide: []};
document.querySelectorAll('svg').forEach(svg => {
  const boxes = [...svg.querySelectorAll('g[id^="xtick_"] text')].map(t => t.getBoundingClientRect())
    .filter(b => b.width > 0);
  for (let i = 1; i < boxes.length; i++) {
    const a = boxes[i - 1], b = boxes[i];
    if (Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5
        && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5) out.overlaps.push(svg.id + ':' + i);
  }
});
document.querySelectorAll('div.scroll').forEach((d, i) => {
  if (d.scrollWidth > d.clientWidth + 1) out.wide.push(i + ': ' + d.textContent.slice(0, 40));
});
document.querySelectorAll('table, svg').forEach((d, i) => {
  if (d.getBoundingClientRect().right > window.innerWidth + 1) out.wide.push('at ' + i + ': ' + d.textContent.slice(0, 30));
});
document.body.insertAdjacentHTML('beforeend', '<pre id="probe">' + JSON.stringify(out) + '</pre>');
</script>"""


def test_html_report_layout_at_1280_px(tmp_path: Path) -> None:
    """Measured in the browser (issue 12): no x-axis labels of a chart overlap, the page does not scroll
    sideways at 1280 px, and no table needs its own horizontal scroll. The probe script runs on a copy
    without the report's Content-Security-Policy (the report itself runs no script)."""
    browser = _chromium()
    if browser is None:
        if os.environ.get("CXROI_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required here (CI installs it) but was not found")
        pytest.skip("headless Chromium is not installed")
    html_path = tmp_path / "cx.html"
    r = run(["run", "--as-of", "2025-12-31", "--report", "html", "-o", str(html_path), "-q"])
    assert r.exit_code == 0, r.stderr
    page = re.sub(
        r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html_path.read_text(encoding="utf-8")
    )
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", LAYOUT_PROBE + "</body>"), encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND"]  # fmt: skip
    dom = subprocess.run([browser, *flags, "--window-size=1280,1000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout  # fmt: skip
    found = re.search(r'<pre id="probe">(\{.*?\})</pre>', dom)
    assert found, dom[-500:]
    layout = json.loads(found.group(1).replace("&quot;", '"'))
    assert layout["overlaps"] == []
    assert layout["scroll"] <= layout["width"]
    assert layout["wide"] == []
    # A4: the print rules applied on screen at the printable width (210 mm - 2 x 12 mm = 703 px at 96 dpi)
    # must fit with no table wider than the page (on paper nothing scrolls), and Chromium's own print of
    # the report is A4 pages.
    rules = re.search(r"@media print\{(.*?\})\}", page, re.S)
    assert rules, "the report has no print rules"
    printed = tmp_path / "print.html"
    printed.write_text(probe.read_text(encoding="utf-8").replace("</head>", f"<style>{rules.group(1)}</style></head>"))
    dom = subprocess.run([browser, *flags, "--window-size=703,1000", "--dump-dom", printed.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout  # fmt: skip
    found = re.search(r'<pre id="probe">(\{.*?\})</pre>', dom)
    assert found, dom[-500:]
    a4 = json.loads(found.group(1).replace("&quot;", '"'))
    assert a4["width"] == 703 and a4["scroll"] <= a4["width"] and a4["wide"] == [] and a4["overlaps"] == [], a4
    pdf = tmp_path / "cx.pdf"
    subprocess.run([browser, *flags, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html_path.as_uri()],
                   capture_output=True, timeout=120)  # fmt: skip
    boxes = set(re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf.read_bytes()))
    assert boxes and all(abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in boxes), boxes
