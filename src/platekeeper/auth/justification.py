"""Why a search is made: a reason from a fixed list and a case number.

Every plate search and vehicle journey carries one; it is written to the
audit log with the search and shown in transparency figures. The list is
fixed in code so that reasons can be counted and compared, not typed freely.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from platekeeper.store.search import CASE_NUMBER_PATTERN, ReasonCode, SearchJustification

__all__ = ["REASON_LABELS", "Justification", "ReasonCode", "ReasonOption", "reason_options"]

REASON_LABELS: Mapping[ReasonCode, str] = {
    ReasonCode.INVESTIGATION: "Criminal investigation",
    ReasonCode.STOLEN_VEHICLE: "Stolen vehicle",
    ReasonCode.MISSING_PERSON: "Missing or endangered person",
    ReasonCode.TRAFFIC_OFFENCE: "Traffic offence follow-up",
    ReasonCode.ROAD_INCIDENT: "Road traffic incident",
    ReasonCode.COURT_ORDER: "Court order",
    ReasonCode.DATA_SUBJECT_REQUEST: "Data subject access request",
}


class ReasonOption(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: ReasonCode
    label: str


def reason_options() -> list[ReasonOption]:
    return [ReasonOption(value=code, label=REASON_LABELS[code]) for code in ReasonCode]


class Justification(BaseModel):
    """The reason and case a search is made for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason_code: ReasonCode = Field(description="Why the search is made (fixed list)")
    case_number: str = Field(
        min_length=3,
        max_length=64,
        pattern=CASE_NUMBER_PATTERN,
        description="The case or incident number the search belongs to",
    )

    def for_store(self, *, widen: bool = False) -> SearchJustification:
        return SearchJustification(self.reason_code, self.case_number, widen=widen)
