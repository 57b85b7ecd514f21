"""The `/stats` picture: kWh per month (or year) as bars, ERE credits alongside; PNG out.

matplotlib is imported inside `draw_chart`, on first use, with a headless Agg canvas and its
object-oriented API (no pyplot, no global figure state): a bot that never draws a chart never
pays for the import. The axes are placed by one measurement of the words around them (`_fit`),
not by matplotlib's constrained layout, which cost a quarter of a chart's CPU. The series
builders above it are plain arithmetic and need no matplotlib.
matplotlib is not thread-safe, and /stats draws its charts in worker threads (the monthly digest
is text only): one lock lets one chart be drawn at a time. The last few charts are
kept: a family pressing the period buttons back and forth, or asking /stats twice within the
ten minutes Joulo's figures are cached, gets the same picture without drawing it again.
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from bot.core.text.format import Language, fmt_number, month_abbreviation

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend
    from matplotlib.text import Text

#: Pixels = inches × DPI: 1200 × 780, sharp on a phone and small enough to send quickly.
FIGURE_INCHES: Final = (8.0, 5.2)
DPI: Final = 150
#: Space between the picture's edge and the nearest word, and between the title and the legend.
_PAD_POINTS: Final = 3.0
#: Above this many months, "all time" draws one bar per year instead of one per month.
MAX_MONTH_BARS: Final = 24
#: Above this many bars, every other bar is named (the names are otherwise too close to read).
MAX_LABELLED_BARS: Final = 14

_KWH_COLOUR: Final = "#2e7d32"
_ALL_COLOUR: Final = "#a5d6a7"
_CREDITS_COLOUR: Final = "#ef6c00"
#: One chart at a time, whichever thread draws it (see the module docstring).
_DRAWING: Final = threading.Lock()
#: Charts kept after drawing (about 75 KB each), most recently asked first.
CHARTS_KEPT: Final = 16


@dataclass(frozen=True)
class MonthFigures:
    """One month's figures as the chart needs them; `kwh_all` is None when Joulo has no `*_all`."""

    month: str  # YYYY-MM
    kwh: float
    credits: float
    kwh_all: float | None = None


@dataclass(frozen=True)
class Bar:
    """One bar of the chart: its label, all charging, the ERE part (if known), credits."""

    label: str
    kwh: float
    credits: float
    ere_kwh: float | None = None
    #: The running month (or year): what it is so far, drawn hatched and without a credits point
    #: (Joulo credits a month after it ends, so its credits would read as a dive to zero).
    so_far: bool = False


@dataclass(frozen=True)
class ChartText:
    """The words on the chart, already in the chat's language."""

    title: str
    kwh_axis: str
    credits_axis: str
    all_legend: str
    ere_legend: str
    kwh_legend: str
    credits_legend: str
    #: Under the running month's label: "so far".
    so_far: str = ""


def _month_index(key: str) -> int:
    """`YYYY-MM` as a count of months, so that consecutive months differ by one."""
    return int(key[:4]) * 12 + int(key[5:7]) - 1


def month_keys(last: str, count: int) -> list[str]:
    """`count` consecutive `YYYY-MM` keys ending with `last`, oldest first."""
    index = _month_index(last)
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def _summed(months: Iterable[MonthFigures]) -> dict[str, MonthFigures]:
    """Months by key, adding up figures of several accounts for the same month."""
    totals: dict[str, MonthFigures] = {}
    for figures in months:
        seen = totals.get(figures.month)
        if seen is None:
            totals[figures.month] = figures
            continue
        kwh_all = (
            seen.kwh_all + figures.kwh_all
            if seen.kwh_all is not None and figures.kwh_all is not None
            else None
        )
        totals[figures.month] = MonthFigures(
            figures.month, seen.kwh + figures.kwh, seen.credits + figures.credits, kwh_all
        )
    return totals


def _bar(
    label: str, figures: Sequence[MonthFigures], with_all: bool, *, so_far: bool = False
) -> Bar:
    kwh = sum(f.kwh for f in figures)
    credits = sum(f.credits for f in figures)
    if not with_all:
        return Bar(label, kwh, credits, so_far=so_far)
    kwh_all = sum(f.kwh_all if f.kwh_all is not None else f.kwh for f in figures)
    return Bar(label, kwh_all, credits, ere_kwh=kwh, so_far=so_far)


def bar_labels(bars: Sequence[Bar], text: ChartText) -> list[str]:
    """The labels under the bars; the running month's says "so far".

    Above `MAX_LABELLED_BARS` bars only every other bar is named, counting back from the last,
    since neighbouring names would run into each other; the year a skipped January carried goes
    under the next name shown.
    """
    labels = [bar.label for bar in bars]
    if len(bars) > MAX_LABELLED_BARS:
        carried = ""
        for index, label in enumerate(labels):
            name, _, year = label.partition("\n")
            year = year or carried
            if (len(labels) - 1 - index) % 2:
                labels[index], carried = "", year
            else:
                labels[index], carried = (f"{name}\n{year}" if year else name), ""
    return [
        f"{label}\n{text.so_far}" if bar.so_far else label
        for label, bar in zip(labels, bars, strict=True)
    ]


