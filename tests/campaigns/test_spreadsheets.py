"""The teams' XLSX exports, read back as a spreadsheet program reads them."""

import io
import zipfile
from decimal import Decimal

from openpyxl import load_workbook

from campaigns.spreadsheets import column_letters, sheet_title, write_table


def read_back(out):
    """(workbook, rows of (value, data type)), each row without the empty cells that
    pad it to the widest row."""
    workbook = load_workbook(out)
    table = []
    for row in workbook.active.iter_rows():
        cells = [(cell.value, cell.data_type) for cell in row]
        while cells and cells[-1] == (None, "n"):
            cells.pop()
        table.append(cells)
    return workbook, table


def test_each_value_comes_back_as_written_and_every_text_is_a_text_cell():
    rows = [
        [1, "  Élodie & <Zoé> « œ »  ", "+33612345678", '=HYPERLINK("http://x")', "#N/A", "ligne 1\r\nligne 2"],
        [2, None, "", 1.5, Decimal("2.25"), True],
        [3, float("nan"), "x", "y", "z", False, "a row longer than the headers"],
    ]
    workbook, table = read_back(write_table(["ID", "Nom", "Tél.", "Formule", "Erreur", "Notes"], rows, fmt="xlsx"))
    assert table[0] == [(name, "s") for name in ["ID", "Nom", "Tél.", "Formule", "Erreur", "Notes"]]
    assert table[1] == [
        (1, "n"),
        ("  Élodie & <Zoé> « œ »  ", "s"),  # spaces kept, markup characters escaped
        ("+33612345678", "s"),  # no apostrophe in a workbook
        ('=HYPERLINK("http://x")', "s"),  # never a formula
        ("#N/A", "s"),  # never an error
        ("ligne 1\r\nligne 2", "s"),
    ]
    assert table[2][:6] == [(2, "n"), (None, "n"), (None, "n"), (1.5, "n"), (2.25, "n"), (True, "b")]
    assert table[3] == [(3, "n"), ("nan", "s"), ("x", "s"), ("y", "s"), ("z", "s"), (False, "b"),
                        ("a row longer than the headers", "s")]  # fmt: skip


def test_characters_xml_cannot_hold_are_dropped_and_the_rest_of_the_text_kept():
    _workbook, table = read_back(write_table(["Texte"], [["a\x00b\x0bc\x1fd\x07e\tf"]], fmt="xlsx"))
    assert table[1] == [("abcde\tf", "s")]


def test_sheet_names_follow_excels_rules():
    assert sheet_title("Vos idées : quel centre-ville ?") == "Vos idées quel centre-ville"
    assert sheet_title("[Budget] 2026/2027 *") == "Budget 2026 2027"
    assert sheet_title("'Consultation'") == "Consultation"
    assert sheet_title("Une étape au titre bien plus long que trente et un caractères") == (
        "Une étape au titre bien plus lo"
    )
    assert sheet_title(" ?: ") == "Export"
    workbook, _table = read_back(write_table(["a"], [], fmt="xlsx", sheet="Q&R : <élus>"))
    assert workbook.sheetnames == ["Q&R <élus>"]


def test_columns_are_named_as_in_a_spreadsheet():
    letters = column_letters(800)
    assert letters[:3] == ["A", "B", "C"] and letters[25:28] == ["Z", "AA", "AB"]
    assert letters[701:703] == ["ZZ", "AAA"]


def test_a_workbook_of_many_rows_is_written_as_a_stream_of_small_parts():
    rows = ([n, f"Personne {n}", "Orléans"] for n in range(25_000))  # a generator: never a list in memory
    out = write_table(["ID", "Nom", "Ville"], rows, fmt="xlsx")
    with zipfile.ZipFile(out) as package:
        assert set(package.namelist()) >= {"[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"}
    out.seek(0)
    sheet = load_workbook(io.BytesIO(out.read()), read_only=True).active
    table = list(sheet.iter_rows(values_only=True))
    assert len(table) == 25_001 and table[-1] == (24_999, "Personne 24999", "Orléans")
