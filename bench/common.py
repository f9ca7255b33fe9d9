"""Shared by the emulator benchmarks: one Folder job timed from POST to its end."""

from __future__ import annotations

import argparse
import time
from typing import Any

import requests

from devstack.azurite import container_sas_url
from devstack.processes import EMULATOR_KEY, EmulatorProcess

TERMINAL = ("Succeeded", "Failed", "ValidationFailed", "Cancelled")


def run_folder_job(
    emulator: EmulatorProcess,
    blob_url: str,
    source: str,
    target: str,
    languages: tuple[str, ...] = ("fr",),
    source_language: str = "en",
) -> tuple[float, dict[str, Any]]:
    """Seconds from POST to a terminal status for one Folder job, and that final status. The source language is
    given, so no run pays for loading the language detector (about 110 MB, once per process)."""
    api = f"http://127.0.0.1:{emulator.port}/translator/document/batches"
    headers = {"Ocp-Apim-Subscription-Key": EMULATOR_KEY}
    targets = [{"targetUrl": _folder_url(blob_url, target, language), "language": language} for language in languages]
    source_spec = {"sourceUrl": container_sas_url(blob_url, source, "rl"), "language": source_language}
    body = {"inputs": [{"source": source_spec, "targets": targets}]}
    started = time.perf_counter()
    response = requests.post(api, params={"api-version": "2024-05-01"}, json=body, headers=headers, timeout=120)
    response.raise_for_status()
    status_url = response.headers["Operation-Location"]
    while True:
        status = requests.get(status_url, headers=headers, timeout=30).json()
        if status["status"] in TERMINAL:
            return time.perf_counter() - started, status
        time.sleep(0.02)


def _folder_url(blob_url: str, container: str, folder: str) -> str:
    """A container SAS URL pointing at a folder inside it (outputs of each language in their own folder)."""
    url = container_sas_url(blob_url, container, "rwl")
    base, query = url.split("?", 1)
    return f"{base}/{folder}?{query}"


def documents_argument(module: str, description: str | None, default: int, argv: list[str] | None = None) -> int:
    """The optional N of `python -m bench.<module> [N]` (how many documents), with --help from the docstring."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument(
        "documents", nargs="?", type=int, default=default, help=f"documents per run (default {default})"
    )
    return parser.parse_args(argv).documents


def no_arguments(module: str, description: str | None, argv: list[str] | None = None) -> None:
    """`python -m bench.<module>` takes no arguments; --help prints the docstring."""
    argparse.ArgumentParser(prog=f"python -m {module}", description=description).parse_args(argv)
