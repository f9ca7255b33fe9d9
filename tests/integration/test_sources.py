"""Current ETags of source blobs on real Azurite: a folder listing for many documents, one request each for a few,
and the same answers either way (deleted, replaced, unchanged)."""

from __future__ import annotations

from collections import Counter

import pytest
import requests

import shared.sources
from shared.sources import MIN_FOR_LISTING, current_etags
from shared.storage import BlobPath


@pytest.fixture
def counted(monkeypatch) -> Counter[str]:
    """Blob requests answered, by method (the storage SDK sends through requests). A send that fails on a pooled
    connection Azurite has just closed is retried by the SDK: only the answered one counts."""
    counts: Counter[str] = Counter()
    send = requests.Session.send

    def counting(session, request, **kwargs):
        response = send(session, request, **kwargs)
        counts[request.method] += 1
        return response

    monkeypatch.setattr(requests.Session, "send", counting)
    return counts


def _folder(storage, container: str, folder: str, count: int) -> list[BlobPath]:
    names = [f"{folder}doc-{index}.txt" for index in range(count)]
    for name in names:
        storage.upload(container, name, f"{name} version 1")
    return [BlobPath(container, name) for name in names]


def _recorded(storage, paths: list[BlobPath]) -> dict[BlobPath, str]:
    return {
        path: storage.service.get_blob_client(path.container, path.name).get_blob_properties().etag.strip('"')
        for path in paths
    }


@pytest.mark.parametrize("folder", ["burst/", ""])
def test_many_documents_of_one_folder_take_one_listing_and_see_deleted_and_replaced_blobs(storage, counted, folder):
    container = storage.new_container("etags")
    paths = _folder(storage, container, folder, 12)
    storage.upload(container, f"{folder}sub/inner.txt", "a blob in a subfolder is not listed")
    recorded = _recorded(storage, paths)
    storage.service.get_blob_client(container, paths[0].name).delete_blob()
    storage.upload(container, paths[1].name, "version 2")
    counted.clear()

    etags = current_etags(storage.service, paths, threads=4)

    assert etags[paths[0]] is None
    assert etags[paths[1]] not in (None, recorded[paths[1]])
    assert all(etags[path] == recorded[path] for path in paths[2:])
    assert counted == {"GET": 1}  # one listing page, no properties request


def test_a_few_documents_or_a_crowded_folder_are_read_one_by_one_with_the_same_answers(storage, counted, monkeypatch):
    container = storage.new_container("etags")
    few = _folder(storage, container, "few/", MIN_FOR_LISTING - 1)
    crowded = _folder(storage, container, "crowded/", 12)
    for index in range(30):
        storage.upload(container, f"crowded/other-{index}.txt", "not part of the batch")
    recorded = _recorded(storage, few + crowded)
    storage.service.get_blob_client(container, crowded[0].name).delete_blob()
    monkeypatch.setattr(shared.sources, "LIST_PAGE", 2)  # the crowded folder outgrows its listing budget
    counted.clear()

    etags = current_etags(storage.service, few + crowded, threads=4)

    assert etags[crowded[0]] is None
    assert all(etags[path] == recorded[path] for path in few + crowded[1:])
    assert counted["HEAD"] == len(few) + len(crowded)  # every one read on its own
    assert counted["GET"] == 2  # the listing stopped one item past its budget (two pages of two)
