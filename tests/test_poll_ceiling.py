"""50,000 households at a 60 s interval behind a 200 ms Joulo can be polled once per interval.

Pins down: the polls in flight follow Little's law with headroom (polls a second x seconds per
poll x 2) up to a ceiling of 1,000 (the old ceiling of 128 allowed 640 polls a second at
200 ms; 50,000 households need 833 a second, 1,111 while the polls are spread over 3/4 of
the interval), and the ceiling is lowered only by the open-file limit, which the bot first
raises towards the hard limit (many systems start a process at a soft limit of 1,024).
"""

from __future__ import annotations

import resource

import pytest

from bot.config import Settings
from bot.poller import MAX_CONCURRENCY, MIN_CONCURRENCY, derived_concurrency
from bot.services import RESERVED_FILES, SPARE_CONNECTIONS, joulo_connections, open_file_limit

INFINITY = resource.RLIM_INFINITY


def test_fifty_thousand_households_at_200_ms_get_the_polls_in_flight_they_need() -> None:
    # 50,000 / 45 s = 1,111 polls a second x 0.2 s = 222 in flight on average, 444 with headroom
    assert derived_concurrency(50_000, 60.0, 0.2) == 445
    assert derived_concurrency(50_000, 60.0, 0.2) > 128


def test_the_polls_in_flight_stay_within_their_bounds() -> None:
    assert derived_concurrency(10, 60.0, 0.05) == MIN_CONCURRENCY
    assert derived_concurrency(500_000, 60.0, 0.2) == MAX_CONCURRENCY == 1000
    assert derived_concurrency(50_000, 60.0, 0.2, ceiling=300) == 300


@pytest.mark.parametrize(
    ("wanted", "soft", "hard", "limit"),
    [
        (1096, 1024, 524_288, 1096),  # raised to what is wanted
        (1096, 1024, 2048, 1096),
        (1096, 1024, 1024, 1024),  # the hard limit holds it: polls in flight are fewer
        (1096, 800, 1000, 1000),
        (1096, 65_536, 524_288, 65_536),  # never lowered
        (1096, INFINITY, INFINITY, INFINITY),
        (1096, 1024, INFINITY, 1096),
    ],
)
def test_the_open_file_limit_is_raised_towards_the_hard_limit_never_lowered(
    wanted: int, soft: int, hard: int, limit: int
) -> None:
    assert open_file_limit(wanted, soft, hard) == limit


def test_a_soft_limit_of_256_open_files_is_raised_for_1000_polls_in_flight(
    settings: Settings,
) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MAX_CONCURRENCY + SPARE_CONNECTIONS
    if hard != INFINITY and hard < wanted + RESERVED_FILES:
        pytest.skip(f"the hard open-file limit ({hard}) is below what the test raises to")
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    try:
        assert joulo_connections(settings) == wanted
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == wanted + RESERVED_FILES
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
