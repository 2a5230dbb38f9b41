"""CSV and XLSX files for the teams' exports, safe to open in a spreadsheet.

A CSV cell that starts with = + - @ (or a tab / carriage return) is a formula to Excel
and LibreOffice: "=HYPERLINK(...)" typed by a citizen would run on the team's
machine. Such CSV cells get a leading apostrophe, which spreadsheets show as text.
An XLSX cell says what it holds: every text is written as a text cell, "=..." and
"#N/A" included, so a phone number reads "+33612345678" there, not "'+33612345678".

The XLSX files are written here, as a stream of XML into the zip: a worksheet of
inline-string cells, the smallest package Excel and LibreOffice open. openpyxl's
write-only mode took 12 s per 100,000 rows of 21 columns (two minutes for a voter
file), this 1.5 s; and openpyxl refused what a citizen or a team may type: a
control character (Word's line break, \x0b) in a text, a ":" or "?" in a sheet's
title (a step's), each failing the whole export.
"""

import csv
import io
import math
import re
import tempfile
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_table(headers, rows, *, fmt="csv", sheet="Export"):
    """Write the table to a temporary file and return it (opened, at position 0)."""
    if fmt == "xlsx":
        out = tempfile.TemporaryFile()  # noqa: SIM115 (returned to the caller, who closes it)
        write_xlsx(out, headers, rows, sheet=sheet)
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


# Characters XML 1.0 cannot hold (control characters but tab and line breaks, and two
# non-characters): dropped. \r is kept as a character reference, which XML readers
# would otherwise turn into \n.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# The namespaces of a workbook's parts (the import reads them too: crm.importing.sniff).
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PACKAGE_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_RELS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PACKAGE = {
    "[Content_Types].xml": f"""<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/></Types>""",
    "_rels/.rels": f"""<Relationships xmlns="{PACKAGE_RELS_NS}">\
<Relationship Id="rId1" Type="{OFFICE_RELS_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>""",
    "xl/_rels/workbook.xml.rels": f"""<Relationships xmlns="{PACKAGE_RELS_NS}">\
<Relationship Id="rId1" Type="{OFFICE_RELS_NS}/worksheet" Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" Type="{OFFICE_RELS_NS}/styles" Target="styles.xml"/></Relationships>""",
    "xl/styles.xml": f"""<styleSheet xmlns="{MAIN_NS}">\
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>""",
}
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def sheet_title(title):
    """A worksheet's name as Excel takes it: at most 31 characters, none of []:*?/\\,
    not starting or ending with an apostrophe."""
    title = _SHEET_TITLE_FORBIDDEN.sub(" ", _NOT_XML.sub("", str(title)))
    title = " ".join(title.split())[:31].strip(" '")
    return title or "Export"


def column_letters(count):
    """["A", "B", ..., "Z", "AA", ...]: the first `count` column names."""
    from openpyxl.utils.cell import get_column_letter  # not at import: openpyxl takes 0.1 s to load

    return [get_column_letter(index) for index in range(1, count + 1)]


def _cell(reference, value):
    if value is None or value == "":
        return ""
    kind = type(value)
    if kind is bool:
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if kind is int or (kind in (float, Decimal) and math.isfinite(value)):
        return f'<c r="{reference}"><v>{value}</v></c>'
    return f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def write_xlsx(out, headers, rows, *, sheet="Export", chunk=2000):
    """Write a one-sheet workbook of `headers` then `rows` to the binary file `out`.
    None and "" leave a cell empty; int, float and Decimal are numbers, bool a
    boolean; anything else is written as its text."""
    letters = column_letters(len(headers))

    def row_xml(number, values):
        if len(values) > len(letters):
            letters.extend(column_letters(len(values))[len(letters) :])
        cells = "".join(_cell(f"{letter}{number}", value) for letter, value in zip(letters, values, strict=False))
        return f'<row r="{number}">{cells}</row>'

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        for name, xml in _PACKAGE.items():
            package.writestr(name, _XML_DECLARATION + xml)
        package.writestr(
            "xl/workbook.xml",
            f"""{_XML_DECLARATION}<workbook xmlns="{MAIN_NS}" xmlns:r="{OFFICE_RELS_NS}"><sheets>\
<sheet name={quoteattr(sheet_title(sheet))} sheetId="1" r:id="rId1"/></sheets></workbook>""",
        )
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:

            def write(text):  # no markup holds a control character or \r: only the texts
                part.write(_NOT_XML.sub("", text).replace("\r", "&#13;").encode("utf-8", "replace"))

            write(f'{_XML_DECLARATION}<worksheet xmlns="{MAIN_NS}"><sheetData>{row_xml(1, headers)}')
            pending = []
            for number, values in enumerate(rows, start=2):
                pending.append(row_xml(number, values))
                if len(pending) >= chunk:
                    write("".join(pending))
                    pending = []
            write("".join(pending) + "</sheetData></worksheet>")
