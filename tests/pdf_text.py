"""Reading a PDF the bot made back as text, the way a person reads the page."""

from __future__ import annotations

import io


def pdf_pages(content: bytes) -> list[str]:
    """Each page's text, runs of whitespace made one space."""
    # Imported here: every test process collects the modules that import this one, and pypdf
    # costs ~0.3 s of CPU to import, for the few tests that read a PDF.
    from pypdf import PdfReader

    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def pdf_text(content: bytes) -> str:
    """The whole document's text, pages one after the other."""
    return " ".join(pdf_pages(content))
