"""The emulator as users start it: `python -m devstack.emulator`, configured by flags and environment variables."""

from __future__ import annotations

import os
import subprocess
import sys

import requests

from devstack.azurite import REPO_ROOT, free_port, wait_for_port


def test_module_entry_point_serves_the_api_with_settings_from_the_environment():
    port = free_port()
    environment = {**os.environ, "EMULATOR_KEY": "env-key", "EMULATOR_PORT": str(port), "EMULATOR_WORKERS": "2"}
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.emulator"],
        cwd=REPO_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
        base = f"http://127.0.0.1:{port}"
        assert requests.get(f"{base}/emulator/health", timeout=5).json() == {"status": "ok"}
        ok = requests.get(
            f"{base}/translator/document/formats",
            params={"api-version": "2026-03-01"},
            headers={"Ocp-Apim-Subscription-Key": "env-key"},
            timeout=5,
        )
        assert ok.status_code == 200
        assert requests.get(f"{base}/emulator/stats", timeout=5).json()["workers"] == 2
    finally:
        process.terminate()
        output = process.communicate(timeout=15)[0].decode()
    assert f"http://127.0.0.1:{port}/translator" in output


def test_missing_key_is_a_clear_usage_error():
    result = subprocess.run(
        [sys.executable, "-m", "devstack.emulator", "--port", "1"],
        cwd=REPO_ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("EMULATOR_")},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "a subscription key is required (--key or EMULATOR_KEY)" in result.stderr
