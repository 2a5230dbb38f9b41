"""What is this file? Kind (CSV or XLSX), encoding and delimiter, and its rows."""

import csv
import io
import itertools
import re
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

from campaigns.spreadsheets import MAIN_NS, OFFICE_RELS_NS, PACKAGE_RELS_NS

from .mapping import CUSTOM_PREFIX, guess_mapping

SAMPLE_BYTES = 1 << 20
DELIMITERS = [";", ",", "\t", "|"]


class NotATable(ValueError):
    """The file cannot be read as a table. The message says why, for the person."""


# Rows of a workbook sniff keeps after its header: the import wizard's preview.
XLSX_HEAD_ROWS = 5


@dataclass
class FileShape:
    kind: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    headers: list = None
    # A workbook's first rows after the header, read with it: opening a big workbook
    # takes seconds (openpyxl reads every shared string first).
    head: list = None


def sniff(path, encoding=None, delimiter=None):
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    if not head.strip():
        raise NotATable(_("Le fichier est vide."))
    if head[:4] == b"PK\x03\x04":
        if not zipfile.is_zipfile(path):
            raise NotATable(_("Le fichier ressemble à un classeur Excel mais il est abîmé."))
        _refuse_zip_bomb(path)
        rows = iter_xlsx_rows(path)
        try:
            first = [values for _number, values in itertools.islice(rows, 1 + XLSX_HEAD_ROWS)]
        finally:
            rows.close()
        shape = FileShape(kind="xlsx", headers=unique_headers(first[0] if first else []), head=first[1:])
        if not any(h.strip() for h in shape.headers):
            raise NotATable(_("La première ligne du classeur (les en-têtes) est vide."))
        _refuse_title_row(first)
        return shape
    if b"\x00" in head:
        raise NotATable(_("Ce fichier n'est pas un tableau (CSV ou XLSX) : il contient des données binaires."))
    encoding = encoding or detect_encoding(head)
    text = head.decode(encoding, errors="replace")
    if len(head) == SAMPLE_BYTES:
        text = text[: text.rfind("\n") + 1] or text  # drop the cut last line
    try:
        delimiter = delimiter or detect_delimiter(text)
        headers = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
        _refuse_title_row(_body_rows(text))
    except csv.Error as exc:  # e.g. a "line" of megabytes: not a table anyone exported
        raise NotATable(_("Première ligne illisible comme un tableau : %(error)s") % {"error": exc}) from None
    if len([h for h in headers if h.strip()]) < 1:
        raise NotATable(_("La première ligne (les en-têtes) est vide."))
    if len(headers) < 2:
        raise NotATable(
            _(
                "Une seule colonne trouvée : le séparateur n'est ni « ; », ni « , », ni tabulation, "
                "ou ce n'est pas un tableau."
            )
        )
    return FileShape(kind="csv", encoding=encoding, delimiter=delimiter, headers=unique_headers(headers))


def _body_rows(text, lines=50):
    """The sample's first lines cut by the delimiter that cuts the lines after the first
    into the most columns, the same number for most of them; none when some delimiter
    cuts the first line as it cuts most of the others (it names their columns)."""
    sample = text.splitlines()[:lines]
    best, best_columns = [], 0
    for delimiter in DELIMITERS:
        rows = list(csv.reader(sample, delimiter=delimiter))
        widths = [len(row) for row in rows[1:] if any(v.strip() for v in row)]
        if not widths:
            continue
        width = max(set(widths), key=widths.count)
        if widths.count(width) < 0.8 * len(widths):
            continue
        if width >= 2 and rows and len(rows[0]) == width:
            return []
        if width > best_columns:
            best, best_columns = rows, width
    return best


def _refuse_title_row(rows):
    """Refuse a table whose first row is a title above the column names: one value,
    where the rows after it mostly hold two or more."""
    filled = [sum(1 for v in row if v.strip()) for row in rows]
    later = [n for n in filled[1:] if n]
    if not filled or filled[0] != 1 or not later or max(set(later), key=later.count) < 2:
        return
    title = next(v.strip() for v in rows[0] if v.strip())
    if not guess_mapping([title])[title].startswith(CUSTOM_PREFIX):
        return  # "Nom", above a column of names and one nobody named
    line = next(i for i, n in enumerate(filled) if i and n >= 2) + 1
    raise NotATable(
        _(
            "La ligne 1 (« %(title)s ») ne nomme pas les colonnes, qui semblent nommées en ligne %(line)d : "
            "supprimez les lignes au-dessus (un titre, par exemple) et envoyez le fichier à nouveau."
        )
        % {"title": title[:80], "line": line}
    )


