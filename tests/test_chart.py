"""The /stats chart: missing months are drawn as 0, a long history becomes yearly bars, and the
picture is a real PNG of a phone-friendly size. Pure: figures in, bytes out."""

from __future__ import annotations

from bot.core import chart
from bot.core.chart import (
    Bar,
    ChartText,
    MonthFigures,
    all_time,
    draw_chart,
    last_months,
    month_keys,
)
from tests.story import png_size

TEXT = ChartText("Charging per month", "kWh", "ERE credits", "all", "ERE", "kWh", "ERE credits")


def test_month_keys_run_across_a_new_year() -> None:
    assert month_keys("2026-02", 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_twelve_months_end_this_month_and_missing_months_are_zero() -> None:
    months = [MonthFigures("2026-04", 30.0, 9.9), MonthFigures("2025-06", 12.5, 4.1)]

    bars = last_months(months, "2026-04", "en")

    assert len(bars) == 12
    assert bars[0].label == "May\n2025"
    assert bars[-1] == Bar("Apr", 30.0, 9.9, so_far=True)  # this month: what it is so far
    assert bars[1] == Bar("Jun", 12.5, 4.1)
    assert [b.kwh for b in bars[2:-1]] == [0.0] * 9
    assert bars[8].label == "Jan\n2026"


def test_dutch_bars_have_dutch_month_names() -> None:
    labels = [b.label for b in last_months([], "2026-05", "nl")]
    assert labels[-3:] == ["mrt", "apr", "mei"]


def test_several_accounts_add_up_and_the_ere_part_shows_when_joulo_splits_it() -> None:
    months = [
        MonthFigures("2026-04", 30.0, 9.9, kwh_all=35.0),
        MonthFigures("2026-04", 10.0, 3.3, kwh_all=10.0),
    ]

    bar = last_months(months, "2026-04", "en")[-1]

    assert bar == Bar("Apr", 45.0, 13.2, ere_kwh=40.0, so_far=True)


def test_all_time_with_a_long_history_draws_one_bar_per_year() -> None:
    months = [MonthFigures("2022-03", 5.0, 1.0), MonthFigures("2026-01", 20.0, 6.0)]
    months += [MonthFigures("2026-02", 22.0, 7.0)]

    bars = all_time(months, "2026-04", "en")

    assert [b.label for b in bars] == ["2022", "2023", "2024", "2025", "2026"]
    assert bars[-1].kwh == 42.0
    assert bars[1].kwh == 0.0


def test_all_time_with_a_short_history_is_at_least_twelve_months() -> None:
    bars = all_time([MonthFigures("2026-03", 5.0, 1.0)], "2026-04", "en")
    assert len(bars) == 12


def test_the_chart_is_a_png_readable_on_a_phone() -> None:
    bars = last_months([MonthFigures("2026-04", 30.0, 9.9, 33.0)], "2026-04", "nl")

    png = draw_chart(bars, TEXT, "nl")

    width, height = png_size(png)
    assert (width, height) == (1200, 780)
    assert 10_000 < len(png) < 500_000


def test_an_empty_history_still_draws() -> None:
    png = draw_chart(last_months([], "2026-04", "en"), TEXT, "en")
    assert png_size(png) == (1200, 780)


def test_a_chart_asked_again_is_not_drawn_again_but_other_figures_are(monkeypatch) -> None:
    drawn: list[int] = []
    real = chart._draw

    def counting(bars, text, lang):
        drawn.append(len(bars))
        return real(bars, text, lang)

    monkeypatch.setattr(chart, "_draw", counting)
    chart._drawn.cache_clear()
    bars = last_months([MonthFigures("2026-04", 30.0, 9.9)], "2026-04", "en")
    more = last_months([MonthFigures("2026-04", 31.0, 9.9)], "2026-04", "en")

    first = draw_chart(bars, TEXT, "en")
    assert draw_chart(list(bars), TEXT, "en") == first
    assert draw_chart(more, TEXT, "en") != first
    draw_chart(bars, TEXT, "nl")  # Dutch numbers: drawn anew

    assert len(drawn) == 3
