"""``make load``, short: 8 clients for 10 s against a real ``qa serve`` on 127.0.0.1 (with the writer when the
service has write endpoints). No failed /ask, and every answer verbatim from an article that existed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_short_load_has_no_failed_ask(tmp_path: Path) -> None:
    report_path = tmp_path / "load.json"
    command = [sys.executable, "-m", "eval.load", "--clients", "8", "--duration", "10", "--report", str(report_path)]
    command += ["--server-log", str(tmp_path / "server.log")]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    asks = report["asks"]
    assert asks["failures"] == 0 and asks["statuses"] == {"200": asks["requests"]}
    assert asks["requests"] >= 8 and asks["answered"] > 0  # the answers were there to be checked
    writes = report["writes"]
    assert writes["failures"] == 0
    assert writes["enabled"] or "no write endpoints" in writes["skipped"]
