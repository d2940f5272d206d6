"""Why a search is made: a reason from a fixed list and a case number.

Every plate search and vehicle journey carries one; it is written to the
audit log with the search and shown in transparency figures. The list is
fixed in code so that reasons can be counted and compared, not typed freely.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ReasonCode(StrEnum):
    CRIMINAL_INVESTIGATION = "criminal_investigation"
    STOLEN_VEHICLE = "stolen_vehicle"
    MISSING_PERSON = "missing_person"
    TRAFFIC_OFFENCE = "traffic_offence"
    ROAD_INCIDENT = "road_incident"
    COURT_ORDER = "court_order"
    DATA_SUBJECT_REQUEST = "data_subject_request"


REASON_LABELS: Mapping[ReasonCode, str] = {
    ReasonCode.CRIMINAL_INVESTIGATION: "Criminal investigation",
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
        pattern=r"^[A-Za-z0-9][A-Za-z0-9/._-]{2,63}$",
        description="The case or incident number the search belongs to",
    )