def unique_headers(headers):
    """The headers, a name given twice made distinct: "Adresse", "Adresse (2)". A column
    is mapped by its header; two of one name were one column, and one of them was lost.
    Blank headers stay blank: such columns are left out unless mapped."""
    given = set(headers)
    unique, taken = [], set()
    for header in headers:
        name, n = header, 1
        while header.strip() and (name in taken or (n > 1 and name in given)):
            n += 1
            name = f"{header} ({n})"
        taken.add(name)
        unique.append(name)
    return unique


# A real workbook compresses its sheets about 5 to 20 times; a zip bomb, thousands.
MAX_XLSX_UNPACKED = 2 * 1024**3
MAX_XLSX_RATIO = 200


def _refuse_zip_bomb(path):
    """Refuse a workbook that would unpack to far more than it weighs, before reading it."""
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    unpacked = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    if unpacked > MAX_XLSX_UNPACKED or (unpacked > 50 * 1024**2 and unpacked / packed > MAX_XLSX_RATIO):
        raise NotATable(
            _("Ce classeur se décompresse en %(size)d Mo pour %(packed)d Ko : refusé (archive piégée ?).")
            % {"size": unpacked // 1024**2, "packed": packed // 1024}
        )


def encoding_name(encoding):
    """How the wizard names an encoding it detected (`detect_encoding`)."""
    names = {
        "utf-8": "UTF-8",
        "utf-8-sig": _("UTF-8 avec BOM"),
        "utf-16": "UTF-16",
        "cp1252": _("Windows-1252 (Excel sous Windows)"),
        "latin-1": "Latin-1 (ISO-8859-1)",
    }
    return names.get(encoding, encoding)


def delimiter_name(delimiter):
    names = {";": _("point-virgule"), ",": _("virgule"), "\t": _("tabulation")}
    return names.get(delimiter, delimiter)


def detect_encoding(head):
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        # The sample may end inside a multi-byte character: ignore only that tail.
        head.decode("utf-8") if len(head) < SAMPLE_BYTES else head[:-4].decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # Windows-1252 leaves five bytes undefined; a file using them is Latin-1.
    if any(b in head for b in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")):
        return "latin-1"
    return "cp1252"


def detect_delimiter(text):
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    best, best_score = ";", -1
    for delimiter in DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        if not counts or counts[0] < 2:
            continue
        # Columns in the header, and how many lines agree with it.
        score = counts[0] * 1000 + sum(1 for c in counts if c == counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def iter_rows(path, shape):
    """Yield (row number as a spreadsheet shows it, [values]) for every row, header included."""
    if shape.kind == "xlsx":
        yield from iter_xlsx_rows(path)
        return
    with open(path, encoding=shape.encoding, errors="strict", newline="") as fh:
        reader = csv.reader(fh, delimiter=shape.delimiter)
        try:
            yield from enumerate(reader, start=1)
        except UnicodeDecodeError as exc:
            raise _mixed_encodings(exc.start) from None
        except csv.Error as exc:
            raise _unreadable_row(reader.line_num, exc) from None


def _mixed_encodings(position):
    return NotATable(
        _("Le fichier mélange plusieurs encodages (octet illisible vers la position %(pos)d).") % {"pos": position}
    )


def _unreadable_row(number, error):
    return NotATable(_("Ligne %(row)d : %(error)s") % {"row": number, "error": error})


# Encodings in which a byte 0x0A is always a line feed: a file in one of them can be
# cut into blocks at line ends and each block decoded on its own.
BLOCK_ENCODINGS = {"utf-8", "utf-8-sig", "cp1252", "latin-1"}
# A block is cut where the quotes seen so far are balanced; a stray quote would
# otherwise keep a whole file in one block, so past this size the cut is made anyway.
MAX_BLOCK_BYTES = 8 << 20


def iter_blocks(path, shape, size):
    """Cut a CSV file into blocks of whole rows, about `size` bytes each, for cleaning
    in parallel. Yields (byte offset, number of the block's first row, bytes); the
    first block starts with the header row (number 1). Reading bytes and counting line
    ends is all this does, so one process keeps up with several that parse."""
    number, offset, carry = 1, 0, b""
    with open(path, "rb") as fh:
        while True:
            data = fh.read(size)
            buffer = carry + data
            if not data:
                if buffer:
                    yield offset, number, buffer
                return
            cut = _after_last_line_end(buffer)
            if cut == 0 or (buffer.count(b'"', 0, cut) % 2 and len(buffer) < MAX_BLOCK_BYTES):
                carry = buffer  # no line end yet, or inside a quoted value: read on
                continue
            block, carry = buffer[:cut], buffer[cut:]
            yield offset, number, block
            offset += len(block)
            number += _rows_in(block, shape)


def _after_last_line_end(buffer):
    """Where a block can end: after its last LF, or for a file of bare CRs (old Mac
    exports) after its last CR that is not the buffer's final byte (it might be the
    first half of a CR LF)."""
    cut = buffer.rfind(b"\n") + 1
    return cut or buffer.rfind(b"\r", 0, len(buffer) - 1) + 1


def _rows_in(block, shape):
    """Rows in a block that ends with a line end, as csv.reader counts them."""
    # Latin-1 turns each byte into one character, and in BLOCK_ENCODINGS quotes, NULs
    # and line ends are single bytes: the same test as for a decoded block.
    if plain(block.decode("latin-1")):
        return block.count(b"\n")
    text = block.decode(shape.encoding, errors="replace")
    return sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=shape.delimiter))


def block_rows(block, shape, offset, number):
    """(row number, values) of a block from iter_blocks, header left out; raises
    NotATable as iter_rows does, with positions in the whole file."""
    return text_rows(block_text(block, shape, offset), shape, number)


def block_text(block, shape, offset):
    try:
        return block.decode(shape.encoding)
    except UnicodeDecodeError as exc:
        raise _mixed_encodings(offset + exc.start) from None


def text_rows(text, shape, number):
    """(row number, values) of a decoded block whose first row is row `number`."""
    row = number - 1
    if plain(text):
        for values in split_rows(text, shape.delimiter):
            row += 1
            if row > 1:
                yield row, values
        return
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=shape.delimiter)
    try:
        for values in reader:
            row += 1
            if row > 1:
                yield row, values
    except csv.Error as exc:
        raise _unreadable_row(row + 1, exc) from None


