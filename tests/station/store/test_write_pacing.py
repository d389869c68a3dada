"""The pacing of a long job's write transactions (station.store.write_pacing): the rest after a
transaction lets a writer that is backing off as SQLite's busy handler does get in, and
the garbage collector never runs while the job holds the write lock."""

from __future__ import annotations

import gc
import time

import pytest

from station.store.write_pacing import ChunkPacer, long_job, writer_gap_s

#: When a writer waiting with SQLite's default busy handler tries again (ms after its
#: first try): sqliteDefaultBusyCallback's delays, the last one repeating.
_RETRIES_MS = [0, 1, 3, 8, 18, 33, 53, 78, 103, 128, 178, 228,
               *range(328, 5000, 100)]


@pytest.mark.parametrize("held_ms", [0.5, 2, 7, 15, 25, 40, 50, 53, 60, 80, 120, 400])
def test_a_writer_who_began_waiting_during_a_transaction_tries_again_during_the_rest(
        held_ms: float) -> None:
    gap_ms = writer_gap_s(held_ms / 1000) * 1000
    for tenth in range(int(held_ms * 10) + 1):
        arrived = tenth / 10  # ms into the transaction
        tries = [arrived + retry for retry in _RETRIES_MS]
        assert any(held_ms <= at < held_ms + gap_ms for at in tries), (held_ms, arrived)


def test_the_rest_is_short_after_a_short_transaction() -> None:
    assert writer_gap_s(0.0005) < 0.005
    assert writer_gap_s(0.04) < 0.025  # the target length: a rest of about half of it
    assert writer_gap_s(10.0) <= 0.105


def test_the_next_transaction_waits_for_the_rest_and_work_between_counts() -> None:
    pacer = ChunkPacer()
    with pacer.timed():
        time.sleep(0.04)
    ended = time.perf_counter()
    with pacer.timed():
        started = time.perf_counter()
    assert started - ended >= writer_gap_s(0.04) - 0.001

    with pacer.timed():
        pass
    time.sleep(0.03)  # other work, longer than the rest after a short transaction
    before = time.perf_counter()
    with pacer.timed():
        started = time.perf_counter()
    assert started - before < 0.005


def test_no_collection_while_a_transaction_runs_and_the_collector_is_left_as_found() -> None:
    pacer = ChunkPacer()
    assert gc.isenabled()
    with pacer.timed():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with pacer.timed():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_long_job_keeps_what_was_alive_out_of_collections_until_it_ends() -> None:
    assert gc.get_freeze_count() == 0
    with long_job():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
