"""The `--stale-reads SECONDS` fault: status reads that lag behind the job and can go backwards.

Status responses carry `Cache-Control: public, max-age=1` and are served through caches and replicas: in
test_cancel_translation.pyTestCancelTranslationtest_cancel_translation.json a stale `NotStarted` kept coming back for
about a minute after a DELETE. With the fault on, the store keeps each job's states of the last SECONDS, and every
status read (a job, the job list, a job's documents, one document) shows the job as it was at a moment picked at
random (seeded) within that window. So a job can read as ended while its document list still shows a document
running, or as running again after it read as ended; nothing older than SECONDS is ever shown.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections import defaultdict

from devstack.emulator.jobs import Job


class StaleReads:
    def __init__(self, seconds: float, seed: int | None) -> None:
        self._seconds = seconds
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._states: defaultdict[str, list[tuple[float, Job]]] = defaultdict(list)

    @property
    def enabled(self) -> bool:
        return self._seconds > 0

    def remember(self, job: Job) -> None:
        """Keep the job's state as it is now (called under the store's lock after every change)."""
        if not self.enabled:
            return
        now = time.monotonic()
        state = dataclasses.replace(
            job,
            documents=[dataclasses.replace(record) for record in job.documents],
            sources=[],
            glossary_cache={},
        )
        with self._lock:
            states = self._states[job.id]
            states.append((now, state))
            # keep the newest state older than the window: it is what a read at the window's start shows
            while len(states) > 1 and states[1][0] <= now - self._seconds:
                states.pop(0)

    def view(self, job: Job) -> Job:
        """The job as a read shows it: as it was at a random moment of the last SECONDS (itself when off)."""
        if not self.enabled:
            return job
        with self._lock:
            states = self._states.get(job.id)
            if not states:
                return job
            moment = time.monotonic() - self._random.uniform(0, self._seconds)
            shown = states[0][1]
            for given_at, state in states:
                if given_at > moment:
                    break
                shown = state
            return shown
