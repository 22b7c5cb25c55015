"""Fuzzing the readers (issue 12): mutated exports — random bytes, cut files, stray quotes, NULs, BOMs,
other delimiters and line ends — give an answer or one clear error with a documented exit code, never an
internal error (exit 1) or a traceback, on both readers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import run

SEED = (
    "StartDate,ResponseId,Region,NPS,CSAT,Comment\n"
    '2025-01-03 10:00:00,R_1,EMEA,9,5,"Great, fast"\n'
    "2025-01-04 11:30:00,R_2,APAC,3,2,slow\n"
    '2025-02-10 09:15:00,R_3,EMEA,10,4,"said ""wow"""\n'
    "2025-02-11 16:45:00,R_4,LATAM,7,3,\n"
    "2025-03-01 08:00:00,R_5,APAC,0,1,Çok kötü\n"
).encode()

mutation = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, len(SEED)), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), st.integers(0, len(SEED)), st.integers(1, 20)),
    st.tuples(st.just("cut"), st.integers(0, len(SEED)), st.just(b"")),
    st.tuples(st.just("replace"), st.sampled_from([b",", b"\n", b'"', b"9", b"-"]),
              st.sampled_from([b";", b"\r", b"\r\n", b'""', b"\x00", b"\t", b"", b"\xff", b"NaN", b"1e9"])),
    st.tuples(st.just("prefix"), st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"sep=,\n", b"\n\n"]),
              st.just(b"")),
)  # fmt: skip


def mutate(data: bytes, steps: list[tuple[str, object, object]]) -> bytes:
    for kind, a, b in steps:
        if kind == "insert":
            data = data[: int(a)] + bytes(b) + data[int(a) :]  # type: ignore[arg-type, call-overload]
        elif kind == "delete":
            data = data[: int(a)] + data[int(a) + int(b) :]  # type: ignore[call-overload]
        elif kind == "cut":
            data = data[: int(a)]  # type: ignore[call-overload]
        elif kind == "replace":
            data = data.replace(bytes(a), bytes(b), 1)  # type: ignore[call-overload]
        else:
            data = bytes(a) + data  # type: ignore[call-overload]
    return data


@pytest.mark.parametrize("engine", ["duckdb", "reader"])
@settings(
    max_examples=int(os.environ.get("CXROI_FUZZ", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_exports_never_crash(
    engine: str, steps: list[tuple[str, object, object]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXROI_ENGINE", engine)
    f = tmp_path / "fuzz.csv"
    f.write_bytes(mutate(SEED, steps))
    r = run(["scores", str(f), "--nps", "NPS", "--csat", "CSAT", "--date", "StartDate", "--period", "month",
             "--by", "Region", "--format", "json"], ok=False)  # fmt: skip
    assert r.exit_code in (0, 2, 3, 4), (r.exit_code, r.output, f.read_bytes())
    assert "Traceback" not in r.output
    if r.exit_code:
        lines = [ln for ln in r.stderr.splitlines() if ln.startswith("Error: ")]
        assert len(lines) == 1, r.stderr
