"""App settings, read once from the environment into a frozen dataclass; every problem names its setting."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from shared.errors import SettingError
from shared.languages import canonical_language, is_language_code, parse_languages

STORAGE_CONNECTION = "DocumentStorage"
SOURCE_CONTAINER = "SOURCE_CONTAINER"
TARGET_CONTAINER = "TARGET_CONTAINER"
TARGET_LANGUAGES = "TARGET_LANGUAGES"
SOURCE_LANGUAGE = "SOURCE_LANGUAGE"
GLOSSARY_CONTAINER = "GLOSSARY_CONTAINER"
LANGUAGE_ROUTES = "LANGUAGE_ROUTES"
LANGUAGES_METADATA = "targetlanguages"  # blob metadata naming a document's own target languages
COMPLETION_QUEUE = "COMPLETION_QUEUE"
OUTBOX_QUEUE = "OUTBOX_QUEUE"
STATE_TABLE = "STATE_TABLE"
TRANSLATOR_ENDPOINT = "TRANSLATOR_ENDPOINT"
TRANSLATOR_KEY = "TRANSLATOR_KEY"
TRANSLATOR_REGION = "TRANSLATOR_REGION"
TRANSLATOR_API_VERSION = "TRANSLATOR_API_VERSION"
TRANSLATOR_STORAGE_ACCESS = "TRANSLATOR_STORAGE_ACCESS"
SAS_TTL_HOURS = "SAS_TTL_HOURS"
POLL_SCHEDULE = "POLL_SCHEDULE"
MAX_JOB_HOURS = "MAX_JOB_HOURS"
MAX_BATCH_DOCUMENTS = "MAX_BATCH_DOCUMENTS"
MAX_BATCH_BYTES = "MAX_BATCH_BYTES"
CLAIM_TIMEOUT_SECONDS = "CLAIM_TIMEOUT_SECONDS"
REUSE_TRANSLATIONS = "REUSE_TRANSLATIONS"
MAX_CHARACTERS_PER_DAY = "MAX_CHARACTERS_PER_DAY"
RETENTION_DAYS = "RETENTION_DAYS"

SUPPORTED_API_VERSIONS = ("2024-05-01", "2026-03-01")
SERVICE_MAX_BATCH_DOCUMENTS = 1000
SERVICE_MAX_BATCH_BYTES = 250 * 1024 * 1024
MAX_DOCUMENT_BYTES = 40 * 1024 * 1024
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "host.docker.internal")

# Every setting the app reads, for documentation checks and the dev stack.
ALL_SETTINGS = (
    STORAGE_CONNECTION,
    SOURCE_CONTAINER,
    TARGET_CONTAINER,
    TARGET_LANGUAGES,
    SOURCE_LANGUAGE,
    GLOSSARY_CONTAINER,
    LANGUAGE_ROUTES,
    COMPLETION_QUEUE,
    OUTBOX_QUEUE,
    STATE_TABLE,
    TRANSLATOR_ENDPOINT,
    TRANSLATOR_KEY,
    TRANSLATOR_REGION,
    TRANSLATOR_API_VERSION,
    TRANSLATOR_STORAGE_ACCESS,
    SAS_TTL_HOURS,
    POLL_SCHEDULE,
    MAX_JOB_HOURS,
    MAX_BATCH_DOCUMENTS,
    MAX_BATCH_BYTES,
    CLAIM_TIMEOUT_SECONDS,
    REUSE_TRANSLATIONS,
    MAX_CHARACTERS_PER_DAY,
    RETENTION_DAYS,
)


class StorageAccess(StrEnum):
    """How the Translator reaches storage: SAS URLs issued by the app, or its own managed identity (plain URLs)."""

    SAS = "sas"
    MANAGED_IDENTITY = "managed-identity"


@dataclass(frozen=True)
class StorageConnection:
    """The `DocumentStorage` connection: a connection string, or the identity form with service URIs."""

    connection_string: str | None = None
    blob_service_uri: str | None = None
    queue_service_uri: str | None = None
    table_service_uri: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class LanguageRoute:
    prefix: str
    languages: tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    storage: StorageConnection
    target_languages: tuple[str, ...]
    translator_endpoint: str
    source_container: str = "inbox"
    target_container: str = "translated"
    source_language: str | None = None
    glossary_container: str | None = None
    language_routes: tuple[LanguageRoute, ...] = ()
    language_routes_error: str | None = None  # a malformed LANGUAGE_ROUTES rejects the documents it would route
    completion_queue: str = "translation-completed"
    outbox_queue: str = "translation-outbox"  # announcements on their way to the completion queue
    state_table: str = "translationstate"
    translator_key: str | None = None
    translator_region: str | None = None
    api_version: str = "2024-05-01"
    storage_access: StorageAccess = StorageAccess.SAS
    sas_ttl_hours: float = 24.0
    max_job_hours: float = 24.0
    max_batch_documents: int = SERVICE_MAX_BATCH_DOCUMENTS
    max_batch_bytes: int = SERVICE_MAX_BATCH_BYTES
    claim_timeout_seconds: float = 300.0
    reuse_translations: bool = True  # identical content with the same request copies the earlier outputs
    max_characters_per_day: int | None = None  # the spending cap; None: no cap
    retention_days: int = 30  # what ended is pruned this many days later

    def languages_for(self, name: str) -> tuple[str, ...]:
        """The target languages of a source blob name: the longest matching route prefix, else TARGET_LANGUAGES.
        Raises SettingError when LANGUAGE_ROUTES is malformed (the caller rejects that document)."""
        if self.language_routes_error is not None:
            raise SettingError(LANGUAGE_ROUTES, self.language_routes_error)
        matches = [route for route in self.language_routes if name.startswith(route.prefix)]
        if not matches:
            return self.target_languages
        return max(matches, key=lambda route: len(route.prefix)).languages

    def origin_of_language(self, code: str, *, is_source: bool = False) -> str:
        """Which setting (or blob metadata) a language code comes from, for an error that says what to correct."""
        lowered = code.lower()
        if is_source:
            return f"app setting {SOURCE_LANGUAGE}"
        if lowered in (language.lower() for language in self.target_languages):
            return f"app setting {TARGET_LANGUAGES}"
        if any(lowered in (language.lower() for language in route.languages) for route in self.language_routes):
            return f"app setting {LANGUAGE_ROUTES}"
        return f"the blob metadata '{LANGUAGES_METADATA}'"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = _Environ(os.environ if environ is None else environ)
        routes: tuple[LanguageRoute, ...] = ()
        routes_error = None
        try:  # per document, not for the whole app: metadata overrides still work, nothing goes to the poison queue
            routes = env.parsed(LANGUAGE_ROUTES, _language_routes) or ()
        except SettingError as exc:
            routes_error = exc.problem
        endpoint = env.required(TRANSLATOR_ENDPOINT)
        _check_endpoint(endpoint)
        containers = _distinct_containers(
            source=env.container(SOURCE_CONTAINER, "inbox"),
            target=env.container(TARGET_CONTAINER, "translated"),
            glossary=env.container(GLOSSARY_CONTAINER, None),
        )
        return cls(
            storage=_storage_connection(env),
            target_languages=env.parsed(TARGET_LANGUAGES, parse_languages, required=True),
            translator_endpoint=endpoint.rstrip("/"),
            source_container=containers[SOURCE_CONTAINER],
            target_container=containers[TARGET_CONTAINER],
            source_language=env.parsed(SOURCE_LANGUAGE, _source_language),
            glossary_container=containers[GLOSSARY_CONTAINER],
            language_routes=routes,
            language_routes_error=routes_error,
            completion_queue=env.text(COMPLETION_QUEUE, "translation-completed"),
            outbox_queue=env.text(OUTBOX_QUEUE, "translation-outbox"),
            state_table=env.text(STATE_TABLE, "translationstate"),
            translator_key=env.text(TRANSLATOR_KEY, None),
            translator_region=env.text(TRANSLATOR_REGION, None),
            api_version=env.choice(TRANSLATOR_API_VERSION, SUPPORTED_API_VERSIONS, "2024-05-01"),
            storage_access=StorageAccess(
                env.choice(TRANSLATOR_STORAGE_ACCESS, tuple(StorageAccess), StorageAccess.SAS.value)
            ),
            sas_ttl_hours=env.number(SAS_TTL_HOURS, 24.0, low=0.25, high=7 * 24),
            max_job_hours=env.number(MAX_JOB_HOURS, 24.0, low=0.01, high=24 * 30),
            max_batch_documents=int(
                env.number(MAX_BATCH_DOCUMENTS, SERVICE_MAX_BATCH_DOCUMENTS, low=1, high=SERVICE_MAX_BATCH_DOCUMENTS)
            ),
            max_batch_bytes=int(
                env.number(MAX_BATCH_BYTES, SERVICE_MAX_BATCH_BYTES, low=1, high=SERVICE_MAX_BATCH_BYTES)
            ),
            claim_timeout_seconds=env.number(CLAIM_TIMEOUT_SECONDS, 300.0, low=1, high=3600),
            reuse_translations=env.flag(REUSE_TRANSLATIONS, True),
            max_characters_per_day=env.whole(MAX_CHARACTERS_PER_DAY, low=1, high=10**13),
            retention_days=env.whole(RETENTION_DAYS, low=1, high=3650) or 30,
        )


class _Environ:
    """Typed reads of app settings; every failure is a SettingError naming the setting."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, name: str, default: str | None) -> str | None:
        value = self._environ.get(name, "").strip()
        return value or default

    def required(self, name: str) -> str:
        value = self.text(name, None)
        if value is None:
            raise SettingError(name, "is required and not set (see local.settings.sample.json)")
        return value

    def parsed(self, name: str, parse, *, required: bool = False):
        value = self.required(name) if required else self.text(name, None)
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            raise SettingError(name, str(exc)) from exc

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.text(name, default)
        if value not in allowed:
            raise SettingError(name, f"'{value}' is not one of {', '.join(allowed)}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = (self.text(name, None) or str(default)).lower()
        if raw not in ("true", "false"):
            raise SettingError(name, f"'{raw}' is not true or false")
        return raw == "true"

    def number(self, name: str, default: float, *, low: float, high: float) -> float:
        raw = self.text(name, None)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError as exc:
            raise SettingError(name, f"'{raw}' is not a number") from exc
        if not low <= value <= high:
            raise SettingError(name, f"{value:g} is outside the allowed range {low:g}..{high:g}")
        return value

    def whole(self, name: str, *, low: int, high: int) -> int | None:
        """An optional whole number (digits only; `_` or `,` between thousands are allowed)."""
        raw = self.text(name, None)
        if raw is None:
            return None
        digits = raw.replace("_", "").replace(",", "")
        if not (digits.isascii() and digits.isdigit()):
            raise SettingError(name, f"'{raw}' is not a whole number of characters (e.g. 2000000)")
        value = int(digits)
        if not low <= value <= high:
            raise SettingError(name, f"{value:,} is outside the allowed range {low:,}..{high:,}")
        return value

    def container(self, name: str, default: str | None) -> str | None:
        value = self.text(name, default)
        if value is not None and not _is_container_name(value):
            raise SettingError(name, f"'{value}' is not a valid blob container name (3-63 of a-z, 0-9, '-')")
        return value

    def identity_uri(self, suffix: str) -> str | None:
        return self.text(f"{STORAGE_CONNECTION}__{suffix}", None)


def _is_container_name(name: str) -> bool:
    return (
        3 <= len(name) <= 63
        and all(char.islower() or char.isdigit() or char == "-" for char in name)
        and name[0] != "-"
        and name[-1] != "-"
        and "--" not in name
        and name.isascii()
    )


def _check_endpoint(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SettingError(
            TRANSLATOR_ENDPOINT, f"'{endpoint}' is not a URL (expected https://NAME.cognitiveservices.azure.com)"
        )
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
        raise SettingError(TRANSLATOR_ENDPOINT, "must use https (plain http is allowed only for a local emulator)")
    if parts.query or parts.path.rstrip("/").endswith("/translator"):
        raise SettingError(
            TRANSLATOR_ENDPOINT, "must be the resource endpoint only, without '/translator' or a query string"
        )


def _distinct_containers(*, source: str, target: str, glossary: str | None) -> dict[str, str | None]:
    """Outputs written where the trigger watches would be translated again (1, 2, 4, 8 ... new blobs a round), and
    outputs among the glossaries would be attached as glossaries: each container must have one role."""
    named = {SOURCE_CONTAINER: source, TARGET_CONTAINER: target, GLOSSARY_CONTAINER: glossary}
    seen: dict[str, str] = {}
    for name, container in named.items():
        if container is None:
            continue
        if container in seen:
            raise SettingError(
                name,
                f"'{container}' is also {seen[container]}; the source, target and glossary containers must be three "
                "different containers (outputs in the source container would be translated again, without end)",
            )
        seen[container] = name
    return named


def _storage_connection(env: _Environ) -> StorageConnection:
    connection_string = env.text(STORAGE_CONNECTION, None)
    if connection_string is not None:
        if _connection_string_field(connection_string, "SharedAccessSignature") is not None:
            raise SettingError(
                STORAGE_CONNECTION,
                "is a SAS connection string (SharedAccessSignature=...); the app issues its own per-blob SAS and "
                "needs an account key (AccountName=...;AccountKey=...) or the identity form "
                f"({STORAGE_CONNECTION}__blobServiceUri, __queueServiceUri, __tableServiceUri)",
            )
        if connection_string == "UseDevelopmentStorage=true" or "AccountName=" in connection_string:
            return StorageConnection(connection_string=connection_string)
        raise SettingError(
            STORAGE_CONNECTION, "is not a storage connection string (expected AccountName=...;AccountKey=...)"
        )
    service_uri = env.identity_uri("serviceUri")
    blob = env.identity_uri("blobServiceUri") or service_uri
    if blob is None:
        raise SettingError(
            STORAGE_CONNECTION,
            f"is not set: give a connection string, or {STORAGE_CONNECTION}__blobServiceUri, __queueServiceUri and "
            "__tableServiceUri for an identity-based connection",
        )
    table = env.identity_uri("tableServiceUri")
    if table is None:
        raise SettingError(f"{STORAGE_CONNECTION}__tableServiceUri", "is required for an identity-based connection")
    return StorageConnection(
        blob_service_uri=blob.rstrip("/"),
        queue_service_uri=(env.identity_uri("queueServiceUri") or "").rstrip("/") or None,
        table_service_uri=table.rstrip("/"),
        client_id=env.identity_uri("clientId"),
    )


def _connection_string_field(connection_string: str, field_name: str) -> str | None:
    for part in connection_string.split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() == field_name.lower():
            return value
    return None


def _source_language(raw: str) -> str:
    if not is_language_code(raw):
        raise ValueError(f"'{raw[:40]}' is not a language code (leave it unset to auto-detect)")
    return canonical_language(raw)


def _language_routes(raw: str) -> tuple[LanguageRoute, ...]:
    try:
        routes = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not valid JSON ({exc.msg} at character {exc.pos})") from exc
    if not isinstance(routes, dict):
        raise ValueError('must be a JSON object of path prefix to languages, e.g. {"legal/": "fr,de"}')
    parsed = []
    for prefix, languages in routes.items():
        if prefix.startswith("/"):
            raise ValueError(
                f"route '{prefix}': blob names never start with '/', so this prefix matches nothing; "
                + (f"write it as '{prefix.lstrip('/')}'" if prefix.strip("/") else "'' matches every blob")
                + " (prefixes are relative to the source container)"
            )
        if not isinstance(languages, str | list):
            raise ValueError(f"route '{prefix}': languages must be a string like \"fr,de\" or a list")
        try:
            parsed.append(LanguageRoute(prefix, parse_languages(languages)))
        except ValueError as exc:
            raise ValueError(f"route '{prefix}': {exc}") from exc
    return tuple(parsed)
