"""The bot collects cyclic garbage rarely and never walks what start-up built.

Pins down: `tune_gc` freezes every object that exists when it is called (the collector never
looks at them again) and raises the collector's first threshold to `GC_THRESHOLD`, keeping the
other two.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.app import GC_THRESHOLD, tune_gc


@pytest.fixture
def restored_gc() -> Iterator[None]:
    """The collector as it was: the suite's other tests run with Python's defaults."""
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("restored_gc")
def test_start_up_objects_are_frozen_and_collections_are_rare() -> None:
    built_at_start_up = {"a": ["long", "lived"]}
    _, second, third = gc.get_threshold()

    tune_gc()

    assert gc.get_threshold() == (GC_THRESHOLD, second, third)
    assert gc.get_freeze_count() > 0
    assert not any(built_at_start_up is thing for thing in gc.get_objects())
