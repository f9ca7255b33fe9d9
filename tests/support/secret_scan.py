"""A whole-suite scan for secrets: every log record (message and exception text) as it is emitted, and at the end
every Table entity and queue message left in Azurite. Finds SAS signatures and the keys the tests use."""

from __future__ import annotations

import logging
import re

from azure.data.tables import TableServiceClient
from azure.storage.queue import QueueServiceClient

from devstack.azurite import ACCOUNT_KEY
from tests.support.emulator import TEST_KEY

SAS_SIGNATURE = re.compile(r"sig=(?!REDACTED)[A-Za-z0-9%+/=]{10,}")
KEYS = (ACCOUNT_KEY, TEST_KEY)


def leaks_in(text: str) -> list[str]:
    found = [f"SAS signature '{m.group(0)[:12]}...'" for m in SAS_SIGNATURE.finditer(text)]
    found += [f"key '{key[:6]}...'" for key in KEYS if key in text]
    return found


class SecretScanner(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.findings: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        for leak in leaks_in(text):
            self.findings.append(f"log record of {record.name}: {leak}")

    def scan_storage(self, connection_string: str) -> int:
        """Every entity of every table and the visible messages of every queue; returns how many items were read."""
        read = 0
        tables = TableServiceClient.from_connection_string(connection_string)
        for table in tables.list_tables():
            for entity in tables.get_table_client(table.name).list_entities():
                read += 1
                for leak in leaks_in(str(dict(entity))):
                    self.findings.append(f"table {table.name} entity {entity['RowKey']}: {leak}")
        queues = QueueServiceClient.from_connection_string(connection_string)
        for queue in queues.list_queues():
            for message in queues.get_queue_client(queue.name).peek_messages(max_messages=32):
                read += 1
                for leak in leaks_in(str(message.content)):
                    self.findings.append(f"queue {queue.name}: {leak}")
        return read
