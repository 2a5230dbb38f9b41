"""CSV and XLSX files for the teams' exports, safe to open in a spreadsheet.

A CSV cell that starts with = + - @ (or a tab / carriage return) is a formula to Excel
and LibreOffice: "=HYPERLINK(...)" typed by a citizen would run on the team's
machine. Such CSV cells get a leading apostrophe, which spreadsheets show as text.
An XLSX cell says what it holds: every text is written as text, "=..." included
(openpyxl would otherwise make that a formula), so a phone number reads
"+33612345678" there, not "'+33612345678".
"""

import csv
import io
import tempfile

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_table(headers, rows, *, fmt="csv", sheet="Export"):
    """Write the table to a temporary file and return it (opened, at position 0)."""
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.cell.cell import ERROR_CODES, WriteOnlyCell

        workbook = Workbook(write_only=True)
        worksheet = workbook.create_sheet(sheet[:31])

        def cell(value):  # text openpyxl would take for a formula or an error stays text
            if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
                value = WriteOnlyCell(worksheet, value=value)
                value.data_type = "s"
            return value

        worksheet.append([cell(h) for h in headers])
        for row in rows:
            worksheet.append([cell(v) for v in row])
        out = tempfile.TemporaryFile()  # noqa: SIM115 (returned to the caller, who closes it)
        workbook.save(out)
    elif fmt == "csv":
        out = tempfile.TemporaryFile()  # noqa: SIM115 (returned to the caller, who closes it)
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
        writer = csv.writer(text, delimiter=";")
        writer.writerow([safe_cell(h) for h in headers])
        writer.writerows([safe_cell(v) for v in row] for row in rows)
        text.flush()
        text.detach()
    else:
        raise ValueError(f"Unknown export format {fmt!r}: csv or xlsx.")
    out.seek(0)
    return out
