"""A throwaway PostgreSQL server for the tests: the Debian ``postgresql`` package's ``initdb`` into a temp
folder and ``pg_ctl`` on a free port (as the unprivileged ``nobody`` when the tests run as root), password
authentication (scram-sha-256), stopped and removed at the end of the session.

Without the server binaries the tests that need it are skipped, unless ``CXROI_REQUIRE_POSTGRES=1`` (CI),
which turns the skip into a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

USER = "cx"
PASSWORD = "s3cret-Pa55"  # a test server on 127.0.0.1 only; the tests check it never appears in output


@dataclass
class Server:
    host: str
    port: int
    folder: Path

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@{self.host}:{self.port}/{database}"


def _bindir() -> Path | None:
    for cand in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(cand, "initdb")):
            return Path(cand)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "nobody", "--", *cmd]


def start() -> Iterator[Server]:
    """Start a server (a generator: the server, then stopped and removed when closed). Without the
    binaries: ``pytest.skip`` (``pytest.fail`` with ``CXROI_REQUIRE_POSTGRES=1``) under pytest, else
    ``RuntimeError``."""
    bindir = _bindir()
    if bindir is None:
        if "pytest" not in sys.modules:
            raise RuntimeError("no PostgreSQL server binaries (apt-get install postgresql)")
        import pytest

        if os.environ.get("CXROI_REQUIRE_POSTGRES") == "1":
            pytest.fail("CXROI_REQUIRE_POSTGRES=1 but no PostgreSQL server binaries (apt-get install postgresql)")
        pytest.skip("PostgreSQL server binaries not installed (Debian package postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="cxroi-pg-"))
    os.chmod(folder, 0o755)
    data = folder / "data"
    pwfile = folder / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(folder, "nobody")
        shutil.chown(pwfile, "nobody")
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    subprocess.run(_as_user([str(bindir / "initdb"), "-D", str(data), "-U", USER, "--auth=scram-sha-256",
                             f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8"]),
                   check=True, capture_output=True, env=env)  # fmt: skip
    port = _free_port()
    opts = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run(_as_user([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(folder / "log"),
                             "-w", "start"]), check=True, capture_output=True, env=env)  # fmt: skip
    try:
        yield Server("127.0.0.1", port, folder)
    finally:
        subprocess.run(_as_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True, env=env)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)
