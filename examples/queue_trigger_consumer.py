"""Example: a queue-triggered Azure Function (in another app) consuming Translation Autopilot's completion messages.

The app writes base64 (host.json `extensions.queues.messageEncoding`), the Functions default, so a queue trigger reads
the messages with no configuration. Deduplicate on the CloudEvent `id`: delivery is at least once.
"""

from __future__ import annotations

import logging

import azure.functions as func

logger = logging.getLogger(__name__)
app = func.FunctionApp()


@app.queue_trigger(arg_name="msg", queue_name="%COMPLETION_QUEUE%", connection="CompletionStorage")
def on_translation_completed(msg: func.QueueMessage) -> None:
    event = msg.get_json()
    data = event["data"]
    if event["type"] == "TranslationAutopilot.BudgetReached":  # MAX_CHARACTERS_PER_DAY: documents wait for tomorrow
        logger.warning("daily budget reached on %s; documents wait until %s", data["day"], data["resumesAt"])
        return
    logger.info("%s: %s (event %s)", event["subject"], data["status"], event["id"])
    for target in data["targets"]:
        logger.info("  %s -> %s (%s)", target["language"], target["url"], target["status"])