def plain(text):
    """No quotes, NULs or lone CRs: csv.reader would only split lines and delimiters."""
    return '"' not in text and "\x00" not in text and text.count("\r") == text.count("\r\n")


def split_rows(text, delimiter):
    """csv.reader's rows of a plain text, five times faster: lines cut at LF (a CR
    before it dropped), values at the delimiter, an empty line giving an empty row.
    tests/crm/test_import.py checks the two agree."""
    return [split_line(line, delimiter) for line in plain_lines(text)]


def split_line(line, delimiter):
    """One line of a plain text as csv.reader reads it."""
    return line.split(delimiter) if line else []


def plain_lines(text):
    """The lines of a plain text, without their line ends."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]+\d+(?::[A-Z]+(\d+))?\"")
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")


def xlsx_row_count(path):
    """Rows of the first sheet, its header included, without loading the workbook
    (openpyxl reads every shared string first: seconds for a big one). From the
    sheet's <dimension> when it has one; workbooks written in a stream (openpyxl's
    write-only mode, Terrain's own exports among them) have none, and their <row>
    elements are counted."""
    # The standard parser is safe with a hostile file here: expat (2.4 and later)
    # refuses entity expansion bombs, and ElementTree resolves no external entity.
    from xml.etree import ElementTree

    with zipfile.ZipFile(path) as archive:
        try:
            workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314
            first = workbook.find(f"{{{MAIN_NS}}}sheets/{{{MAIN_NS}}}sheet")
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
            target = next(r.get("Target") for r in rels.iter(f"{{{PACKAGE_RELS_NS}}}Relationship")
                          if r.get("Id") == first.get(f"{{{OFFICE_RELS_NS}}}id"))  # fmt: skip
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            sheet = archive.open(part)
        except (KeyError, AttributeError, StopIteration, ElementTree.ParseError) as exc:
            raise NotATable(_("Classeur Excel illisible : %(error)s") % {"error": exc or type(exc).__name__}) from None
        rows, tail = 0, b""
        with sheet:
            for number, chunk in enumerate(iter(lambda: sheet.read(1 << 20), b"")):
                text = tail + chunk
                if number == 0 and (dimension := _DIMENSION.search(text[:4096])) and dimension.group(1):
                    return int(dimension.group(1))
                # A tag cut between two reads is counted in the next one.
                cut = max(0, text.rfind(b"<"))
                rows += len(_ROW.findall(text, 0, cut))
                tail = text[cut:]
        return rows + len(_ROW.findall(tail))


def iter_xlsx_rows(path):
    import datetime as dt

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise NotATable(_("Classeur Excel illisible : %(error)s") % {"error": exc}) from None
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            row = []
            for value in values:
                if value is None:
                    row.append("")
                elif isinstance(value, dt.datetime):
                    row.append(value.date().isoformat() if value.time() == dt.time() else value.isoformat())
                elif isinstance(value, dt.date):
                    row.append(value.isoformat())
                elif isinstance(value, float) and value.is_integer():
                    row.append(str(int(value)))
                else:
                    row.append(str(value))
            while row and row[-1] == "":
                row.pop()
            yield number, row
    finally:
        workbook.close()
