"""The command line as another program uses it: stdout carries JSON Lines and nothing else."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_ingest_prints_only_json_lines_even_when_approvers_are_mailed(tmp_path):
    # A fresh SQLite database in tmp_path, whatever database CI selected.
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    env["LEDGERLINE_VAR_DIR"] = str(tmp_path)

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
            text=True, check=True, timeout=600,
        )  # fmt: skip

    manage("migrate", "--verbosity", "0")
    manage("seed_demo")
    out = manage("ingest", "--sync", str(tmp_path / "demo" / "inbox")).stdout

    lines = [json.loads(line) for line in out.splitlines()]  # every line is JSON
    assert len(lines) == 12
    assert {line["status"] for line in lines} >= {"posted", "pending_approval", "needs_review"}
    mails = list((tmp_path / "mail").glob("*.log"))
    assert mails  # the approvers' emails went to files, not to stdout
    assert "/decide/" in mails[0].read_text()
