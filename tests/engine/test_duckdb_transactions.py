"""Transactions linked and summed by DuckDB (``cxroi.pipeline.activity_duck``): hand-computed figures and
warnings, the reader as the oracle on every variant (same stdout and stderr, byte for byte), and the
variants the reader must read (``-v`` says which path served each file)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxroi.config import Config
from cxroi.io import ReadOptions
from tests.conftest import run

CUSTOMERS = (
    "Customer ID,Signup Date,Churn Date,Plan\n"
    "A,2024-01-01,,Basic\n"
    "B,2024-01-01,,Pro\n"
    "C,2024-02-01,2025-12-31,Pro\n"
)
HEADER = "Invoice ID,Customer ID,Invoice Date,Amount\n"
# spreadsheet rows 2..14; the as-of day is 2025-06-30
ROWS = [
    "INV1,A,2025-01-10,100.00",  # Q1 Basic
    "INV2,B,2025-01-20,250.50",  # Q1 Pro
    "INV3,X,2025-01-21,10",  # row 4: unknown customer
    "INV4,X,2025-02-01,10",  # row 5: unknown again (the same id)
    "INV5,,2025-02-02,5",  # row 6: no customer id
    "INV6,B,not a date,7",  # row 7: no readable date
    "INV7,C,2025-02-15,-20.25",  # Q1 Pro refund
    "INV8,A,2025-04-02,50",  # Q2 Basic
    "INV9,Y,2025-04-03,1",  # row 10: unknown customer
    "INV10,A,2025-07-01,30",  # after the as-of day: not counted yet
    "INV11,B,2025-05-05,",  # blank amount: left out, as the reader leaves it
    "INV12, B ,2025-05-06,12.345",  # Q2 Pro, the id trimmed
    "INV13,Z,2025-08-01,3",  # unknown and later: counted as later, as the reader counts it
]


def _write(tmp_path: Path, rows: list[str], header: str = HEADER, end: str = "\n") -> tuple[Path, Path]:
    customers = tmp_path / "customers.csv"
    customers.write_text(CUSTOMERS, encoding="utf-8")
    tx = tmp_path / "tx.csv"
    tx.write_bytes((header.replace("\n", end) + end.join(rows) + end).encode("utf-8"))
    return customers, tx


def _economics(
    customers: Path, tx: Path, engine: str, monkeypatch: pytest.MonkeyPatch, *extra: str
) -> tuple[str, str]:
    monkeypatch.setenv("CXROI_ENGINE", engine)
    args = ["economics", str(customers), "--transactions", str(tx), "--by", "Plan", "--as-of", "2025-06-30"]
    r = run([*args, "-f", "json", *extra])
    assert r.exit_code == 0, r.stderr
    return r.stdout, r.stderr


def _served_by(customers: Path, tx: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    _out, err = _economics(customers, tx, "duckdb", monkeypatch, "-v")
    line = next(x for x in err.splitlines() if x.startswith(f"engine: {tx}"))
    return "duckdb" if "linked and summed by DuckDB" in line else "reader"


def test_hand_computed_figures_and_warnings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    customers, tx = _write(tmp_path, ROWS)
    assert _served_by(customers, tx, monkeypatch) == "duckdb"
    out, err = _economics(customers, tx, "duckdb", monkeypatch)
    got = {(r["period"], r["Plan"]): r for r in json.loads(out)}
    assert got["2025-Q1", "Basic"]["revenue"] == 100.0
    assert got["2025-Q1", "Pro"]["revenue"] == 230.25  # 250.50 - 20.25, exact
    assert got["2025-Q2", "Basic"]["revenue"] == 50.0
    assert got["2025-Q2", "Pro"]["revenue"] == 12.345
    assert got["2025-Q1", "Pro"]["transactions"] == 1  # sales: the refund is not one
    assert got["2025-Q1", "Basic"]["transactions"] == 1
    assert (
        f"{tx}: 3 transactions for customers not in the customer file; left out (rows 4, 5, 10; e.g. 'X', 'Y')"
        in err
    )
    assert f"{tx}: 1 transaction without a customer id; left out" in err
    assert f"{tx}: 1 transaction without a readable date; left out (row 7)" in err
    assert f"{tx}: 2 transactions dated after 2025-06-30; not counted yet" in err
    assert (out, err) == _economics(customers, tx, "reader", monkeypatch)


def test_the_first_three_distinct_unknown_ids_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [f"I{i},{cid},2025-01-1{i},1" for i, cid in enumerate(["Q", "Q", "Q", "R", "A", "S", "T"])]
    customers, tx = _write(tmp_path, rows)
    assert _served_by(customers, tx, monkeypatch) == "duckdb"
    out, err = _economics(customers, tx, "duckdb", monkeypatch)
    assert "6 transactions for customers not in the customer file; left out (rows 2, 3, 4, 5, 7, ...; " \
        "e.g. 'Q', 'R', 'S')" in err  # fmt: skip
    assert (out, err) == _economics(customers, tx, "reader", monkeypatch)


# variants DuckDB reads itself, each against the reader
SERVED = {
    "footer rows": ([*ROWS, "Grand Totals,,,", "Confidential Information,,,"], "\n"),
    "blank lines at the end": ([*ROWS, "", ""], "\n"),
    "CRLF line ends": (ROWS, "\r\n"),
    "quoted cells with delimiters and line breaks": (
        ['"INV,1",A,2025-01-10,"100.00"', '"multi\nline",B,2025-01-20,250.5', '"say ""hi""",C,2025-03-01,1'],
        "\n",
    ),
    "timestamps": (
        ["INV1,A,2025-01-10 13:45:00,100", "INV2,B,2025-06-30 23:59:59,2", "INV3,B,2025-07-01 00:00:00,3"],
        "\n",
    ),
    "US dates": (["INV1,A,01/10/2025,100", "INV2,B,03/31/2025,2", "INV3,C,12/01/2024,4"], "\n"),
    # DuckDB's trim takes the Unicode space separators off (a subset of what the reader's trim takes off)
    "spaces around ids": (
        ["INV1,  A  ,2025-01-10,100", "INV2,B\u00a0,2025-01-20,2", "INV3,\u3000C,2025-01-21,1"],
        "\n",
    ),
    "pre-1900 placeholder dates": (["INV1,A,1899-12-31,100", "INV2,B,2025-01-20,2"], "\n"),
    "large plain amounts": (
        ["INV1,A,2025-01-10,99999999999.9999", "INV2,B,2025-01-20,0.00005", "INV3,B,2025-01-21,-0.00015"],
        "\n",
    ),
}


