"""Apache Spark as the engine (``engine: {name: spark, master: "local[*]"}``): the same count queries run
on Spark over Parquet, CSV or Delta paths or catalog tables (``table: db.responses``), and only their
results come back to the driver as Arrow.

A file input becomes a temporary view (``spark.read.parquet`` / ``csv`` with a header row / ``delta``);
a catalog table is used as it is. The counts are the SQLGlot query of ``cxroi.engine.sql_scores``
rendered in Spark SQL, so the metric, survival and report layers never know which engine produced them.
One session per process (``local[*]``, ``spark://host:7077``, or Spark Connect ``sc://host:15002``),
UTC session time zone, its own logging quiet (stderr carries cxroi's messages); stopped at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import tempfile
from typing import Any

import pyarrow as pa

from cxroi.errors import CxroiError, DataError, InputError
from cxroi.io.batches import ReadOptions

_SESSION: dict[str, Any] = {}  # master -> session
_LOG4J = """rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %m%n
"""


def session(settings: Any) -> Any:
    """The process's Spark session for ``settings.master``, started on first use."""
    if settings.master in _SESSION:
        return _SESSION[settings.master]
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise InputError(f"engine spark: pyspark is not installed ({exc})", "pip install pyspark") from exc
    master = settings.master
    fd, conf_name = tempfile.mkstemp(suffix=".properties", prefix="cxroi-log4j-")
    with os.fdopen(fd, "w") as conf:
        conf.write(_LOG4J)
    atexit.register(_remove, conf_name)
    builder = SparkSession.builder.appName("cxroi")
    if master.startswith("sc://"):
        builder = builder.remote(master)
    else:
        java = f"-Dlog4j2.configurationFile=file:{conf_name}"
        builder = (builder.master(master).config("spark.ui.enabled", "false")
                   .config("spark.driver.extraJavaOptions", java)
                   .config("spark.sql.shuffle.partitions", str(max(2, os.cpu_count() or 2))))  # fmt: skip
    builder = builder.config("spark.sql.session.timeZone", "UTC")
    for key, value in settings.spark_conf.items():
        builder = builder.config(key, value)
    builder = builder.config("spark.ui.showConsoleProgress", "false")
    # the JVM writes its own chatter (module warnings, log4j, progress) to the stderr it inherits: give it
    # a log file instead, so stderr carries cxroi's messages only
    log, log_name = tempfile.mkstemp(suffix=".log", prefix="cxroi-spark-")
    atexit.register(_remove, log_name)
    saved = os.dup(2)
    try:
        os.dup2(log, 2)
        spark = builder.getOrCreate()
    except Exception as exc:
        raise InputError(f"engine spark: cannot start a session on {master} ({_first(exc)})",
                         "check engine.master and that Java 17 is installed (java -version)") from exc  # fmt: skip
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(log)
    if not master.startswith("sc://"):
        spark.sparkContext.setLogLevel("ERROR")
    if not _SESSION:
        atexit.register(_stop)
    _SESSION[master] = spark
    return spark


def _stop() -> None:
    while _SESSION:
        with contextlib.suppress(Exception):  # the JVM is already gone at exit
            _SESSION.popitem()[1].stop()


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    text = re.sub(r"\s*(?:JVM stacktrace|SQLSTATE|== SQL).*", "", text, flags=re.S)
    text = " ".join(text.split())
    text = re.sub(r"^An error occurred while calling [\w.]+\. ?: [\w.$]+: ", "", text)  # py4j's wrapping
    text = re.sub(r"\s*at [\w.$]+\(.*", "", text)  # a Java stack trace
    return text[:300] or type(exc).__name__


