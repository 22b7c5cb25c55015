"""``cxroi.preload``: modules imported in a background thread, a failed import left to the main thread."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cxroi.preload import preload


def test_modules_already_imported_start_no_thread() -> None:
    assert preload("json", "sys") is None


def test_a_module_is_imported_in_the_background(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cxroi_preload_probe.py").write_text("import threading\nTHREAD = threading.current_thread().name\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cxroi_preload_probe", raising=False)
    thread = preload("cxroi_preload_probe")
    assert thread is not None
    thread.join(timeout=30)
    import cxroi_preload_probe  # type: ignore[import-not-found]

    assert cxroi_preload_probe.THREAD == "cxroi-preload"  # run by the thread, found loaded by the main one
    monkeypatch.delitem(sys.modules, "cxroi_preload_probe")


def test_a_failed_import_is_raised_by_the_main_threads_own_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cxroi_preload_broken.py").write_text("raise ValueError('broken on purpose')\n")
    (tmp_path / "cxroi_preload_after.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    thread = preload("cxroi_preload_broken", "cxroi_preload_after")
    assert thread is not None
    thread.join(timeout=30)
    assert "cxroi_preload_broken" not in sys.modules  # Python removed the half-imported module
    assert "cxroi_preload_after" not in sys.modules  # the thread stopped at the first failure
    with pytest.raises(ValueError, match="broken on purpose"):
        import cxroi_preload_broken  # type: ignore[import-not-found]  # noqa: F401


def test_scores_loads_pandas_and_scipy_during_the_query_with_the_same_output(tmp_path: Path) -> None:
    """A CSAT + CES run: the preload thread imports pandas and SciPy, and the CSV is the same as with
    both imported up front (the run in a fresh process, so nothing is loaded before). The query waits for
    the thread here, so which thread imports each module is not left to a race."""
    data = tmp_path / "s.csv"
    data.write_text("region,csat,ces\nEU,5,7\nEU,4,6\nUS,2,1\nUS,5,5\nUS,3,4\n")
    script = textwrap.dedent(
        f"""
        import sys, threading
        importer = {{}}
        class Finder:
            def find_spec(self, name, path=None, target=None):
                if name in ("pandas", "scipy.special"):
                    importer.setdefault(name, threading.current_thread().name)
                return None
        sys.meta_path.insert(0, Finder())
        if sys.argv[1] == "up-front":
            import pandas, scipy.special
        from typer.testing import CliRunner
        from cxroi.cli import app
        from cxroi.engine.duckdb_scores import DuckScores
        reduce = DuckScores.reduce
        def waiting(self, *args):
            for thread in threading.enumerate():
                if thread.name == "cxroi-preload":
                    thread.join()
            return reduce(self, *args)
        DuckScores.reduce = waiting
        result = CliRunner().invoke(app, ["scores", {str(data)!r}, "--csat", "csat", "--ces", "ces",
                                          "--by", "region", "--format", "csv"])
        assert result.exit_code == 0, result.output
        print(importer.get("pandas"), importer.get("scipy.special"))
        print(result.stdout, end="")
        """
    )
    runs = [
        subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True, check=True).stdout
        for mode in ("up-front", "lazy")
    ]
    up_front, lazy = (r.split("\n", 1) for r in runs)
    assert up_front[0] == "MainThread MainThread"  # nothing to preload: both imported before the run
    assert lazy[0] == "cxroi-preload cxroi-preload"
    assert lazy[1] == up_front[1] and "EU" in lazy[1]
