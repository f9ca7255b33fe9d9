"""The current ETags of source blobs, read with one folder listing where that costs fewer requests than one
properties request per blob (a burst of uploads lands in a few folders; a lone document costs one request)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import BlobPrefix, BlobServiceClient

from shared.storage import BlobPath

LIST_PAGE = 1000  # blobs per listing page: one page of 5,000 (the maximum) costs about 45 MB to parse
MIN_FOR_LISTING = 8  # fewer documents of one folder than this: one properties request each
PAGES_PER_DOCUMENT = 0.1  # a folder is listed only while its pages stay under a tenth of its documents


def current_etags(service: BlobServiceClient, paths: list[BlobPath], *, threads: int) -> dict[BlobPath, str | None]:
    """Each path's ETag now, unquoted; None for a blob that no longer exists."""
    folders: defaultdict[tuple[str, str], list[BlobPath]] = defaultdict(list)
    for path in paths:
        folders[(path.container, path.name.rpartition("/")[0])].append(path)
    found: dict[BlobPath, str | None] = {}
    for (container, folder), members in folders.items():
        if len(members) >= MIN_FOR_LISTING:
            found.update(_listed(service, container, folder, members))
    unlisted = [path for path in paths if path not in found]
    with ThreadPoolExecutor(threads) as pool:
        found.update(zip(unlisted, pool.map(_properties_etag(service), unlisted), strict=True))
    return found


def _listed(
    service: BlobServiceClient, container: str, folder: str, members: list[BlobPath]
) -> dict[BlobPath, str | None]:
    """The members' ETags from the folder's direct listing; empty when the folder holds too many other blobs."""
    budget = max(1, int(len(members) * PAGES_PER_DOCUMENT)) * LIST_PAGE
    prefix = f"{folder}/" if folder else None
    items = service.get_container_client(container).walk_blobs(name_starts_with=prefix, results_per_page=LIST_PAGE)
    wanted = {path.name: path for path in members}
    etags: dict[BlobPath, str | None] = dict.fromkeys(members)
    for seen, item in enumerate(items, start=1):  # streamed: only the members' ETags are kept
        if seen > budget:
            return {}
        path = wanted.get(item.name)
        if path is not None and not isinstance(item, BlobPrefix):
            etags[path] = item.etag.strip('"')
    return etags


def _properties_etag(service: BlobServiceClient) -> Callable[[BlobPath], str | None]:
    def etag(path: BlobPath) -> str | None:
        try:
            return service.get_blob_client(path.container, path.name).get_blob_properties().etag.strip('"')
        except ResourceNotFoundError:
            return None

    return etag