def _csv_reader(reader: Any, paths: list[str], options: ReadOptions) -> Any:
    """Spark's CSV reader set as cxroi sniffs the (local) files: delimiter and encoding; an export with
    extra header rows (Qualtrics, SurveyMonkey) is refused, since Spark reads one header row only."""
    from cxroi.io.reader import TableSource

    reader = reader.option("header", "true").option("inferSchema", "false").option("multiLine", "true")
    reader = reader.option("quote", '"').option("escape", '"')
    local = [p for p in paths if os.path.isfile(p)]
    if not local:
        return reader
    sniffed = TableSource(local[0], options)
    if sniffed.kind != "csv":
        raise InputError(f"engine spark: {local[0]} is a {sniffed.kind} file",
                         "Spark reads Parquet, CSV and Delta paths; use engine duckdb for other files")  # fmt: skip
    sniffed.check_quotes()  # Spark would read the rows after an unclosed quote into its cell
    if sniffed.layout.header_rows != 1:
        raise InputError(
            f"engine spark: {local[0]} is a {sniffed.layout.kind} export with {sniffed.layout.header_rows} "
            "header rows, and Spark reads one",
            "read it with engine duckdb (the default), or store it as Parquet for Spark",
        )
    reader = reader.option("sep", sniffed.delimiter or ",")
    if sniffed.encoding and not sniffed.encoding.lower().startswith("utf-8"):
        reader = reader.option("encoding", sniffed.encoding)
    return reader


class SparkDatabase:
    """The ``Database`` interface of ``cxroi.io.connection`` on a Spark session."""

    dialect = "spark"

    def __init__(self, spark: Any, master: str) -> None:
        self.spark = spark
        self.display = f"spark {master}"

    def arrow(self, sql: str) -> pa.Table:
        try:
            return self.spark.sql(sql).toArrow()
        except Exception as exc:
            raise self.error(exc) from exc

    def reader(self, sql: str) -> pa.RecordBatchReader:
        table = self.arrow(sql)
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches())

    def error(self, exc: BaseException) -> CxroiError:
        text = _first(exc)
        if re.search(r"UNRESOLVED_COLUMN|cannot be resolved|Column .* does not exist", text):
            return DataError(f"{self.display}: {text}", "check the column names in the config (cxroi check)")
        if re.search(r"DATA_SOURCE_NOT_FOUND.*delta", text, re.I):
            return InputError(f"{self.display}: {text}", "Delta tables need the Delta Lake package in the session: "
                              "engine.spark_conf {spark.jars.packages: 'io.delta:delta-spark_2.13:VERSION', "
                              "spark.sql.extensions: io.delta.sql.DeltaSparkSessionExtension}")  # fmt: skip
        if re.search(r"TABLE_OR_VIEW_NOT_FOUND|PATH_NOT_FOUND|Path does not exist", text):
            return InputError(f"{self.display}: {text}", "check the table name or the path")
        return InputError(f"{self.display}: {text}", "check the Spark session, the table and the query")

    def close(self) -> None:
        """The session lives for the process (starting one costs seconds)."""


def spark_input(settings: Any, name: str, paths: list[str], table: str | None, query: str | None,
                options: ReadOptions) -> Any:  # fmt: skip
    """An input read by Spark: file paths as a temporary view, or a catalog table."""
    from cxroi.io.sql_source import SqlSource

    spark = session(settings)
    db = SparkDatabase(spark, settings.master)
    if table is None and query is None:
        if any(p == "-" for p in paths):
            raise InputError("engine spark: standard input cannot be read by Spark", "name a Parquet or CSV path")
        view = "cxroi_" + re.sub(r"\W", "_", name)
        # a cluster or a Spark Connect server has its own working folder: local paths go absolute,
        # URLs (s3a://, hdfs://, abfss://, file:) as written
        paths = [p if re.match(r"^[a-zA-Z][\w+.-]*:", p) else os.path.abspath(p) for p in paths]
        try:
            reader = spark.read
            if all(p.endswith(".parquet") or (os.path.isdir(p) and not os.path.isdir(os.path.join(p, "_delta_log")))
                   for p in paths):  # fmt: skip
                df = reader.parquet(*paths)
            elif all(os.path.isdir(os.path.join(p, "_delta_log")) for p in paths):
                df = reader.format("delta").load(*paths)
            else:
                reader = _csv_reader(reader, paths, options)
                df = reader.csv(list(paths))
            df.createOrReplaceTempView(view)
        except InputError:
            raise
        except Exception as exc:
            raise db.error(exc) from exc
        source = SqlSource(db, view, None, name, options)
        source.display = f"{db.display} ({', '.join(paths)})"
        return source
    return SqlSource(db, table, query, name, options)
