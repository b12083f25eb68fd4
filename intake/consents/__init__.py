"""Versioned consent documents and the snapshot a submission keeps of the one it signed.

Each version is a TOML file, ``<document>/v<N>.toml``, with a title, version, effective date
and numbered clauses of plain text (no markup, so nothing needs sanitising before it reaches a
page or the PDF). A signed version's file is never edited: a change is a new version.
"""

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache
from pathlib import Path

_HERE = Path(__file__).parent


@dataclass(frozen=True)
class Clause:
    """One part of a consent, initialled by the patient."""

    id: str
    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class ConsentDocument:
    """A consent document at one version."""

    document_id: str
    version: str
    title: str
    effective_date: str  # ISO date
    clauses: tuple[Clause, ...]

    # A document never changes and there are a handful of them (kept alive by the loader
    # anyway), so caching on the instance leaks nothing; demo data asks once a row.
    @cache  # noqa: B019
    def snapshot(self) -> str:
        """Canonical JSON of the whole document: what a submission stores and hashes."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @property
    def sha256(self) -> str:
        """SHA-256 of the snapshot, hex."""
        return snapshot_sha256(self.snapshot())


def snapshot_sha256(snapshot: str) -> str:
    """SHA-256 of a stored snapshot, hex."""
    return hashlib.sha256(snapshot.encode("utf-8")).hexdigest()


def from_snapshot(snapshot: str) -> ConsentDocument:
    """Rebuild the document a submission signed from its stored snapshot alone."""
    data = json.loads(snapshot)
    clauses = tuple(
        Clause(c["id"], c["heading"], tuple(c["paragraphs"])) for c in data.pop("clauses")
    )
    return ConsentDocument(clauses=clauses, **data)


@cache
def load(document_id: str, version: str) -> ConsentDocument:
    """Read one version of a consent document from its file."""
    path = _HERE / document_id / f"v{version}.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    clauses = tuple(
        Clause(c["id"], c["heading"], tuple(p.strip() for p in c["paragraphs"]))
        for c in data["clauses"]
    )
    return ConsentDocument(
        document_id=document_id,
        version=str(data["version"]),
        title=data["title"],
        effective_date=data["effective_date"].isoformat(),
        clauses=clauses,
    )


def current(document_id: str = "dry_needling", today: date | None = None) -> ConsentDocument:
    """The newest version already in effect on `today`."""
    today = today or date.today()
    versions = sorted(
        (
            load(document_id, path.stem.removeprefix("v"))
            for path in (_HERE / document_id).glob("v*.toml")
        ),
        key=lambda doc: int(doc.version),
    )
    in_effect = [doc for doc in versions if date.fromisoformat(doc.effective_date) <= today]
    if not in_effect:
        raise LookupError(f"no version of {document_id} is in effect on {today}")
    return in_effect[-1]
