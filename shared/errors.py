"""The app's errors, one tree under `AutopilotError`.

AutopilotError
├── SettingError            an app setting is missing or invalid (names the setting)
├── MessagesNotRecorded     some completion messages could not be recorded in the outbox (carries those that were)
├── StoreError              the state store answered with an error (mapped once, in the store)
│   ├── EntityExists             insert-once: the key is taken (a duplicate event or a racing run)
│   ├── EntityChanged            ETag guard: someone wrote the entity since it was read
│   ├── EntityMissing            the entity is not there (deleted by a racing run)
│   ├── EntityRefused            the store refused the entity itself (too large, bad key): retrying cannot help
│   ├── TransactionFailed        one operation failed, so none was applied (carries its index and the cause)
│   └── StoreUnavailable         anything else: throttled, unreachable, credentials refused
└── TranslatorError         the Translator answered with an error (HTTP status, code, innerError.code)
    ├── TranslatorThrottled      429: too many requests (carries Retry-After when sent)
    ├── TranslatorUnavailable    503, or the service could not be reached
    ├── TranslatorAuthFailed     401/403: key, region or identity refused
    ├── JobNotFound              404 on a job id
    └── SubmissionUncertain      a POST that may have reached the service (timeout, 500): do not blindly retry
"""

from __future__ import annotations

import re

_INPUT_INDEX = re.compile(r"inputs\[(\d+)\]")
_TARGET_INDEX = re.compile(r"targets\[(\d+)\]")


class AutopilotError(Exception):
    """Base of every error this app raises on purpose."""


class SettingError(AutopilotError):
    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"App setting {name}: {problem}")
        self.name = name
        self.problem = problem


class MessagesNotRecorded(AutopilotError):
    """The outbox refused some messages: `recorded` are to be requested as usual; the documents of `failed` (message
    ids) must not count as announced, so a later run announces them."""

    def __init__(self, recorded: list[str], failed: dict[str, str]) -> None:
        first_id, first_problem = next(iter(failed.items()))
        super().__init__(f"{len(failed)} completion messages not recorded (first {first_id}: {first_problem})")
        self.recorded = recorded
        self.failed = set(failed)


class StoreError(AutopilotError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EntityExists(StoreError):
    pass


class EntityChanged(StoreError):
    pass


class EntityMissing(StoreError):
    pass


class EntityRefused(StoreError):
    pass


class StoreUnavailable(StoreError):
    pass


class TransactionFailed(StoreError):
    """Operation `index` of a transaction failed with `cause`; the store applied none of its operations."""

    def __init__(self, index: int, cause: StoreError) -> None:
        super().__init__(f"operation {index}: {cause.reason}")
        self.index = index
        self.cause = cause


class TranslatorError(AutopilotError):
    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        inner_code: str | None = None,
        target: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.inner_code = inner_code
        self.target = target
        self.retry_after = retry_after

    @property
    def input_index(self) -> int | None:
        """The request input the error is about, from its target (`inputs[2].targets[1].language`)."""
        match = _INPUT_INDEX.search(self.target or "")
        return int(match.group(1)) if match else None

    @property
    def target_index(self) -> int | None:
        """The target of that input the error is about, if it names one."""
        match = _TARGET_INDEX.search(self.target or "")
        return int(match.group(1)) if match else None

    @property
    def about_source(self) -> bool:
        return ".source" in (self.target or "")

    @property
    def about_language(self) -> bool:
        return "language" in (self.target or "").lower() or "language" in self.reason.lower()

    @property
    def reason(self) -> str:
        """The most specific code the service gave: innerError.code first, then code, then the HTTP status."""
        return self.inner_code or self.code or (f"HTTP{self.status}" if self.status else "TranslatorUnreachable")

    def __str__(self) -> str:
        where = f" (HTTP {self.status})" if self.status else ""
        return f"{self.reason}{where}: {self.message}"


class TranslatorThrottled(TranslatorError):
    pass


class TranslatorUnavailable(TranslatorError):
    pass


class TranslatorAuthFailed(TranslatorError):
    pass


class JobNotFound(TranslatorError):
    pass


class SubmissionUncertain(TranslatorError):
    pass