def credit_points(bars: Sequence[Bar]) -> list[float]:
    """The credits line's points; the running month has none (NaN leaves a gap)."""
    return [float("nan") if bar.so_far else bar.credits for bar in bars]


def month_label(key: str, lang: Language, *, with_year: bool) -> str:
    """`apr` / `mrt`, with the year on a second line where a year starts."""
    name = month_abbreviation(int(key[5:7]), lang)
    return f"{name}\n{key[:4]}" if with_year else name


def last_months(
    months: Iterable[MonthFigures], this_month: str, lang: Language, count: int = 12
) -> list[Bar]:
    """One bar per month for the `count` months up to the running `this_month` (marked so far);
    months without data are 0."""
    totals = _summed(months)
    with_all = any(f.kwh_all is not None for f in totals.values())
    bars = []
    for position, key in enumerate(month_keys(this_month, count)):
        figures = totals.get(key)
        label = month_label(key, lang, with_year=position == 0 or key.endswith("-01"))
        bars.append(_bar(label, [figures] if figures else [], with_all, so_far=key == this_month))
    return bars


def all_time(months: Iterable[MonthFigures], this_month: str, lang: Language) -> list[Bar]:
    """Every month since the first one with data (one bar per year when that is too many)."""
    totals = _summed(months)
    keys = [key for key in totals if key <= this_month]
    if not keys:
        return last_months(totals.values(), this_month, lang)
    first = min(keys)
    span = _month_index(this_month) - _month_index(first)
    if span + 1 <= MAX_MONTH_BARS:
        return last_months(totals.values(), this_month, lang, count=max(span + 1, 12))
    with_all = any(f.kwh_all is not None for f in totals.values())
    years = range(int(first[:4]), int(this_month[:4]) + 1)
    return [
        _bar(
            str(year),
            [f for k, f in totals.items() if k.startswith(f"{year}-")],
            with_all,
            so_far=str(year) == this_month[:4],
        )
        for year in years
    ]


def draw_chart(bars: Sequence[Bar], text: ChartText, lang: Language) -> bytes:
    """The chart as PNG bytes: kWh bars on the left axis, credits as a line on the right.

    The same bars and words give the same picture, so a chart asked again is not redrawn.
    """
    return _drawn(tuple(bars), text, lang)


@functools.lru_cache(maxsize=CHARTS_KEPT)
def _drawn(bars: tuple[Bar, ...], text: ChartText, lang: Language) -> bytes:
    with _DRAWING:
        return _draw(bars, text, lang)


