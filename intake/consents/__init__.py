"""Versioned consent documents and the snapshot a submission keeps of the one it signed.

Each version is a TOML file, ``<document>/v<N>.toml``, with a title, version, effective date
and numbered clauses of plain text (no markup, so nothing needs sanitising before it reaches a
page or the PDF). A signed version's file is never edited: a change is a new version.

From version 2 a file also states the agreement the patient ticks, and declares risk notes: a
short paragraph shown before the signature when the answers raised one of its flags. A
patient signs the document as shown to them (`as_shown`): the snapshot keeps only the notes
they saw. A version without these parts (version 1) leaves them out of its snapshot, so its
snapshots stay byte for byte as they were signed.

A version can be translated: ``v<N>.<language>.toml`` (``v2.es.toml``) holds the same clauses
(same ids, same order), agreement and risk notes in another language, and a
``[translation]`` table recording who reviewed it. A translated document is a document of its
own: its snapshot names its language, so its SHA-256 differs from the English one. An English
snapshot names no language and stays as it was signed.
"""

import hashlib
import json
import tomllib
from collections.abc import Collection
from dataclasses import asdict, dataclass, replace
from datetime import date
from functools import cache, lru_cache
from pathlib import Path

from intake.translation import N_

_HERE = Path(__file__).parent
# The heading above the risk notes, on the consent page and the chart, in the consent's
# language (it is page text, not part of the signed document).
RISK_NOTES_HEADING = N_("About your answers")
# What the patient ticked under a version whose file states no agreement (version 1): the
# words its page showed then, kept here because its snapshot does not hold them.
FIRST_AGREEMENT = "I have read this consent, my questions were answered, and I agree."
# The same words in each translation of version 1.
FIRST_AGREEMENT_TRANSLATED = {
    "es": "Leí este consentimiento, me contestaron mis preguntas y estoy de acuerdo.",
}
# The parts a snapshot leaves out when a version does not have them.
_LATER_PARTS = ("agreement", "risk_notes", "language")
ENGLISH = "en"


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
    language: str | None = None  # None: English (a snapshot of an English document omits it)

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
        if self.agreement is not None:
            return self.agreement
        return FIRST_AGREEMENT_TRANSLATED.get(self.language_code, FIRST_AGREEMENT)

    def as_shown(self, flags: Collection[str]) -> "ConsentDocument":
        """This document as shown to a patient whose answers raised `flags`: with the risk
        notes of those flags only, in the document's order."""
        if self.risk_notes is None:
            return self
        raised = set(flags)
        chosen = tuple(note for note in self.risk_notes if raised.intersection(note.flags))
        return replace(self, risk_notes=chosen)

    @property
    def language_code(self) -> str:
        """The language the document is written in: "en", "es"."""
        return self.language or ENGLISH

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


@dataclass(frozen=True)
class Translation:
    """Who reviewed one translated version: empty until a qualified reviewer signs it off."""

    document: ConsentDocument
    reviewed_by: str
    reviewed_on: str

    @property
    def reviewed(self) -> bool:
        """Whether a reviewer is recorded (production offers only reviewed translations)."""
        return bool(self.reviewed_by.strip())


def _path(document_id: str, version: str, language: str) -> Path:
    suffix = "" if language == ENGLISH else f".{language}"
    return _HERE / document_id / f"v{version}{suffix}.toml"


@cache
def _read(document_id: str, version: str, language: str) -> tuple[ConsentDocument, dict]:
    data = tomllib.loads(_path(document_id, version, language).read_text(encoding="utf-8"))
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
    document = ConsentDocument(
        document_id=document_id,
        version=str(data["version"]),
        title=data["title"],
        effective_date=data["effective_date"].isoformat(),
        clauses=clauses,
        agreement=agreement.strip() if agreement is not None else None,
        risk_notes=notes,
        language=None if language == ENGLISH else language,
    )
    return document, data.get("translation", {})


@cache
def load(document_id: str, version: str, language: str = ENGLISH) -> ConsentDocument:
    """Read one version of a consent document, in English or in a translation of it; a
    translation must match the English version part for part."""
    document = _read(document_id, version, language)[0]
    if language != ENGLISH:
        _check_translation(load(document_id, version), document)
    return document


def _check_translation(english: ConsentDocument, translated: ConsentDocument) -> None:
    def shape(doc: ConsentDocument) -> tuple:
        notes = tuple((n.id, n.flags) for n in doc.risk_notes or ())
        return (
            doc.version,
            doc.effective_date,
            tuple((c.id, len(c.paragraphs)) for c in doc.clauses),
            doc.agreement is None,
            doc.risk_notes is None,
            notes,
        )

    if shape(english) != shape(translated):
        raise ValueError(
            f"{english.document_id} v{english.version} ({translated.language}): the "
            "translation's version, date, clauses, paragraphs or risk notes differ from English"
        )


def translation(document_id: str, version: str, language: str) -> Translation | None:
    """The translation of one version into `language` and who reviewed it; None if none."""
    if language == ENGLISH or not _path(document_id, version, language).exists():
        return None
    record = _read(document_id, version, language)[1]
    return Translation(
        load(document_id, version, language),
        reviewed_by=str(record.get("reviewed_by", "")),
        reviewed_on=str(record.get("reviewed_on", "")),
    )


def unreviewed_translations(
    language: str, document_id: str = "dry_needling"
) -> list[ConsentDocument]:
    """The versions with no reviewed translation into `language` (missing or unreviewed)."""
    found = [translation(document_id, doc.version, language) for doc in versions(document_id)]
    return [
        doc
        for doc, record in zip(versions(document_id), found, strict=True)
        if record is None or not record.reviewed
    ]


def versions(document_id: str = "dry_needling") -> list[ConsentDocument]:
    """Every version of a consent document, oldest first."""
    return sorted(
        (
            load(document_id, path.stem.removeprefix("v"))
            for path in (_HERE / document_id).glob("v*.toml")
            if path.stem.removeprefix("v").isdecimal()  # v2.es.toml is a translation
        ),
        key=lambda doc: int(doc.version),
    )


def current(
    document_id: str = "dry_needling", today: date | None = None, language: str = ENGLISH
) -> ConsentDocument:
    """The newest version already in effect on `today`, in `language` when it is translated
    into it (in English otherwise)."""
    today = today or date.today()
    in_effect = [
        doc for doc in versions(document_id) if date.fromisoformat(doc.effective_date) <= today
    ]
    if not in_effect:
        raise LookupError(f"no version of {document_id} is in effect on {today}")
    newest = in_effect[-1]
    translated = translation(document_id, newest.version, language)
    return translated.document if translated is not None else newest
