"""An exported file opened by a real spreadsheet (LibreOffice Calc, evaluating formulas).

LibreOffice converts the CSV to an OpenDocument sheet headlessly; the sheet's XML then says,
cell by cell, what the spreadsheet made of it: text, a number, or a formula it evaluated.

INTAKE_TEST_REQUIRE_SPREADSHEET=1   fail, instead of skip, when LibreOffice is not installed
"""

import os
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest

from intake import ehr
from testkit.factories import make_submission
from tests.csv_reading import HOSTILE, TRICKY_ANSWERS, parse

SOFFICE = shutil.which("soffice")
REQUIRED = os.environ.get("INTAKE_TEST_REQUIRE_SPREADSHEET") == "1"
pytestmark = pytest.mark.skipif(
    SOFFICE is None and not REQUIRED, reason="LibreOffice (soffice) is not installed"
)

# CSV import: comma, double quote, UTF-8, from line 1, standard cell formats, en-US, quoted
# fields not forced to text, ..., and token 13 "evaluate formulas" on, as Excel always does.
CSV_IMPORT = "CSV:44,34,76,1,,1033,false,false,false,false,false,-1,true"
NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
}
FORMULA = f"{{{NS['table']}}}formula"


def _open_in_calc(csv_file: Path, tmp_path: Path) -> list[list[ElementTree.Element]]:
    """The sheet LibreOffice builds from the file: rows of cells, repeats expanded."""
    assert SOFFICE, "LibreOffice (soffice) is required by INTAKE_TEST_REQUIRE_SPREADSHEET=1"
    out = tmp_path / "calc"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            f"--infilter={CSV_IMPORT}",
            "--convert-to",
            "ods",
            "--outdir",
            str(out),
            str(csv_file),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with zipfile.ZipFile(out / (csv_file.stem + ".ods")) as sheet:
        root = ElementTree.fromstring(sheet.read("content.xml"))
    rows = []
    for row in root.iterfind(".//table:table-row", NS):
        cells = []
        for cell in row.iterfind("table:table-cell", NS):
            repeat = int(cell.get(f"{{{NS['table']}}}number-columns-repeated", "1"))
            cells.extend([cell] * min(repeat, 200))
        rows.append(cells)
    return rows


def _text(cell: ElementTree.Element) -> str:
    return "\n".join("".join(p.itertext()) for p in cell.iterfind("text:p", NS))


@pytest.mark.backends("sqlite")  # the file, not the database, is under test here
def test_a_spreadsheet_runs_no_formula_from_a_safe_export(app_context, tmp_path):
    when = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    make_submission(answers=TRICKY_ANSWERS, submitted_at=when)
    make_submission(
        answers={"first_name": "Zoë", "last_name": "Nguyễn", "visit_reason": "=1+2"},
        submitted_at=when,
    )
    batch = ehr.export_new("test", excel=True)
    safe = tmp_path / "safe.csv"
    safe.write_bytes(b"".join(ehr.stream_batch(batch, "test")))
    raw = tmp_path / "raw.csv"
    day = date(2026, 11, 20)
    raw.write_bytes(b"".join(ehr.stream_range(day, day, "test", excel=True, raw=True)))

    header, rows = parse(safe.read_bytes())
    sheet = _open_in_calc(safe, tmp_path)
    assert [_text(cell) for cell in sheet[0][: len(header)]] == header
    formulas = [cell.get(FORMULA) for row in sheet for cell in row if cell.get(FORMULA)]
    assert formulas == []
    column = {name: index for index, name in enumerate(header)}
    for row, sheet_row in zip(rows, sheet[1:], strict=False):
        for name in ("first_name", "last_name", "visit_reason", "better_with", "phone"):
            assert _text(sheet_row[column[name]]) == row[name]
    assert _text(sheet[1][column["visit_reason"]]) == "'" + HOSTILE
    assert _text(sheet[2][column["first_name"]]) == "Zoë"

    # The same data written --raw is exactly what a spreadsheet must never be given.
    raw_formulas = [
        cell.get(FORMULA)
        for row in _open_in_calc(raw, tmp_path)
        for cell in row
        if cell.get(FORMULA)
    ]
    assert "of:=1+2" in raw_formulas
