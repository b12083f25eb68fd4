"""The translation catalogues, for tests: compiled as `make translations` compiles them, and
read back as `make messages` would extract them."""

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "intake" / "translations"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "N_": None,
}


def po_files() -> list[Path]:
    """Every language's catalogue, intake/translations/<language>/LC_MESSAGES/messages.po."""
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def read_catalogue(path: Path) -> Catalog:
    """One .po file, parsed."""
    with path.open("rb") as source:
        return read_po(source)


def compile_catalogues() -> None:
    """Write each .mo beside its .po when the .po is newer (or the .mo missing)."""
    for po in po_files():
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        catalogue = read_catalogue(po)
        with mo.open("wb") as target:
            write_mo(target, catalogue, use_fuzzy=False)


def extracted_messages() -> set[str | tuple[str, ...]]:
    """Every message id `make messages` extracts (babel.cfg), as the sources stand now."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message)
    return found
