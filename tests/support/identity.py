"""Identity-only storage for tests: Azurite with OAuth over HTTPS (a throwaway CA made with trustme), and a token
credential standing in for Microsoft Entra ID (which cannot run here), issuing unsigned JWTs for the right audience."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import trustme
from azure.core.credentials import AccessToken

from devstack.azurite import ACCOUNT_NAME, azurite_executable, free_port, stop_azurite, wait_for_port

TENANT = "00000000-0000-0000-0000-0000000000aa"


def _segment(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@dataclass
class TestTokenCredential:
    """A TokenCredential: counts requests per audience; tokens are unsigned JWTs (Azurite's basic OAuth and the
    emulator check audience and issuer, not signatures)."""

    __test__ = False
    requests: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get_token(self, *scopes: str, **_: object) -> AccessToken:
        audience = scopes[0].removesuffix("/.default")
        with self._lock:
            self.requests[audience] = self.requests.get(audience, 0) + 1
        now = int(time.time())
        claims = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{TENANT}/",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "oid": "test-identity",
            "tid": TENANT,
        }
        return AccessToken(f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(claims)}.", now + 3600)


@dataclass(frozen=True)
class OAuthAzurite:
    blob_url: str
    queue_url: str
    table_url: str
    ca_bundle: Path


@contextmanager
def oauth_azurite() -> Iterator[OAuthAzurite]:
    """Azurite with `--oauth basic` over HTTPS; REQUESTS_CA_BUNDLE trusts its CA for the life of the context."""
    with tempfile.TemporaryDirectory(prefix="azurite-oauth-") as folder:
        directory = Path(folder)
        authority = trustme.CA()
        server = authority.issue_cert("127.0.0.1", "localhost")
        server.private_key_pem.write_to_path(directory / "key.pem")
        server.cert_chain_pems[0].write_to_path(directory / "cert.pem")
        authority.cert_pem.write_to_path(directory / "ca.pem")
        blob, queue, table = free_port(), free_port(), free_port()
        process = subprocess.Popen(
            [
                azurite_executable(),
                "--silent",
                "--inMemoryPersistence",
                "--skipApiVersionCheck",
                "--disableTelemetry",  # Azurite phones home by default; offline, it then takes 20 s to exit
                "--disableProductStyleUrl",
                "--oauth",
                "basic",
                "--cert",
                str(directory / "cert.pem"),
                "--key",
                str(directory / "key.pem"),
                "--blobPort",
                str(blob),
                "--queuePort",
                str(queue),
                "--tablePort",
                str(table),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        saved = os.environ.get("REQUESTS_CA_BUNDLE")
        os.environ["REQUESTS_CA_BUNDLE"] = str(directory / "ca.pem")
        try:
            for port in (blob, queue, table):
                wait_for_port("127.0.0.1", port)
            yield OAuthAzurite(
                *(f"https://127.0.0.1:{port}/{ACCOUNT_NAME}" for port in (blob, queue, table)), directory / "ca.pem"
            )
        finally:
            if saved is None:
                os.environ.pop("REQUESTS_CA_BUNDLE", None)
            else:
                os.environ["REQUESTS_CA_BUNDLE"] = saved
            stop_azurite(process)
