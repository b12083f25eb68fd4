"""Versioned consent documents and the snapshot a submission keeps of the one it signed.

Each version is a TOML file, ``<document>/v<N>.toml``, with a title, version, effective date
and numbered clauses of plain text (no markup, so nothing needs sanitising before it reaches a
page or the PDF). A signed version's file is never edited: a change is a new version.

From version 2 a file also states the agreement the patient ticks, and declares risk notes: a
short paragraph shown before the signature when the answers raised one of its flags. A
patient signs the document as shown to them (`as_shown`): the snapshot keeps only the notes
they saw. A version without these parts (version 1) leaves them out of its snapshot, so its
snapshots stay byte for byte as they were signed.
"""

import hashlib
import json
import tomllib
from collections.abc import Collection
from dataclasses import asdict, dataclass, replace
from datetime import date
from functools import cache, lru_cache
from pathlib import Path

_HERE = Path(__file__).parent
# What the patient ticked under a version whose file states no agreement (version 1): the
# words its page showed then, kept here because its snapshot does not hold them.
FIRST_AGREEMENT = "I have read this consent, my questions were answered, and I agree."
# The parts a snapshot leaves out when a version does not have them.
_LATER_PARTS = ("agreement", "risk_notes")


@dataclass(frozen=True)
class Clause:
    """One part of a consent, initialled by the patient."""

    id: str
    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class RiskNote:
    """A paragraph shown before the signature when the answers raised any of `flags`."""

    id: str
    flags: tuple[str, ...]  # flag codes, as intake.questionnaire declares them
    paragraph: str


@dataclass(frozen=True)
class ConsentDocument:
    """A consent document at one version."""

    document_id: str
    version: str
    title: str
    effective_date: str  # ISO date
    clauses: tuple[Clause, ...]
    # None in a version without them. As loaded, risk_notes are all the version declares; as
    # shown to a patient, only those chosen by the flags of their answers (maybe none).
    agreement: str | None = None
    risk_notes: tuple[RiskNote, ...] | None = None

    # A document never changes and equal documents hash alike: one version has one snapshot
    # per set of notes shown, a few dozen in practice; demo data asks once a row. The bound
    # keeps an unusual day's mixes from growing it.
    @lru_cache(maxsize=1024)  # noqa: B019
    def snapshot(self) -> str:
        """Canonical JSON of the whole document: what a submission stores and hashes."""
        data = asdict(self)
        for part in _LATER_PARTS:
            if data[part] is None:
                del data[part]
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @property
    def agreement_text(self) -> str:
        """The sentence the patient ticks to agree."""
        return self.agreement if self.agreement is not None else FIRST_AGREEMENT

    def as_shown(self, flags: Collection[str]) -> "ConsentDocument":
        """This document as shown to a patient whose answers raised `flags`: with the risk
        notes of those flags only, in the document's order."""
        if self.risk_notes is None:
            return self
        raised = set(flags)
        chosen = tuple(note for note in self.risk_notes if raised.intersection(note.flags))
        return replace(self, risk_notes=chosen)

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
    notes = data.pop("risk_notes", None)
    if notes is not None:
        notes = tuple(RiskNote(n["id"], tuple(n["flags"]), n["paragraph"]) for n in notes)
    return ConsentDocument(clauses=clauses, risk_notes=notes, **data)


@cache
def load(document_id: str, version: str) -> ConsentDocument:
    """Read one version of a consent document from its file."""
    path = _HERE / document_id / f"v{version}.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    clauses = tuple(
        Clause(c["id"], c["heading"], tuple(p.strip() for p in c["paragraphs"]))
        for c in data["clauses"]
    )
    notes = None
    if "risk_notes" in data:
        notes = tuple(
            RiskNote(n["id"], tuple(n["flags"]), n["paragraph"].strip()) for n in data["risk_notes"]
        )
    agreement = data.get("agreement")
    return ConsentDocument(
        document_id=document_id,
        version=str(data["version"]),
        title=data["title"],
        effective_date=data["effective_date"].isoformat(),
        clauses=clauses,
        agreement=agreement.strip() if agreement is not None else None,
        risk_notes=notes,
    )


def versions(document_id: str = "dry_needling") -> list[ConsentDocument]:
    """Every version of a consent document, oldest first."""
    return sorted(
        (
            load(document_id, path.stem.removeprefix("v"))
            for path in (_HERE / document_id).glob("v*.toml")
        ),
        key=lambda doc: int(doc.version),
    )


def current(document_id: str = "dry_needling", today: date | None = None) -> ConsentDocument:
    """The newest version already in effect on `today`."""
    today = today or date.today()
    in_effect = [
        doc for doc in versions(document_id) if date.fromisoformat(doc.effective_date) <= today
    ]
    if not in_effect:
        raise LookupError(f"no version of {document_id} is in effect on {today}")
    return in_effect[-1]
