"""The clock of a training run with a time budget: schedule progress and when to stop.

``hyperpino train --time-budget 8m`` must end inside its budget with its model validated, saved
and packed, on any machine, without knowing beforehand how fast a step is. The clock measures what
it needs: the time of a step (an exponential average, data waits included), of a validation and of
a checkpoint, and stops the loop when the next step would eat into the time those final actions
need. Elapsed time carries over a resume, so an interrupted run's schedule continues where it was.
"""

from __future__ import annotations

import time


class TrainClock:
    """``clock.progress()`` in [0, 1] and ``clock.must_stop()`` for a budget of ``budget`` seconds.

    ``started``: ``time.monotonic()`` when this process started working on the run (the CLI's
    start, so imports and set-up count); ``elapsed_before``: seconds of earlier sessions.
    """

    MARGIN = 1.0
    """Seconds kept free beyond the estimates (interpreter exit, a slow file system)."""

    def __init__(self, budget: float | None, started: float | None = None, elapsed_before: float = 0.0):
        self.budget = budget
        self.started = time.monotonic() if started is None else started
        self.elapsed_before = elapsed_before
        self.step_s: float | None = None
        self.validate_s = 0.0
        self.save_s = 1.0  # until a checkpoint was timed: a small model's state file on a local disk

    def elapsed(self) -> float:
        """Seconds of the run so far, earlier sessions included."""
        return self.elapsed_before + time.monotonic() - self.started

    def progress(self) -> float:
        """Fraction of the budget used (0 without a budget)."""
        return min(1.0, self.elapsed() / self.budget) if self.budget else 0.0

    def record_step(self, seconds: float) -> None:
        self.step_s = seconds if self.step_s is None else 0.8 * self.step_s + 0.2 * seconds

    def reserve(self) -> float:
        """Seconds the end of the run needs: a last validation, a checkpoint and the packed model."""
        return self.validate_s + 2.0 * self.save_s + self.MARGIN

    def must_stop(self) -> bool:
        """True when one more step would leave less than :meth:`reserve` of the budget."""
        if not self.budget:
            return False
        step = 1.5 * (self.step_s or 0.0)
        return self.elapsed() + step + self.reserve() >= self.budget


def process_started() -> float:
    """``time.monotonic()`` at this process's start (Linux: from ``/proc``; elsewhere: now), so a
    budget counts the interpreter's start and the imports too."""
    import os

    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            # Field 22 is the start time in clock ticks since boot; the name in field 2 may hold spaces.
            start = int(f.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
        with open("/proc/uptime", encoding="ascii") as f:
            age = float(f.read().split()[0]) - start
    except (OSError, ValueError, IndexError):
        age = 0.0
    return time.monotonic() - min(max(age, 0.0), 60.0)


