"""Reading chart PDFs back with real tools, and an app that lives for a whole test module.

pdftotext / pdffonts (poppler-utils), qpdf and the Noto fonts are Debian packages (see
SYSTEM_PACKAGES in the Makefile). Without them, tests that need them are skipped, unless
INTAKE_TEST_REQUIRE_PDF_TOOLS=1 (CI), which makes them fail instead.
"""

import io
import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from intake import create_app
from intake.extensions import db
from tests.conftest import _POSTGRES_MARKS, _empty_postgres_tables, _set_env

REQUIRE_PDF_TOOLS = os.environ.get("INTAKE_TEST_REQUIRE_PDF_TOOLS") == "1"
NOTO_FAMILIES = ("Noto Sans", "Noto Sans Arabic", "Noto Sans CJK SC")

# Bidirectional controls pdftotext puts around right-to-left runs; not part of the text.
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _fonts_installed() -> bool:
    if shutil.which("fc-list") is None:
        return False
    families = subprocess.run(
        ["fc-list", ":", "family"], capture_output=True, text=True, check=False
    ).stdout
    installed = {name.strip() for line in families.splitlines() for name in line.split(",")}
    return all(family in installed for family in NOTO_FAMILIES)


def needs(*tools: str) -> pytest.MarkDecorator:
    """Skip at collection when a tool (or "noto-fonts") is missing, unless CI requires them."""
    missing = [
        tool
        for tool in tools
        if (not _fonts_installed() if tool == "noto-fonts" else shutil.which(tool) is None)
    ]
    return pytest.mark.skipif(
        bool(missing) and not REQUIRE_PDF_TOOLS,
        reason=f"needs {', '.join(missing)} (make system-deps)",
    )


@contextmanager
def _pdf_file(pdf: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chart.pdf"
        path.write_bytes(pdf)
        yield str(path)


def pdf_pages(pdf: bytes, *, layout: bool = False) -> list[str]:
    """The text of each page, as poppler's pdftotext extracts it."""
    with _pdf_file(pdf) as path:
        args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), path, "-"]
        text = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdffonts(pdf: bytes) -> list[dict[str, str]]:
    """The fonts poppler's pdffonts lists: name, type, emb, sub, uni."""
    with _pdf_file(pdf) as path:
        out = subprocess.run(["pdffonts", path], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        parts = line.split()
        # name type... encoding emb sub uni object-number generation
        rows.append(
            {"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3], "line": line}
        )
    return rows


def pdfsig(pdf: bytes) -> str:
    """What poppler's pdfsig reports about the PDF's signatures."""
    with _pdf_file(pdf) as path:
        return subprocess.run(["pdfsig", path], capture_output=True, text=True).stdout


def qpdf_check(pdf: bytes) -> subprocess.CompletedProcess:
    """qpdf --check: exit status 0 and no error means the structure is sound."""
    with _pdf_file(pdf) as path:
        return subprocess.run(["qpdf", "--check", path], capture_output=True, text=True)


def flat(text: str) -> str:
    """Text with bidi controls removed and every run of whitespace made one space."""
    return " ".join(_BIDI_CONTROLS.sub("", text).split())


def squeezed(text: str) -> str:
    """Text with bidi controls and all whitespace removed (for text wrapped mid-word)."""
    return "".join(_BIDI_CONTROLS.sub("", text).split())


BACKEND_PARAMS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=_POSTGRES_MARKS),
]


@contextmanager
def module_app(request, tmp_path_factory):
    """An app on a fresh database of the requested backend, for a module-scoped fixture."""
    backend = request.param
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("chart") / "intake.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _set_env(monkeypatch, url)
        app = create_app({"TESTING": True})
        app.instance_path = str(tmp_path_factory.mktemp("instance"))
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            if backend == "postgresql":
                _empty_postgres_tables(url)


def to_unicode(pdf: bytes, font: str) -> dict[int, str]:
    """Glyph id -> text, from the ToUnicode CMap of the embedded font whose name has `font`."""
    import pikepdf

    document = pikepdf.open(io.BytesIO(pdf))
    mapping: dict[int, str] = {}
    for page in document.pages:
        for resource in page.Resources.Font.values():
            if font not in str(resource.BaseFont):
                continue
            cmap = resource.ToUnicode.read_bytes().decode("ascii")
            for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
                for glyph, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                    mapping[int(glyph, 16)] = bytes.fromhex(text).decode("utf-16-be")
    return mapping
