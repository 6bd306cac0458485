"""The gateways' official Node SDKs as the contract layer's clients: each script here takes
one JSON command on stdin and answers one JSON object on stdout (`make deps` installs the
SDKs from package.json)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import allure
import pytest

SDK = Path(__file__).parent
NODE_MODULES = SDK.parents[2] / "node_modules"
#: The longest one SDK call may take (node starts in well under a second).
NODE_TIMEOUT_S = 30


def run_sdk(script: str, package: str, command: dict[str, Any]) -> dict[str, Any]:
    """Run `script` (in this folder) with `command`; its answer. Fails, never skips, when
    node or the SDK is missing: the suites promise these checks."""
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / package / "package.json").exists():
        pytest.fail(f"node and the {package} package are needed (make deps)")
    done = subprocess.run([node, str(SDK / script)], input=json.dumps(command),
                          capture_output=True, text=True, timeout=NODE_TIMEOUT_S, cwd=SDK,
                          check=False)
    allure.attach(f"{json.dumps(command, ensure_ascii=False, indent=1)}\n\n-> {done.stdout}"
                  f"\n\nstderr:\n{done.stderr[-4000:]}", name=f"{package} {command['op']}",
                  attachment_type=allure.attachment_type.TEXT)
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    assert "error" not in answer, answer.get("error", "")
    return answer
