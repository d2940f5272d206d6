"""Findings to raise in the alert tests."""

from __future__ import annotations

from platekeeper.rules import Finding, FindingKind, dedup_key

PLATE = "01A123BC"


def finding(region: str = "north", offence: str = "hotlist", n: int = 1) -> Finding:
    return Finding(
        offence=offence,
        kind=FindingKind.ALERT,
        key=dedup_key(offence, f"p{n}"),
        rule="hotlist",
        rule_type="hotlist",
        read_id=f"r{n}",
        pass_id=f"p{n}",
        camera="tash-c1",
        region=region,
        ts=1772427600.0 + n,
        plate=PLATE,
        priority=7,
        details={"lists": ["stolen"]},
    )
