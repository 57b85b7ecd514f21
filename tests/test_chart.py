"""The /stats chart: missing months are drawn as 0, a long history becomes yearly bars, and the
picture is a real PNG of a phone-friendly size. Pure: figures in, bytes out."""

from __future__ import annotations

import pytest

from bot.core import chart
from bot.core.chart import (
    Bar,
    ChartText,
    MonthFigures,
    all_time,
    bar_labels,
    draw_chart,
    last_months,
    month_keys,
)
from bot.core.text.catalog import chart_text
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
    assert png[25] == 2  # colour type 2, RGB: no alpha channel, nothing on a chart is see-through


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


def _words_as_drawn(bars: list[Bar], text: ChartText, monkeypatch) -> tuple[object, list]:
    """The figure and every text matplotlib draws on it, each with the box it covers."""
    figure = chart.chart_figure(bars, text, "nl")
    renderer = figure.canvas.get_renderer()
    drawn: list = []
    real = renderer.draw_text

    def recording(*args, mtext=None, **kwargs):  # one call per line of a text
        if mtext is not None and mtext not in drawn:
            drawn.append(mtext)
        return real(*args, mtext=mtext, **kwargs)

    monkeypatch.setattr(renderer, "draw_text", recording)
    figure.draw(renderer)
    return figure, [(t.get_text(), t.get_window_extent(renderer)) for t in drawn]


LONG_LEGEND = ChartText(
    "Laden per maand, alle laadpalen van de familie",
    "kWh",
    "ERE-credits",
    "al het laden, ook wat geen ERE-credits oplevert",
    "levert ERE-credits op (MID-gemeten laadsessies)",
    "kWh geladen",
    "ERE-credits per maand, na de vergoeding van Joulo",
    "tot nu toe",
)


def _split_months(kwh: float, credits: float, this_month: str, count: int = 12) -> list[Bar]:
    """`count` months up to `this_month` of `kwh` a month, all of it ERE, and `credits`: all
    time's bars when the history is that long."""
    keys = chart.month_keys(this_month, count)
    return all_time([MonthFigures(k, kwh, credits, kwh) for k in keys], this_month, "nl")


@pytest.mark.parametrize(
    ("bars", "text"),
    [
        # 20.000 kWh months (the widest tick labels) and credits in the thousands, the running
        # month a January (three lines under it), the Dutch legend with all three entries.
        (_split_months(20_000.0, 6_600.0, "2026-01"), chart_text("nl")),
        # Words too long for one row of the legend, or for the title to be short.
        (_split_months(250.0, 80.0, "2026-04"), LONG_LEGEND),
        # All time with a longer history: more bars, so less room for each month's name.
        (_split_months(1_250.0, 400.0, "2026-04", 14), chart_text("nl")),
        (_split_months(20_000.0, 6_600.0, "2026-01", 24), chart_text("nl")),
    ],
    ids=["20000-kwh-january", "long-legend", "14-months", "24-months"],
)
def test_every_word_on_the_chart_is_inside_the_picture_and_none_covers_another(
    bars: list[Bar], text: ChartText, monkeypatch
) -> None:
    figure, words = _words_as_drawn(bars, text, monkeypatch)

    picture = figure.bbox
    shown = {word for word, _ in words}
    assert {text.title, text.kwh_axis, text.credits_axis, text.ere_legend} <= shown
    for word, box in words:
        assert picture.x0 <= box.x0, f"{word!r} is cut off on the left"
        assert box.x1 <= picture.x1, f"{word!r} is cut off on the right"
        assert picture.y0 <= box.y0, f"{word!r} is cut off at the bottom"
        assert box.y1 <= picture.y1, f"{word!r} is cut off at the top"
    for i, (word, box) in enumerate(words):
        for other, other_box in words[i + 1 :]:
            assert not box.overlaps(other_box), f"{word!r} covers {other!r}"
    plot = figure.axes[0].bbox  # and the bars still get most of the picture
    assert plot.width > 0.7 * picture.width
    assert plot.height > 0.55 * picture.height


def test_a_long_history_names_every_other_month_and_keeps_each_year() -> None:
    labels = bar_labels(_split_months(30.0, 9.0, "2026-02", 24), chart_text("nl"))

    assert len(labels) == 24
    assert labels[:4] == ["", "apr\n2024", "", "jun"]  # March 2024's year moves on to April
    assert labels[10:12] == ["", "feb\n2025"]  # and January 2025's to February
    assert labels[-1] == "feb\n2026\ntot nu toe"  # the running month is always named