def _draw(bars: Sequence[Bar], text: ChartText, lang: Language) -> bytes:
    from PIL import Image

    canvas = _canvas(bars, text, lang)
    canvas.draw()  # type: ignore[no-untyped-call]
    # Saved by Pillow rather than savefig: without the alpha channel (nothing on the chart is
    # see-through) and at a lighter compression, the PNG takes half the time to encode (~25
    # instead of ~55 ms here) at about the same size.
    rgba = canvas.buffer_rgba()  # type: ignore[no-untyped-call]
    picture = Image.frombuffer("RGBA", canvas.get_width_height(), rgba, "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, format="png", compress_level=3, dpi=(DPI, DPI))
    return buffer.getvalue()


def chart_figure(bars: Sequence[Bar], text: ChartText, lang: Language) -> Figure:
    """The chart as a laid-out matplotlib figure on an Agg canvas, ready to draw."""
    return _canvas(bars, text, lang).figure


def _canvas(bars: Sequence[Bar], text: ChartText, lang: Language) -> FigureCanvasAgg:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
    canvas = FigureCanvasAgg(figure)
    kwh_axis = figure.add_subplot()
    positions = list(range(len(bars)))
    labels = bar_labels(bars, text)
    split = any(bar.ere_kwh is not None for bar in bars)
    width = 0.7 if len(bars) <= 24 else 0.85
    series = (
        [
            ([b.kwh for b in bars], width, _ALL_COLOUR, text.all_legend),
            ([b.ere_kwh or 0.0 for b in bars], width * 0.6, _KWH_COLOUR, text.ere_legend),
        ]
        if split
        else [([b.kwh for b in bars], width, _KWH_COLOUR, text.kwh_legend)]
    )
    for heights, bar_width, colour, legend in series:
        _add_bars(kwh_axis, bars, heights, width=bar_width, colour=colour, legend=legend)
    credits_axis = kwh_axis.twinx()
    credits_axis.plot(
        positions,
        credit_points(bars),
        color=_CREDITS_COLOUR,
        marker="o",
        linewidth=2.5,
        markersize=7,
        label=text.credits_legend,
    )
    number = FuncFormatter(lambda value, _: fmt_number(value, lang, 0))
    for axis, label, colour, top in (
        (kwh_axis, text.kwh_axis, "#1b1b1b", max((b.kwh for b in bars), default=0.0)),
        (
            credits_axis,
            text.credits_axis,
            _CREDITS_COLOUR,
            max((b.credits for b in bars), default=0.0),
        ),
    ):
        axis.set_ylabel(label, fontsize=15, color=colour)
        axis.yaxis.set_major_formatter(number)
        axis.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        axis.tick_params(axis="y", labelsize=13, colors=colour)
        axis.set_ylim(0, max(top * 1.15, 1.0))
        axis.spines["top"].set_visible(False)
    kwh_axis.set_xticks(positions, labels, fontsize=12 if len(bars) <= MAX_LABELLED_BARS else 10)
    kwh_axis.set_xlim(-0.6, len(bars) - 0.4)
    kwh_axis.grid(axis="y", alpha=0.3)
    title = figure.suptitle(text.title, fontsize=18, fontweight="bold", x=0.02, ha="left")
    handles, names = kwh_axis.get_legend_handles_labels()
    more_handles, more_names = credits_axis.get_legend_handles_labels()
    entries = (handles + more_handles, names + more_names)
    _fit(
        figure,
        title,
        (kwh_axis, credits_axis),
        lambda columns: kwh_axis.legend(
            *entries,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncols=columns,
            fontsize=12,
            frameon=False,
        ),
    )
    return canvas


def _add_bars(
    axis: Axes,
    bars: Sequence[Bar],
    heights: Sequence[float],
    *,
    width: float,
    colour: str,
    legend: str,
) -> None:
    """One series of bars, as one artist: the running month's hatched (what it is so far).

    `Axes.bar` makes an artist per bar, each with its own properties and data limits: ~1 ms of
    CPU a bar, 24 of them on a chart with the ERE part. A `PolyCollection` of rectangles looks
    the same (and the same in the legend) and costs a fraction of that.
    """
    from matplotlib.collections import PolyCollection

    def rectangles(so_far: bool) -> list[list[tuple[float, float]]]:
        half = width / 2
        return [
            [(x - half, 0.0), (x - half, height), (x + half, height), (x + half, 0.0)]
            for x, (bar, height) in enumerate(zip(bars, heights, strict=True))
            if bar.so_far == so_far
        ]

    axis.add_collection(
        PolyCollection(rectangles(False), facecolors=colour, edgecolors="none", label=legend),
        autolim=False,
    )
    if any(bar.so_far for bar in bars):
        axis.add_collection(
            PolyCollection(
                rectangles(True), facecolors=colour, edgecolors="white", linewidths=1.0, hatch="//"
            ),
            autolim=False,
        )


def _fit(
    figure: Figure,
    title: Text,
    axes: tuple[Axes, Axes],
    legend: Callable[[int], Legend],
) -> None:
    """Place the axes so that every word on the chart is inside the picture, measured once.

    matplotlib's constrained layout does the same but measures everything twice and draws the
    whole figure once more before saving (a quarter of a chart's CPU). Here the words around the
    axes are measured once with the renderer that will draw them: how far tick labels and axis
    labels stick out on each side, the legend above the axes, the title above that. None of
    these depends on the size of the axes (the number of ticks is fixed), so one measure places
    the axes for good. A legend wider than the picture is given fewer columns (more rows).
    """
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    pad = _PAD_POINTS * DPI / 72
    width, height = figure.bbox.width, figure.bbox.height
    box = axes[0].get_window_extent(renderer)
    # Tick labels and axis labels only: the legend is measured on its own below.
    around = [
        bbox for a in axes if (bbox := a.get_tightbbox(renderer, bbox_extra_artists=[])) is not None
    ]
    left = box.x0 - min(b.x0 for b in around)
    right = max(b.x1 for b in around) - box.x1
    below = box.y0 - min(b.y0 for b in around)
    above = max(b.y1 for b in around) - box.y1
    title_box = title.get_window_extent(renderer)
    room = width - 2 * pad - left  # from the axes' left edge to the picture's right edge
    columns = 3
    while True:
        drawn = legend(columns).get_window_extent(renderer)
        if drawn.x1 - box.x0 <= room or columns == 1:
            break
        columns -= 1
    top = min(title_box.y0 - pad - (drawn.y1 - box.y1), height - pad - above)
    figure.subplots_adjust(
        left=(pad + left) / width,
        right=1 - (pad + right) / width,
        bottom=(pad + below) / height,
        top=top / height,
    )
