"""A thin REST caller for the emulator in tests (never the app's own client: it must not be tested with itself)."""

from __future__ import annotations

import time
from typing import Any

import requests

from tests.support.emulator import RunningEmulator

TERMINAL = {"Succeeded", "Failed", "Cancelled", "ValidationFailed"}


class TranslatorApi:
    def __init__(self, emulator: RunningEmulator, api_version: str = "2024-05-01") -> None:
        self.emulator = emulator
        self.api_version = api_version
        self.session = requests.Session()

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", None)
        headers = self.emulator.headers() if headers is None else headers
        query = {"api-version": self.api_version, **(params or {})}
        return self.session.request(
            method, f"{self.emulator.api}{path}", params=query, headers=headers, timeout=30, **kwargs
        )

    def start(self, body: dict[str, Any]) -> str:
        response = self.call("POST", "/document/batches", json=body)
        assert response.status_code == 202, response.text
        return response.headers["Operation-Location"].split("/batches/")[1].split("?")[0]

    def status(self, job_id: str) -> dict[str, Any]:
        response = self.call("GET", f"/document/batches/{job_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def wait(self, job_id: str, *, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            status = self.status(job_id)
            if status["status"] in TERMINAL:
                return status
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {status['status']} after {timeout} s")
            time.sleep(0.05)

    def follow_pages(self, path: str, params: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], int]:
        """Every item across pages, following @nextLink as a client must; returns (items, pages)."""
        response = self.call("GET", path, params=params)
        pages = 1
        assert response.status_code == 200, response.text
        body = response.json()
        items = list(body["value"])
        while body.get("@nextLink"):
            response = self.session.get(body["@nextLink"], headers=self.emulator.headers(), timeout=30)
            assert response.status_code == 200, response.text
            body = response.json()
            items.extend(body["value"])
            pages += 1
        return items, pages

    def documents(self, job_id: str) -> list[dict[str, Any]]:
        return self.follow_pages(f"/document/batches/{job_id}/documents")[0]


def file_input(source_url: str, targets: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    return {
        "source": {"sourceUrl": source_url},
        "targets": [{"targetUrl": url, "language": language} for url, language in targets],
        "storageType": "File",
        **extra,
    }


def folder_input(source_url: str, targets: list[tuple[str, str]], **source_extra: Any) -> dict[str, Any]:
    return {
        "source": {"sourceUrl": source_url, **source_extra},
        "targets": [{"targetUrl": url, "language": language} for url, language in targets],
    }
