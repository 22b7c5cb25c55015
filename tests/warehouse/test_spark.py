"""Apache Spark in local mode (pyspark with a Java 17 runtime): ``cxroi scores`` and ``cxroi economics``
on Parquet copies of the sample data give the numbers DuckDB gives, with the counts run by Spark SQL.
Few and small: one session for the module (a start costs seconds). ``CXROI_REQUIRE_SPARK=1`` (CI) turns a
missing pyspark or Java into a failure instead of a skip."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import run
from tests.warehouse.conftest import ROLES, config_with
from tests.warehouse.load import to_parquet


def _require() -> None:
    missing = [what for what, ok in (("pyspark", importlib.util.find_spec("pyspark") is not None),
                                     ("java", shutil.which("java") is not None)) if not ok]  # fmt: skip
    if missing:
        if os.environ.get("CXROI_REQUIRE_SPARK") == "1":
            pytest.fail(f"CXROI_REQUIRE_SPARK=1 but {' and '.join(missing)} missing")
        pytest.skip(f"{' and '.join(missing)} not installed")


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require()
    folder = tmp_path_factory.mktemp("spark")
    to_parquet(folder)
    inputs = {name: f"path: {table}.parquet" for name, table in ROLES.items()}
    (folder / "duckdb.yaml").write_text(config_with(inputs), encoding="utf-8")
    (folder / "spark.yaml").write_text(
        config_with(inputs, engine='  name: spark\n  master: "local[2]"\n'), encoding="utf-8"
    )
    return folder


@pytest.mark.parametrize(
    "args", [["scores", "--by", "Region", "--period", "month"], ["economics"]], ids=["scores", "economics"]
)
def test_spark_gives_the_numbers_of_duckdb(parquet: Path, args: list[str]) -> None:
    spark = run([args[0], "-c", str(parquet / "spark.yaml"), "--format", "csv", "-v", *args[1:]])
    duck = run([args[0], "-c", str(parquet / "duckdb.yaml"), "--format", "csv", *args[1:]])
    assert spark.exit_code == 0, spark.stderr
    assert spark.stdout == duck.stdout and spark.stdout.count("\n") > 20
    if args[0] == "scores":
        line = next(x for x in spark.stderr.splitlines() if x.startswith("engine:"))
        assert "counts pushed down to spark" in line and "GROUPING SETS" in line and "`Region`" in line
    # the JVM's own chatter (log4j, progress bars) never reaches stderr
    assert "WARN" not in spark.stderr and "Stage" not in spark.stderr and "log4j" not in spark.stderr


def test_a_missing_column_on_spark_is_one_error_line(parquet: Path) -> None:
    r = run(["scores", "-c", str(parquet / "spark.yaml"), "--nps", "NoSuchColumn"], ok=False)
    assert r.exit_code == 4 and r.stderr.startswith("Error: column 'NoSuchColumn' not found")
    missing = (parquet / "spark.yaml").read_text().replace("path: survey_responses.parquet", "path: nope.parquet")
    (parquet / "missing.yaml").write_text(missing)
    r = run(["scores", "-c", str(parquet / "missing.yaml")], ok=False)
    assert r.exit_code == 3 and r.stderr.count("Error:") == 1 and "Traceback" not in r.stderr
