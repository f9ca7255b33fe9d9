"""Publish requests: whole messages packed in order into JSON arrays that fit a queue message."""

from __future__ import annotations

import base64
import json

from shared.outbox import REQUEST_BYTES, publish_requests

QUEUE_MESSAGE_LIMIT = 64 * 1024


def message(index: int, padding: int) -> str:
    return json.dumps({"id": f"m{index}", "data": {"text": "é" * padding}}, ensure_ascii=False)


def test_messages_are_packed_in_order_into_requests_that_fit_a_base64_queue_message():
    messages = [message(index, 3000) for index in range(40)]

    requests = publish_requests(messages)

    assert len(requests) > 1
    assert [event["id"] for request in requests for event in json.loads(request)] == [f"m{i}" for i in range(40)]
    assert all(len(base64.b64encode(request.encode())) <= QUEUE_MESSAGE_LIMIT for request in requests)
    assert all(len(request.encode()) <= REQUEST_BYTES + 1 for request in requests)


def test_no_messages_no_requests_and_a_few_small_ones_make_one():
    assert publish_requests([]) == []
    assert len(publish_requests([message(index, 10) for index in range(5)])) == 1
