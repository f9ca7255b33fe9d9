"""The benchmarks' command lines: --help prints the docstring and runs nothing; a bad N is a usage error."""

from __future__ import annotations

import subprocess
import sys

import pytest

from devstack.azurite import REPO_ROOT


def bench(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *arguments], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("module", ["bench.emulator_throughput", "bench.emulator_formats", "bench.emulator_memory"])
def test_help_describes_the_benchmark_and_runs_nothing(module: str):
    result = bench(module, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: python -m {module}")
    assert "Azurite" not in result.stderr


def test_a_count_that_is_not_a_number_is_a_usage_error():
    result = bench("bench.emulator_formats", "many")
    assert result.returncode == 2
    assert "invalid int value: 'many'" in result.stderr
