"""Helpers for Pilot tests."""

from __future__ import annotations


async def wait_for(pilot, condition, timeout: float = 30.0) -> None:
    """Wait on the app's own progress (workers, messages), checking a condition."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app did not get there in time")
