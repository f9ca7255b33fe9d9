"""Every SAS the app issues, decoded and tried against Azurite: one blob, the fewest permissions, short-lived."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobClient, ContainerClient

from shared.blob_store import AzureBlobStore
from shared.records import utc_now
from shared.settings import StorageAccess, StorageConnection
from shared.storage import BlobPath, SasIssuer, StorageClients


def sas_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


@pytest.fixture
def issued(pipeline, monkeypatch) -> dict[str, str]:
    """The source, target and glossary URLs of one real batch request."""
    pipeline.storage.upload(pipeline.glossaries, "fr.tsv", "Contoso\tContoso SARL\n")
    bodies = pipeline.record_posts(monkeypatch)
    pipeline.drop("secret/plan.txt", "Contoso plans.")
    [item] = bodies[0]["inputs"]
    [french] = [target for target in item["targets"] if target["language"] == "fr"]
    return {
        "source": item["source"]["sourceUrl"],
        "target": french["targetUrl"],
        "glossary": french["glossaries"][0]["glossaryUrl"],
    }


def test_each_sas_is_blob_scoped_with_the_fewest_permissions_and_expires_within_the_ttl(issued):
    for kind, permissions in (("source", "r"), ("target", "rw"), ("glossary", "r")):
        sas = sas_of(issued[kind])
        assert (sas["sr"], sas["sp"]) == ("b", permissions), kind
        expiry = utc_now().fromisoformat(sas["se"].replace("Z", "+00:00"))
        assert expiry - utc_now() <= timedelta(hours=24, minutes=1), kind
        assert sas["spr"] == "https,http"  # loopback Azurite is http; see the https test below


def test_a_source_sas_can_read_its_blob_and_nothing_else(issued, pipeline):
    source = BlobClient.from_blob_url(issued["source"])
    assert source.download_blob().readall() == b"Contoso plans."
    with pytest.raises(HttpResponseError):
        source.upload_blob(b"overwrite", overwrite=True)
    container_url = issued["source"].split("/secret/plan.txt")[0] + "?" + urlsplit(issued["source"]).query
    with pytest.raises(HttpResponseError):
        list(ContainerClient.from_container_url(container_url).list_blobs())
    other = issued["source"].replace("secret/plan.txt", "secret/other.txt")
    pipeline.storage.upload(pipeline.source, "secret/other.txt", "not yours")
    assert requests.get(other, timeout=10).status_code == 403


def test_a_target_sas_writes_its_output_only(issued, pipeline):
    target = BlobClient.from_blob_url(issued["target"])
    with pytest.raises(HttpResponseError):  # read and write are allowed; delete is not (authorization comes first)
        target.delete_blob()
    pipeline.storage.upload(pipeline.target, "fr/someone-else.txt", "private")
    other = issued["target"].replace("fr/secret/plan.txt", "fr/someone-else.txt")
    assert requests.get(other, timeout=10).status_code == 403
    assert requests.put(other, data=b"x", headers={"x-ms-blob-type": "BlockBlob"}, timeout=10).status_code == 403


def test_outside_loopback_every_sas_is_https_only():
    connection = StorageConnection(
        connection_string="DefaultEndpointsProtocol=https;AccountName=acct;AccountKey="
        + "a2V5" * 22
        + ";EndpointSuffix=core.windows.net"
    )
    service = StorageClients.connect(connection).blob_service
    issuer = SasIssuer(service, AzureBlobStore(service).url, StorageAccess.SAS, sas_ttl=timedelta(hours=2))
    url = issuer.target_url(BlobPath("translated", "fr/a.txt"))
    assert url.startswith("https://acct.blob.core.windows.net/translated/fr/a.txt?")
    assert sas_of(url)["spr"] == "https"
    assert (sas_of(url)["sr"], sas_of(url)["sp"]) == ("b", "rw")
