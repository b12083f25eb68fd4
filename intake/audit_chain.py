"""The audit log as a hash chain, so that an event edited, deleted or slipped in is noticed.

Each event is given, as it is written, its place in the chain (`chain_seq`), the hash of the
event before it (`prev_hash`) and its own `hash`: SHA-256 over the canonical JSON of its fields
and those two. The one-row `audit_chain` table holds the head (length, hash, time) and is
locked by every transaction that appends, so two writers never fork the chain: PostgreSQL
waits on the row (`SELECT … FOR UPDATE`), and on SQLite every writer already holds the
database's write lock (`begin_write()`, BEGIN IMMEDIATE). The head is held from the first flush
of an event until commit, so a unit of work takes its row locks first and records its event last,
as the services do, and every writer waits in the same order.

Someone who can write the database could still rewrite every event after the one they change
and the head with them. An anchor (the head at some moment, kept off the server; every chart
PDF prints one) makes that visible too: the rewritten chain no longer reaches the anchor's hash.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, event, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from intake.extensions import db
from intake.models import AuditChain, AuditEvent, utcnow

CHAIN_FORMAT = "intake.audit_chain"
ANCHOR_FORMAT = "intake.audit_anchor"
VERSION = 1

_chain = AuditChain.__table__
_events = AuditEvent.__table__


@dataclass(frozen=True)
class Anchor:
    """The chain's head at one moment: how many events, the last one's time and hash."""

    length: int
    at: str | None  # ISO 8601 UTC; None for a chain with no event yet
    hash: str

    def to_json(self) -> str:
        """The anchor as one line of JSON, to keep off the server."""
        return _canonical_json(
            {
                "format": ANCHOR_FORMAT,
                "version": VERSION,
                "length": self.length,
                "at": self.at,
                "hash": self.hash,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> "Anchor":
        """Read an anchor written by `to_json`; ValueError if it is not one."""
        try:
            data = json.loads(text)
            if data.get("format") != ANCHOR_FORMAT or data.get("version") != VERSION:
                raise ValueError
            length, at, digest = data["length"], data["at"], data["hash"]
        except (ValueError, AttributeError, KeyError, TypeError):
            raise ValueError(f"not an {ANCHOR_FORMAT} version {VERSION} file") from None
        if not isinstance(length, int) or length < 0 or not _is_sha256(digest):
            raise ValueError(f"not an {ANCHOR_FORMAT} version {VERSION} file")
        return cls(length, at, digest)


@dataclass(frozen=True)
class ChainBreak:
    """One place where the audit log is not what was written."""

    description: str
    position: int | None = None  # the event's place in the chain
    event_id: int | None = None

    def __str__(self) -> str:
        return self.description


def head() -> Anchor:
    """The chain's head now, in the session's transaction."""
    row = db.session.execute(select(_chain).where(_chain.c.id == 1)).first()
    if row is None or row.length == 0:
        genesis = _genesis_hash(row) if row is not None else None
        return Anchor(0, None, genesis or "0" * 64)
    return Anchor(row.length, _iso(row.head_at), row.head_hash)


def started_at() -> datetime | None:
    """When the chain began (and chart documents began to be sealed); None before."""
    return db.session.scalar(select(_chain.c.started_at).where(_chain.c.id == 1))


def head_at(moment: datetime) -> Anchor | None:
    """The chain's head as it stood at `moment` (the last event written by then), or None.

    Computed from the events alone, so a chart PDF that prints it can be made again byte for
    byte from the database.
    """
    row = db.session.execute(
        select(_events.c.chain_seq, _events.c.at, _events.c.hash)
        .where(_events.c.chain_seq.is_not(None), _events.c.at <= moment)
        .order_by(_events.c.chain_seq.desc())
        .limit(1)
    ).first()
    return None if row is None else Anchor(row.chain_seq, _iso(row.at), row.hash)


def verify_chain(anchor: Anchor | None = None) -> tuple[int, list[ChainBreak]]:
    """Recompute the whole chain; return how many events it holds and where it breaks.

    With an anchor, also prove that the chain still reaches the anchor's hash at its length:
    nothing before it changed, even rewritten with every later hash.
    """
    chain = db.session.execute(select(_chain).where(_chain.c.id == 1)).first()
    breaks: list[ChainBreak] = []
    if chain is None:
        chained = db.session.scalar(select(func.count()).where(_events.c.chain_seq.is_not(None)))
        if chained or anchor is not None and anchor.length:
            breaks.append(ChainBreak("the audit chain's head row is missing"))
        return 0, breaks
    expected_prev, expected_seq, last_hash = _genesis_hash(chain), 1, None
    anchored = None
    for row in _chained_rows():
        seq = row.chain_seq
        if seq != expected_seq:
            breaks.append(
                ChainBreak(
                    f"audit events at chain positions {expected_seq} to {seq - 1} are missing "
                    f"(deleted): the chain jumps to event {row.id} at position {seq}",
                    expected_seq,
                )
            )
        elif row.prev_hash != expected_prev:
            breaks.append(
                ChainBreak(
                    f"audit event {row.id} (chain position {seq}) does not follow the event "
                    f"before it: it records the previous hash {row.prev_hash}, the chain has "
                    f"{expected_prev}; the event before it was replaced or its hash rewritten",
                    seq,
                    row.id,
                )
            )
        if event_hash(row._mapping, seq, row.prev_hash) != row.hash:
            breaks.append(
                ChainBreak(
                    f"audit event {row.id} (chain position {seq}, {row.action}, "
                    f"{_iso(row.at)}) no longer matches its hash: it was changed after it "
                    "was written",
                    seq,
                    row.id,
                )
            )
        if anchor is not None and seq == anchor.length:
            anchored = row.hash
        expected_prev, expected_seq, last_hash = row.hash, seq + 1, row.hash
    length = expected_seq - 1
    if length != chain.length or (length and last_hash != chain.head_hash):
        breaks.append(
            ChainBreak(
                f"the chain's head says {chain.length} events ending in {chain.head_hash}, "
                f"the log holds {length} ending in {last_hash}: events at the end were "
                "deleted, or the head was changed",
                length,
            )
        )
    breaks += _unchained_breaks(chain)
    if anchor is not None:
        breaks += _anchor_breaks(anchor, anchored, length, _genesis_hash(chain))
    return length, breaks


def event_hash(fields: Any, seq: int, prev_hash: str) -> str:
    """SHA-256 (hex) of an event's canonical JSON, with its place and the previous hash.

    `fields` is an AuditEvent or a row mapping with the same names.
    """
    get = fields.get if hasattr(fields, "get") else lambda name: getattr(fields, name)
    record = {
        "seq": seq,
        "prev": prev_hash,
        "at": _iso(get("at")),
        "actor_type": get("actor_type"),
        "actor_id": get("actor_id"),
        "actor_label": get("actor_label"),
        "action": get("action"),
        "target_type": get("target_type"),
        "target_id": get("target_id"),
        "ip_address": get("ip_address"),
        "outcome": get("outcome"),
        "detail": get("detail"),
    }
    return hashlib.sha256(_canonical_json(record).encode("utf-8")).hexdigest()


@event.listens_for(Session, "before_flush")
def _chain_new_events(session: Session, _context, _instances) -> None:
    """Give each new audit event its place in the chain, holding the head until commit."""
    new = [obj for obj in session.new if isinstance(obj, AuditEvent) and obj.chain_seq is None]
    if not new:
        return
    connection = session.connection()
    chain = _locked_head(connection)
    length = chain.length
    prev = chain.head_hash if length else _genesis_hash(chain)
    for audit_event in new:
        if audit_event.at is None:
            # Stamped after the lock, so times follow the chain's order.
            audit_event.at = utcnow()
        if audit_event.outcome is None:
            audit_event.outcome = "success"
        length += 1
        audit_event.chain_seq = length
        audit_event.prev_hash = prev
        audit_event.hash = prev = event_hash(audit_event, length, prev)
    connection.execute(
        update(_chain)
        .where(_chain.c.id == 1)
        .values(length=length, head_hash=prev, head_at=new[-1].at)
    )


def _locked_head(connection: Connection):
    """The head row, locked until commit; started here if the chain has none yet."""
    query = select(_chain).where(_chain.c.id == 1).with_for_update()
    chain = connection.execute(query).first()
    if chain is None:
        _start_chain(connection)
        chain = connection.execute(query).one()
    return chain


def _start_chain(connection: Connection) -> None:
    """Write the head row of a chain with no event yet (a second writer's insert does nothing).

    The migration that added the chain writes this row; a database emptied since (tests) has
    none. Events recorded before the chain are counted, and the last one's id kept.
    """
    count, last_id = connection.execute(
        select(func.count(), func.max(_events.c.id)).where(_events.c.chain_seq.is_(None))
    ).one()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(
        dialect.insert(_chain)
        .values(
            id=1,
            started_at=utcnow(),
            unchained_events=count,
            unchained_last_id=last_id,
            length=0,
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )


def _genesis_hash(chain) -> str:
    """The hash the first event follows: where the chain began and what came before it."""
    record = {
        "format": CHAIN_FORMAT,
        "version": VERSION,
        "started_at": _iso(chain.started_at),
        "unchained_events": chain.unchained_events,
        "unchained_last_id": chain.unchained_last_id,
    }
    return hashlib.sha256(_canonical_json(record).encode("utf-8")).hexdigest()


def _chained_rows() -> Iterator:
    return db.session.execute(
        select(_events)
        .where(_events.c.chain_seq.is_not(None))
        .order_by(_events.c.chain_seq)
        .execution_options(yield_per=1000)
    )


def _unchained_breaks(chain) -> list[ChainBreak]:
    """Events recorded before the chain began: as many as counted then, and none since."""
    breaks = []
    late = db.session.scalars(
        select(_events.c.id)
        .where(_events.c.chain_seq.is_(None), _events.c.id > (chain.unchained_last_id or 0))
        .order_by(_events.c.id)
        .limit(20)
    ).all()
    if late:
        ids = ", ".join(str(event_id) for event_id in late)
        breaks.append(
            ChainBreak(
                f"audit events outside the chain, added after it began: {ids}", None, late[0]
            )
        )
    earlier = db.session.scalar(
        select(func.count()).where(
            _events.c.chain_seq.is_(None), _events.c.id <= (chain.unchained_last_id or 0)
        )
    )
    if earlier != chain.unchained_events:
        breaks.append(
            ChainBreak(
                f"{chain.unchained_events} audit events were recorded before the chain began "
                f"and {earlier} remain: events from before the chain were deleted or added"
            )
        )
    return breaks


def _anchor_breaks(
    anchor: Anchor, anchored: str | None, length: int, genesis: str
) -> list[ChainBreak]:
    if anchor.length == 0:
        if anchor.hash == genesis:
            return []
        return [ChainBreak("the anchor is of an empty chain that began differently")]
    if anchor.length > length:
        return [
            ChainBreak(
                f"the anchor names {anchor.length} events (at {anchor.at}); the chain holds "
                f"{length}: events anchored were deleted",
                anchor.length,
            )
        ]
    if anchored != anchor.hash:
        return [
            ChainBreak(
                f"the chain at position {anchor.length} has hash {anchored}, the anchor "
                f"(at {anchor.at}) says {anchor.hash}: events up to it were changed and the "
                "chain rewritten after them",
                anchor.length,
            )
        ]
    return []


def _canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _is_sha256(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )
