"""The `/statement` PDF: an A4 page (more when the month has more sessions) laid out from a
`StatementPage`; bytes out.

fpdf2 is imported inside `draw_statement`, on first use: a bot that never makes a statement never
pays for the import. Its built-in fonts are Latin-1 only (no "€"), so the page embeds DejaVu
Sans, which matplotlib (a dependency already) ships; it is found without importing matplotlib.
A character the font has no glyph for (an emoji in a name) is left out rather than printed as
an empty box. Rows that do not fit continue on the next page under the repeated column heads.
"""

from __future__ import annotations

import importlib.util
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from bot.core.statement import StatementPage

if TYPE_CHECKING:
    from fpdf import FPDF

_FONT: Final = "DejaVu"
_MARGIN: Final = 15.0
#: Column widths in mm (A4 is 210 wide, 180 inside the margins), in `StatementPage.columns` order.
_WIDTHS: Final = (22.0, 29.0, 13.0, 19.0, 17.0, 17.0, 23.0, 40.0)
#: Columns with figures, aligned right.
_RIGHT: Final = frozenset({4, 6})
_SPACES: Final = re.compile(r" {2,}")
_GREY: Final = (110, 110, 110)
_HEAD_FILL: Final = (232, 240, 233)


class FontMissing(RuntimeError):
    """matplotlib's copy of DejaVu Sans is not where it should be."""


def font_dir() -> Path:
    """The folder holding matplotlib's DejaVu Sans (matplotlib itself is not imported)."""
    spec = importlib.util.find_spec("matplotlib")
    locations = spec.submodule_search_locations if spec is not None else None
    if not locations:
        raise FontMissing("matplotlib is not installed, so DejaVu Sans cannot be found")
    folder = Path(next(iter(locations))) / "mpl-data" / "fonts" / "ttf"
    if not (folder / "DejaVuSans.ttf").is_file():
        raise FontMissing(f"DejaVuSans.ttf is not in {folder}")
    return folder


def _printable(pdf: FPDF, text: str) -> str:
    """`text` without the characters the current font cannot draw, spaces tidied."""
    cmap = pdf.current_font.cmap  # type: ignore[union-attr]
    kept = "".join(ch for ch in text if ch in "\n " or ord(ch) in cmap)
    return _SPACES.sub(" ", kept).strip() if kept != text else text


def draw_statement(page: StatementPage, made_at: datetime) -> bytes:
    """The statement as PDF bytes. Pure apart from reading the font; safe in a worker thread."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    fonts = font_dir()
    footer_template = page.page_of

    class _Statement(FPDF):
        def footer(self) -> None:
            self.set_y(-_MARGIN)
            self.set_font(_FONT, size=7.5)
            self.set_text_color(*_GREY)
            numbers = footer_template.format(page=self.page_no(), pages="{nb}")
            self.cell(0, 4, _printable(self, page.title), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 4, numbers, align="R")

    pdf = _Statement(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=_MARGIN + 5)
    pdf.add_font(_FONT, "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font(_FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_title(page.title)
    pdf.set_author(page.author)
    pdf.set_creator(page.author)
    pdf.set_creation_date(made_at)
    pdf.add_page()

    pdf.set_font(_FONT, "B", 16)
    pdf.cell(0, 9, _printable(pdf, page.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    label_width = 38.0
    for label, value in page.facts:
        pdf.set_font(_FONT, "B", 10)
        pdf.cell(label_width, 6, _printable(pdf, label))
        pdf.set_font(_FONT, "", 10)
        pdf.multi_cell(0, 6, _printable(pdf, value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)

    pdf.set_font(_FONT, "", 8.5)
    pdf.set_draw_color(200, 200, 200)
    with pdf.table(
        col_widths=_WIDTHS,
        width=sum(_WIDTHS),
        line_height=5,
        text_align=tuple("RIGHT" if i in _RIGHT else "LEFT" for i in range(len(_WIDTHS))),
        headings_style=_heading_style(),
        repeat_headings=1,
        borders_layout="HORIZONTAL_LINES",
        padding=(0.8, 1.2),
    ) as table:
        table.row([_printable(pdf, column) for column in page.columns])
        for row in page.rows:
            table.row([_printable(pdf, cell) for cell in row])
    pdf.ln(5)

    value_width = 45.0
    for label, value in page.totals:
        pdf.set_font(_FONT, "", 10)
        pdf.cell(sum(_WIDTHS) - value_width, 6, _printable(pdf, label), align="R")
        pdf.set_font(_FONT, "B", 10)
        pdf.cell(value_width, 6, _printable(pdf, value), align="R")
        pdf.ln(6)
    pdf.ln(3)
    pdf.set_font(_FONT, "", 8)
    pdf.set_text_color(*_GREY)
    for note in (*page.notes, page.made):
        pdf.multi_cell(0, 4, _printable(pdf, note), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    return bytes(pdf.output())


def _heading_style() -> object:
    from fpdf.fonts import FontFace

    return FontFace(family=_FONT, emphasis="BOLD", fill_color=_HEAD_FILL)
