"""The `--stale-reads SECONDS` fault: status reads answered from a cache that lags and can go backwards.

Status responses carry `Cache-Control: public, max-age=1`, and the service's front door serves them from caches: in
test_cancel_translation.pyTestCancelTranslationtest_cancel_translation.json a stale `NotStarted` kept coming back
for about a minute after a DELETE, and cached answers repeat the original `X-RequestId` with a growing `Age`
(test_translation.pyTestTranslationtest_multiple_sources_single_target.json). With the fault on, each status GET is
answered by one of the answers given to the same URL in the last SECONDS, picked at random (seeded): an answer can
lag, and two reads in a row can go backwards.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class CachedAnswer:
    given_at: float
    status_code: int
    body: bytes
    headers: tuple[tuple[str, str], ...]


class StaleReads:
    def __init__(self, seconds: float, seed: int | None) -> None:
        self._seconds = seconds
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._answers: defaultdict[str, list[CachedAnswer]] = defaultdict(list)

    @property
    def enabled(self) -> bool:
        return self._seconds > 0

    def answer(self, url: str, fresh: CachedAnswer) -> tuple[CachedAnswer, int]:
        """The answer to give for `url` now, and its age in whole seconds (0 for the fresh one)."""
        with self._lock:
            kept = [old for old in self._answers[url] if fresh.given_at - old.given_at <= self._seconds]
            kept.append(fresh)
            self._answers[url] = kept
            chosen = self._random.choice(kept)
            if len(self._answers) > 10_000:  # bounded: forget URLs whose answers have all expired
                for key in [
                    key for key, old in self._answers.items() if fresh.given_at - old[-1].given_at > self._seconds
                ]:
                    del self._answers[key]
        return chosen, int(fresh.given_at - chosen.given_at)

    @staticmethod
    def now() -> float:
        return time.monotonic()
