"""A chat's tariff: the price per kWh it pays, what people type to set it, and what kWh cost. Pure.

A tariff is euros per kWh, a float (`None`: the chat has none). It is read from what someone
types exactly once, here: `0.25`, `0,25` (Dutch), `€0.25` or `€ 0,25`. Anything else is refused
with the reason, so the reply can say what was wrong and nothing is saved.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final, Literal

#: The highest tariff accepted, in euros per kWh: above it, a typo is far likelier than a price.
MAX_TARIFF: Final = 5.0
#: Decimals a tariff may have (contracts quote up to five: €0,27365 per kWh).
MAX_DECIMALS: Final = 5
#: What switches the tariff off.
OFF_WORDS: Final = frozenset({"off", "uit", "none", "geen"})

Problem = Literal["not_a_number", "not_positive", "too_high", "too_many_decimals"]

_NUMBER: Final = re.compile(r"(-?)\s*€?\s*(-?)\s*(\d+)(?:[.,](\d*))?")


class BadTariff(ValueError):
    """What was typed is no tariff; `problem` says why (the reply names it)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem)
        self.problem: Problem = problem


def parse_tariff(text: str) -> float | None:
    """`0.25`, `0,25`, `€0.25` → 0.25; `off`/`uit` → None; anything else raises BadTariff."""
    cleaned = text.strip().lower()
    if cleaned in OFF_WORDS:
        return None
    match = _NUMBER.fullmatch(cleaned)
    if match is None:
        raise BadTariff("not_a_number")
    minus = match.group(1) or match.group(2)
    whole, decimals = match.group(3), match.group(4) or ""
    if len(decimals) > MAX_DECIMALS:
        raise BadTariff("too_many_decimals")
    try:
        value = Decimal(f"{whole}.{decimals or '0'}")
    except InvalidOperation as err:  # pragma: no cover  (the pattern admits digits only)
        raise BadTariff("not_a_number") from err
    if minus or value <= 0:
        raise BadTariff("not_positive")
    if value > Decimal(str(MAX_TARIFF)):
        raise BadTariff("too_high")
    return float(value)


def cost(kwh: float, tariff: float) -> float:
    """What `kwh` cost at `tariff` euros per kWh, in euros, to the cent, halves up (as a bill).

    Computed on the decimals as written: in binary floats 42.25 × 0.30 is 12.67499…, which
    shows as €12.67 where a bill says €12.68.
    """
    exact = Decimal(str(kwh)) * Decimal(str(tariff))
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def tariff_decimals(tariff: float) -> int:
    """How many decimals show a tariff as it was set: at least two, at most `MAX_DECIMALS`."""
    text = f"{tariff:.{MAX_DECIMALS}f}".rstrip("0")
    return max(2, len(text.partition(".")[2]))
