"""Apache Spark in local mode (pyspark with a Java 17 runtime): ``cxroi scores`` and ``cxroi economics``
on Parquet copies of the sample data give the numbers DuckDB gives, with the counts run by Spark SQL.
Few and small: one session for the module (a start costs seconds). ``CXROI_REQUIRE_SPARK=1`` (CI) turns a
missing pyspark or Java into a failure instead of a skip."""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
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


@pytest.fixture(scope="module")
def connect_server(parquet: Path) -> Iterator[str]:
    """A Spark Connect server (pyspark's own ``start-connect-server.sh``, local[2]) on a free port."""
    import socket
    import subprocess
    import sys
    import time

    if importlib.util.find_spec("grpc") is None:
        if os.environ.get("CXROI_REQUIRE_SPARK") == "1":
            pytest.fail("CXROI_REQUIRE_SPARK=1 but pyspark[connect]'s grpcio is missing")
        pytest.skip("pyspark[connect] not installed")
    import pyspark

    home = Path(pyspark.__file__).parent
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    logs = parquet / "connect-logs"
    logs.mkdir()
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOG_DIR": str(logs), "SPARK_PID_DIR": str(logs),
           "SPARK_IDENT_STRING": f"cxroi{port}", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}  # fmt: skip
    subprocess.run(["bash", str(home / "sbin" / "start-connect-server.sh"), "--master", "local[2]",
                    "--conf", f"spark.connect.grpc.binding.port={port}"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any("Spark Connect server started" in p.read_text(errors="replace") for p in logs.glob("*.out")):
                break
            time.sleep(0.5)
        else:
            pytest.fail("the Spark Connect server did not start: " + " ".join(p.read_text() for p in logs.glob("*.out")))
        yield f"sc://127.0.0.1:{port}"
    finally:
        subprocess.run(["bash", str(home / "sbin" / "stop-connect-server.sh")], env=env, capture_output=True)


def test_spark_connect_gives_the_numbers_of_duckdb(parquet: Path, connect_server: str) -> None:
    """The same config against a Spark Connect URL (sc://): the counts run on the server. Its own process,
    as a user runs it (pyspark allows no remote session beside the local one the other tests started)."""
    import subprocess
    import sys

    text = (parquet / "spark.yaml").read_text().replace('master: "local[2]"', f'master: "{connect_server}"')
    (parquet / "connect.yaml").write_text(text)
    # a catalog table on the server: created by another client, named by cxroi as table: (no path)
    create = (f"from pyspark.sql import SparkSession; s = SparkSession.builder.remote('{connect_server}')"
              f".getOrCreate(); s.sql(\"CREATE TABLE IF NOT EXISTS cx_survey USING parquet LOCATION "
              f"'{parquet / 'survey_responses.parquet'}'\")")  # fmt: skip
    subprocess.run([sys.executable, "-c", create], check=True, capture_output=True)
    (parquet / "catalog.yaml").write_text(text.replace("path: survey_responses.parquet", "table: cx_survey"))
    catalog = subprocess.run([sys.executable, "-m", "cxroi", "scores", "-c", str(parquet / "catalog.yaml"),
                              "--format", "csv", "--by", "Plan"], capture_output=True, text=True)  # fmt: skip
    assert catalog.returncode == 0, catalog.stderr
    assert catalog.stdout == run(["scores", "-c", str(parquet / "duckdb.yaml"), "--format", "csv", "--by", "Plan"]).stdout
    for args in (["scores", "--by", "Plan"], ["economics"]):
        remote = subprocess.run([sys.executable, "-m", "cxroi", args[0], "-c", str(parquet / "connect.yaml"),
                                 "--format", "csv", "-v", *args[1:]], capture_output=True, text=True)  # fmt: skip
        duck = run([args[0], "-c", str(parquet / "duckdb.yaml"), "--format", "csv", *args[1:]])
        assert remote.returncode == 0, remote.stderr
        assert remote.stdout == duck.stdout
        if args[0] == "scores":
            assert f"engine: spark {connect_server} (" in remote.stderr and "GROUPING SETS" in remote.stderr


def test_spark_reads_plain_csv_and_refuses_extra_header_rows(parquet: Path) -> None:
    """CRM CSV exports (one header row, UTF-8 accents) read by Spark give DuckDB's economics; a Qualtrics
    export (three header rows) is refused with a hint rather than read with two rows of garbage."""
    from tests.conftest import ROOT

    text = (parquet / "spark.yaml").read_text()
    for name in ("customers", "transactions"):
        text = text.replace(f"path: {name}.parquet", f"path: {ROOT / 'sample_data' / (name + '.csv')}")
    (parquet / "csv.yaml").write_text(text)
    spark = run(["economics", "-c", str(parquet / "csv.yaml"), "--format", "csv"])
    duck = run(["economics", "-c", str(parquet / "duckdb.yaml"), "--format", "csv"])
    assert spark.exit_code == 0, spark.stderr
    assert spark.stdout == duck.stdout
    qualtrics = text.replace("path: survey_responses.parquet", f"path: {ROOT / 'sample_data' / 'survey_qualtrics.csv'}")
    (parquet / "qualtrics.yaml").write_text(qualtrics)
    r = run(["scores", "-c", str(parquet / "qualtrics.yaml")], ok=False)
    assert r.exit_code == 3 and "qualtrics export with 3 header rows, and Spark reads one" in r.stderr


def test_a_standalone_cluster_gives_the_numbers_of_duckdb(parquet: Path) -> None:
    """``master: spark://host:port``: a standalone master and one worker (pyspark's own ``spark-class``),
    the counts run on the worker's executor; cxroi in its own process, as a user runs it."""
    import socket
    import subprocess
    import sys
    import time

    import pyspark

    home = Path(pyspark.__file__).parent
    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    env = {**os.environ, "SPARK_HOME": str(home), "PYSPARK_PYTHON": sys.executable}
    spark_class = ["bash", str(home / "bin" / "spark-class")]
    logs = parquet / f"cluster-{ports[0]}.log"
    with open(logs, "w") as log:
        master = subprocess.Popen([*spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                                   "--port", str(ports[0]), "--webui-port", str(ports[1])],
                                  env=env, stdout=log, stderr=log)  # fmt: skip
        worker = None
        try:
            url = f"spark://127.0.0.1:{ports[0]}"
            worker = subprocess.Popen([*spark_class, "org.apache.spark.deploy.worker.Worker", url, "--cores", "1",
                                       "--memory", "1g", "--webui-port", "0"], env=env, stdout=log, stderr=log)  # fmt: skip
            deadline = time.monotonic() + 120
            while "Registering worker" not in logs.read_text(errors="replace"):
                assert time.monotonic() < deadline, logs.read_text()
                time.sleep(0.5)
            text = (parquet / "spark.yaml").read_text().replace('master: "local[2]"', f'master: "{url}"')
            (parquet / "cluster.yaml").write_text(text)
            r = subprocess.run([sys.executable, "-m", "cxroi", "scores", "-c", str(parquet / "cluster.yaml"),
                                "--format", "csv", "--by", "Plan"], capture_output=True, text=True, env=env)  # fmt: skip
            assert r.returncode == 0, r.stderr
            duck = run(["scores", "-c", str(parquet / "duckdb.yaml"), "--format", "csv", "--by", "Plan"])
            assert r.stdout == duck.stdout
        finally:
            for p in (worker, master):
                if p is not None:
                    p.terminate()
                    p.wait(timeout=30)