@pytest.mark.parametrize("name", sorted(SERVED))
def test_duckdb_gives_what_the_reader_gives(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows, end = SERVED[name]
    customers, tx = _write(tmp_path, rows, end=end)
    assert _served_by(customers, tx, monkeypatch) == "duckdb"
    assert _economics(customers, tx, "duckdb", monkeypatch) == _economics(
        customers, tx, "reader", monkeypatch
    )


# variants where a value might read otherwise: the reader reads the file
READER = {
    "thousands separators": ['INV1,A,2025-01-10,"1,250.00"', "INV2,B,2025-01-20,2"],
    "currency symbols": ["INV1,A,2025-01-10,$12.00", "INV2,B,2025-01-20,2"],
    "parentheses for refunds": ["INV1,A,2025-01-10,(12.00)", "INV2,B,2025-01-20,2"],
    "an exponent": ["INV1,A,2025-01-10,1e3", "INV2,B,2025-01-20,2"],
    "amounts of 10^11 and more": ["INV1,A,2025-01-10,100000000000", "INV2,B,2025-01-20,2"],
    "a tab after an id": ["INV1,A\t,2025-01-10,1", "INV2,B,2025-01-20,2"],
    "a tab as the id": ["INV1,\t,2025-01-10,1", "INV2,B,2025-01-20,2"],
    "a row with too many fields": ["INV1,A,2025-01-10,1,extra", "INV2,B,2025-01-20,2"],
    "a row with too few fields": ["INV1,A,2025-01-10", "INV2,B,2025-01-20,2"],
}


@pytest.mark.parametrize("name", sorted(READER))
def test_the_reader_reads_what_might_read_otherwise(name: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    customers, tx = _write(tmp_path, READER[name])
    assert _served_by(customers, tx, monkeypatch) == "reader"
    assert _economics(customers, tx, "duckdb", monkeypatch) == _economics(
        customers, tx, "reader", monkeypatch
    )


def test_parquet_transactions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    customers, _tx = _write(tmp_path, ROWS)
    tx = tmp_path / "tx.parquet"
    table = pa.table({
        "Invoice ID": ["I1", "I2", "I3", "I4", "I5"],
        "Customer ID": ["A", "B", "X", None, "C"],
        "Invoice Date": pa.array([date(2025, 1, 10), date(2025, 2, 1), date(2025, 2, 2), date(2025, 3, 1), None]),
        "Amount": [100.0, 12.5, 3.0, 4.0, 5.0],
    })  # fmt: skip
    pq.write_table(table, tx)
    assert _served_by(customers, tx, monkeypatch) == "duckdb"
    out, err = _economics(customers, tx, "duckdb", monkeypatch)
    got = {(r["period"], r["Plan"]): r for r in json.loads(out)}
    assert got["2025-Q1", "Basic"]["revenue"] == 100.0 and got["2025-Q1", "Pro"]["revenue"] == 12.5
    assert "1 transaction for customers not in the customer file; left out (row 3; e.g. 'X')" in err
    assert "1 transaction without a readable date; left out (row 5)" in err  # Parquet rows count from 1
    assert (out, err) == _economics(customers, tx, "reader", monkeypatch)


def test_money_per_customer_in_windows_as_the_reader_sums_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from cxroi.pipeline import crm

    customers, tx = _write(tmp_path, ROWS)
    got = {}
    for engine in ("duckdb", "reader"):
        monkeypatch.setenv("CXROI_ENGINE", engine)
        request = crm.build_crm_request(Config(), ReadOptions(), customers=[str(customers)], transactions=[str(tx)],
                                        by=["Plan"], need=("customers", "transactions"))  # fmt: skip
        window = (crm.day_number(date(2025, 1, 15)), crm.day_number(date(2025, 5, 6)))
        request = replace(request, windows=(window,), as_of=date(2025, 6, 30))
        data = crm.load(request)
        assert data.transactions is not None and data.transactions.per_customer is not None
        pc = data.transactions.per_customer
        got[engine] = (pc.money().tolist(), pc.money(0).tolist(), pc.last.tolist())
        assert any("linked and summed by DuckDB" in p for p in request.paths) == (engine == "duckdb")
    # A: 100 + 50 (the 2025-07-01 row is later); B: 250.50 + 12.345; C: -20.25; in [01-15, 05-06): B 250.50, C
    # -20.25, A 50
    assert got["duckdb"][0] == [150.0, 262.845, -20.25]
    assert got["duckdb"][1] == [50.0, 250.5, -20.25]
    assert got["duckdb"] == got["reader"]


def test_contracts_linked_and_summed_by_duckdb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    customers, _tx = _write(tmp_path, ROWS)
    contracts = tmp_path / "contracts.csv"
    contracts.write_text(
        "Contract ID,Customer ID,Signed Date,Value\n"
        "K1,A,2025-01-05,1200.50\nK2,B,2025-02-01,300\nK3,X,2025-02-02,5\nK4,B,,7\nK5,C,2025-05-01,99.5\n"
        "K6,A,2025-08-01,1\n",
        encoding="utf-8",
    )
    args = [
        "economics",
        str(customers),
        "--contracts",
        str(contracts),
        "--by",
        "Plan",
        "--as-of",
        "2025-06-30",
    ]
    out: dict[str, tuple[str, str]] = {}
    for engine in ("duckdb", "reader"):
        monkeypatch.setenv("CXROI_ENGINE", engine)
        r = run([*args, "-f", "json"])
        assert r.exit_code == 0, r.stderr
        out[engine] = (r.stdout, r.stderr)
        verbose = run([*args, "-f", "json", "-v"]).stderr
        assert ("linked and summed by DuckDB" in verbose) == (engine == "duckdb"), verbose
    assert out["duckdb"] == out["reader"]
    got = {(r["period"], r["Plan"]): r for r in json.loads(out["duckdb"][0])}
    assert got["2025-Q1", "Basic"]["contract_value"] == 1200.5
    assert got["2025-Q1", "Pro"]["contract_value"] == 300.0
    assert got["2025-Q2", "Pro"]["contract_value"] == 99.5
    err = out["duckdb"][1]
    assert "1 contract for customers not in the customer file; left out (row 4; e.g. 'X')" in err
    assert "1 contract without a readable date; left out (row 5)" in err
    assert "1 contract dated after 2025-06-30; not counted yet" in err


def test_run_verbose_says_how_each_crm_input_was_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)
    r = run(["run", "-c", "configs/default.yaml", "-v", "--no-cache", "-f", "json", "-q"])
    assert r.exit_code == 0, r.stderr
    lines = [x for x in r.stderr.splitlines() if x.startswith("engine: ")]
    assert any("transactions.csv: linked and summed by DuckDB" in x for x in lines), lines
    assert any("contracts.csv: linked and summed by DuckDB" in x for x in lines), lines
    assert len(lines) == len(set(lines))
