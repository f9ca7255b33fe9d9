"""The whole-suite secret scanner finds what it is meant to find (so its silence means something)."""

from __future__ import annotations

import logging

from devstack.azurite import ACCOUNT_KEY
from tests.support.secret_scan import SecretScanner, leaks_in


def test_a_sas_signature_or_a_key_in_a_log_record_is_found():
    scanner = SecretScanner()
    logger = logging.getLogger("leaky")
    logger.propagate = False  # planted leaks: kept away from the whole-suite scan
    logger.addHandler(scanner)
    try:
        logger.warning("GET https://acct.blob.core.windows.net/c/b?sv=2024&sp=r&sig=AbCdEfGhIjKlMnOp%3D")
        try:
            raise RuntimeError(f"connection failed with key {ACCOUNT_KEY}")
        except RuntimeError:
            logger.exception("oops")
    finally:
        logger.removeHandler(scanner)
    assert len(scanner.findings) == 2


def test_redacted_signatures_are_not_leaks():
    assert leaks_in("https://x/c/b?sv=1&sig=REDACTED") == []
