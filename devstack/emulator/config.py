"""Emulator settings: one frozen dataclass, filled from command-line flags or EMULATOR_* environment variables."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from devstack.emulator.engine import ENGINE_NAMES

SUPPORTED_API_VERSIONS = ("2024-05-01", "2026-03-01")


@dataclass(frozen=True)
class EmulatorConfig:
    key: str
    host: str = "127.0.0.1"
    port: int = 5080
    allow_bearer: bool = False
    workers: int = 4
    engine: str = "pseudo"
    storage_connection_string: str | None = None
    throttle_rate: float = 0.0
    retry_after: float = 1.0
    error_rate: float = 0.0
    latency_ms: int = 0
    chars_per_second: float = 0.0
    seed: int | None = None
    state_dir: str | None = None
    stale_reads: float = 0.0

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("a subscription key is required (--key or EMULATOR_KEY)")
        for name in ("throttle_rate", "error_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"--{name.replace('_', '-')} must be a fraction between 0 and 1")
        if self.workers < 1:
            raise ValueError("--workers must be at least 1")
        if self.engine not in ENGINE_NAMES:
            raise ValueError(f"--engine must be one of {', '.join(ENGINE_NAMES)}, not {self.engine!r}")
        if self.retry_after < 0 or self.latency_ms < 0 or self.chars_per_second < 0 or self.stale_reads < 0:
            raise ValueError("--retry-after, --latency-ms, --chars-per-second and --stale-reads cannot be negative")


_FLAGS: tuple[tuple[str, type, str], ...] = (
    ("host", str, "interface to listen on"),
    ("port", int, "port to listen on"),
    ("key", str, "the Ocp-Apim-Subscription-Key callers must send"),
    ("workers", int, "documents translated at once"),
    ("engine", str, "translation engine: pseudo, or argos (installed Argos Translate packages)"),
    ("storage_connection_string", str, "storage identity used for plain URLs without SAS (managed-identity mode)"),
    ("throttle_rate", float, "fraction of API calls answered 429 RequestRateTooHigh"),
    ("retry_after", float, "Retry-After seconds on 429 answers; 0 leaves the header out"),
    ("error_rate", float, "fraction of API calls answered 500 or 503"),
    ("latency_ms", int, "delay added to every API call"),
    ("chars_per_second", float, "simulated translation speed; 0 is as fast as possible"),
    ("seed", int, "random seed for fault injection"),
    ("state_dir", str, "keep jobs and document statuses in SQLite here, so a restart loses nothing"),
    ("stale_reads", float, "answer status reads from a cache up to this many seconds old (lagging, going backwards)"),
)


def parse_config(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> EmulatorConfig:
    """Flags win over environment variables (EMULATOR_KEY, EMULATOR_PORT, ...), which win over defaults."""
    environ = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(
        prog="python -m devstack.emulator",
        description="Local Azure AI Translator Document Translation (batch) API, backed by the storage you give it.",
    )
    for name, kind, help_text in _FLAGS:
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, help=f"{help_text} [env EMULATOR_{name.upper()}]")
    parser.add_argument(
        "--allow-bearer",
        action="store_true",
        default=None,
        help="also accept Authorization: Bearer tokens [env EMULATOR_ALLOW_BEARER=1]",
    )
    args = parser.parse_args(argv)
    values: dict[str, object] = {}
    for name, kind, _ in _FLAGS:
        value = getattr(args, name)
        if value is None and f"EMULATOR_{name.upper()}" in environ:
            try:
                value = kind(environ[f"EMULATOR_{name.upper()}"])
            except ValueError:
                parser.error(f"EMULATOR_{name.upper()} must be a {kind.__name__}")
        if value is not None:
            values[name] = value
    allow_bearer = args.allow_bearer
    if allow_bearer is None:
        allow_bearer = environ.get("EMULATOR_ALLOW_BEARER", "").lower() in ("1", "true", "yes")
    values["allow_bearer"] = allow_bearer
    values.setdefault("key", "")
    try:
        return EmulatorConfig(**values)  # type: ignore[arg-type]
    except ValueError as exc:
        parser.error(str(exc))
        raise  # unreachable: parser.error exits
