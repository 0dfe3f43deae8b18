"""CSV for spreadsheets, with cells that a spreadsheet would run made inert.

A spreadsheet reads a text cell that starts with `=`, `+`, `-` or `@` (and some also one
that starts with a tab or a carriage return) as a formula: an idea titled
`=HYPERLINK("http://…", "…")` would come out of the open data as a live link. Every CSV
the platform writes goes through `csv_writer`, which prefixes such text cells with a single
quote, as OWASP advises. Numbers are written as numbers (a negative count or a coordinate
stays a number); only text is touched. JSON exports are not spreadsheets and keep the text
as it was written.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """The value to write: text a spreadsheet would run gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SpreadsheetWriter:
    """`csv.writer` whose every cell goes through `spreadsheet_cell`."""

    def __init__(self, out: TextIO, lineterminator: str) -> None:
        self._writer = csv.writer(out, lineterminator=lineterminator)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([spreadsheet_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: TextIO, lineterminator: str = "\r\n") -> SpreadsheetWriter:
    """The one way the platform writes CSV (RFC 4180 line ends unless told otherwise)."""
    return SpreadsheetWriter(out, lineterminator)
