from __future__ import annotations

import pytest

from devstack.emulator.blobs import parse_location
from devstack.emulator.redaction import redact


def test_path_style_urls_keep_the_account_in_the_base():
    location = parse_location("http://127.0.0.1:10000/devstoreaccount1/src/a%20b/c.txt?sp=r&sig=x")
    assert location.account_url == "http://127.0.0.1:10000/devstoreaccount1"
    assert (location.container, location.path) == ("src", "a b/c.txt")
    assert location.has_sas
    assert location.sas_permissions() == "r"
    assert location.public_url == "http://127.0.0.1:10000/devstoreaccount1/src/a%20b/c.txt"


def test_azure_host_style_urls():
    location = parse_location("https://acct.blob.core.windows.net/container?sv=1")
    assert location.account_url == "https://acct.blob.core.windows.net"
    assert (location.container, location.path, location.has_sas) == ("container", "", False)
    # the default port written out, as every recorded sourcePath has it (test_empty_document, 2024-05-01)
    assert location.child("x/y.txt").public_url == "https://acct.blob.core.windows.net:443/container/x/y.txt"


def test_public_url_never_carries_the_query():
    location = parse_location("https://acct.blob.core.windows.net/c/b.txt?sv=1&sig=SECRET")
    assert "SECRET" not in location.public_url
    assert "SECRET" in location.url()


@pytest.mark.parametrize("url", ["not a url", "ftp://host/c", "http://127.0.0.1/"])
def test_urls_that_are_not_storage_urls_are_rejected(url: str):
    with pytest.raises(ValueError, match=r"URL|account"):
        parse_location(url)


@pytest.mark.parametrize("url", ["https://idont.ex.ist", "https://acct.blob.core.windows.net/"])
def test_a_url_naming_no_container_parses_to_an_unreachable_location(url: str):
    """Accepted as the service accepts it (test_bad_input_source.json); the job then fails validation."""
    assert parse_location(url).container == ""


def test_log_redaction_removes_every_signature_value():
    line = 'GET /c/b.txt?sv=1&sig=abc%2Bdef HTTP/1.1 and "https://x/y?sig=zzz"'
    assert redact(line) == 'GET /c/b.txt?sv=1&sig=REDACTED HTTP/1.1 and "https://x/y?sig=REDACTED"'
