from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from devstack.emulator.errors import ApiError
from devstack.emulator.jobs import Status
from devstack.emulator.listing import parse_list_query

BASE = datetime(2026, 1, 1, tzinfo=UTC)
ITEMS = [(f"id-{i}", Status.SUCCEEDED if i % 2 else Status.RUNNING, BASE + timedelta(minutes=i)) for i in range(7)]


def select(query_params: dict[str, str]) -> list[str]:
    query = parse_list_query(query_params)
    chosen = query.select(ITEMS, id_of=lambda t: t[0], status_of=lambda t: t[1], created_of=lambda t: t[2])
    return [item[0] for item in chosen]


def test_default_order_is_newest_first():
    assert select({}) == [f"id-{i}" for i in reversed(range(7))]


@pytest.mark.parametrize("key", ["$orderBy", "orderby", "$orderby"])
def test_order_by_created_ascending_in_both_spellings(key: str):
    assert select({key: "createdDateTimeUtc asc"}) == [f"id-{i}" for i in range(7)]


def test_filters_by_ids_statuses_and_created_range():
    assert select({"ids": "ID-1,id-2", "$orderBy": "createdDateTimeUtc asc"}) == ["id-1", "id-2"]
    assert select({"statuses": "Succeeded", "$orderBy": "createdDateTimeUtc asc"}) == ["id-1", "id-3", "id-5"]
    start, end = (BASE + timedelta(minutes=2)).isoformat(), (BASE + timedelta(minutes=4)).isoformat()
    assert select({"createdDateTimeUtcStart": start, "createdDateTimeUtcEnd": end}) == ["id-4", "id-3", "id-2"]


def test_status_filter_accepts_the_clients_american_spelling():
    assert parse_list_query({"statuses": "Canceled,Canceling"}).statuses == {Status.CANCELLED, Status.CANCELLING}


def test_skip_applies_before_top_and_pages_follow_maxpagesize():
    query = parse_list_query({"$skip": "1", "$top": "5", "$maxpagesize": "2"})
    items = list(range(10))
    page, next_skip = query.page(items)
    assert page == [1, 2]
    assert next_skip == 3
    link = query.next_link("http://h/translator/document/batches", "2024-05-01", next_skip, len(items))
    assert link == "http://h/translator/document/batches?skip=3&top=3&maxpagesize=2&api-version=2024-05-01"
    follow = parse_list_query({k: v[0] for k, v in parse_qs(urlsplit(link).query).items()})
    assert follow.page(items) == ([3, 4], 5)
    last = parse_list_query({"$skip": "5", "$top": "1", "$maxpagesize": "2"})
    assert last.page(items) == ([5], None)


def test_client_spelling_without_dollar_is_accepted():
    query = parse_list_query({"top": "3", "skip": "2", "maxpagesize": "10"})
    assert (query.top, query.skip, query.page_size) == (3, 2, 10)


def test_values_escaped_twice_by_a_client_are_read_correctly():
    assert parse_list_query({"orderby": "createdDateTimeUtc%20asc"}).ascending
    assert parse_list_query({"ids": "a%2Cb"}).ids == {"a", "b"}


@pytest.mark.parametrize(
    "params",
    [
        {"$maxpagesize": "0"},
        {"$maxpagesize": "101"},
        {"$top": "-1"},
        {"$skip": "x"},
        {"statuses": "Done"},
        {"$orderBy": "name asc"},
        {"createdDateTimeUtcStart": "yesterday"},
    ],
)
def test_invalid_list_parameters_are_400(params: dict[str, str]):
    with pytest.raises(ApiError) as error:
        parse_list_query(params)
    assert error.value.status_code == 400
