"""The bench locks after the configured idle time, and any use restarts the count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from station_bench import ManualClock

from station.people.idle import IdleTimer


def test_the_station_locks_only_after_the_idle_time_without_use() -> None:
    clock = ManualClock(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    idle = IdleTimer(timedelta(minutes=5), clock)
    clock.advance(minutes=4, seconds=59)
    assert not idle.expired()
    idle.touch()
    clock.advance(minutes=4)
    assert not idle.expired()
    clock.advance(minutes=1)
    assert idle.expired()
