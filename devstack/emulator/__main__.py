"""`python -m devstack.emulator --port PORT --key KEY`: serve the emulator with uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from devstack.emulator.app import create_app
from devstack.emulator.argos import EngineUnavailable
from devstack.emulator.config import parse_config


def main() -> None:
    config = parse_config()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The storage SDK logs request URLs at INFO; SAS signatures must never reach a log.
    logging.getLogger("azure").setLevel(logging.WARNING)
    try:
        app = create_app(config)
    except EngineUnavailable as exc:
        raise SystemExit(f"error: {exc}") from None
    logging.getLogger(__name__).info(
        "Document Translation emulator on http://%s:%d/translator (engine=%s, workers=%d)",
        config.host,
        config.port,
        config.engine,
        config.workers,
    )
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning")


if __name__ == "__main__":
    main()
