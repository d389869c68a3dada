"""Reading back the PDFs the app writes with poppler-utils (pdftotext, pdfimages). A test
that needs a missing tool is skipped with the command that installs it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Final

import pytest

#: Text that must print as typed: markup, entities, control bytes and a bidi override.
HOSTILE: Final = "<b>not bold</b> & <para>\x00\x1b[2J</para> &amp; ]]> \u202ereversed"


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed; "
                    "`bash scripts/bootstrap.sh --test` installs it")
    return path


def pdf_file_text(path: Path, mode: str = "-layout") -> str:
    """The PDF's text as laid out on the page (`-layout`), or in drawing order (`-raw`:
    a table row's cells one after the other, even where a cell wraps)."""
    return subprocess.run([poppler("pdftotext"), mode, str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def pdf_text(pdf: bytes, tmp_path: Path, mode: str = "-layout") -> str:
    """`pdf_file_text` of PDF bytes (written to a file in `tmp_path` first)."""
    source = tmp_path / "read-back.pdf"
    source.write_bytes(pdf)
    return pdf_file_text(source, mode)


def one_line(text: str) -> str:
    """The text with every run of whitespace as one space: a phrase wrapped over two lines,
    or spread by the layout, still reads as a phrase."""
    return " ".join(text.split())
