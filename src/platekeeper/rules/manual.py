"""Manual flags: an offence a reviewer sees in the evidence that no rule
raised (a seatbelt not worn, a phone in hand, a plate the reader missed).

The review queue calls :meth:`platekeeper.rules.engine.RulesEngine.flag`,
which builds the finding here and passes it through the same deduplication
as the rules: flagging an offence a classifier already raised for the same
pass gives no second violation.
"""

from __future__ import annotations

import re

from platekeeper.rules.model import Finding, FindingKind, ReadEvent, Source, dedup_key

OFFENCE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MAX_NOTE = 1000


def manual_finding(
    read: ReadEvent, offence: str, *, flagged_by: str, note: str = "", region: str = ""
) -> Finding:
    """A finding raised by a person; ``ValueError`` on a malformed offence or note."""
    if not OFFENCE_NAME.match(offence):
        raise ValueError("an offence name is 2-40 lower-case letters, digits or '_'")
    if len(note) > MAX_NOTE:
        raise ValueError(f"a note is at most {MAX_NOTE} characters")
    if not flagged_by:
        raise ValueError("a manual flag names who raised it")
    return Finding(
        offence=offence,
        kind=FindingKind.VIOLATION,
        key=dedup_key(offence, read.pass_key),
        rule="manual",
        rule_type="manual",
        read_id=read.read_id,
        pass_id=read.pass_key,
        camera=read.camera,
        region=region,
        ts=read.ts,
        plate=read.plate,
        country=read.country,
        evidence=read.evidence,
        details={"flagged_by": flagged_by, "note": note},
        source=Source.MANUAL,
    )
