"""Search and journey: exact, fuzzy, wildcard; justified, bounded, guarded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from store_testkit import START, StoreEnv

from platekeeper.store.errors import InvalidInput
from platekeeper.store.facade import Store
from platekeeper.store.records import BoundingBox, NewRead
from platekeeper.store.search import (
    OpenGuard,
    ReasonCode,
    SearchJustification,
    SearchMode,
    SearchQuery,
    SearchRefused,
    SearchRequest,
    SearchResult,
    SearchService,
    SearchTooBroad,
)

WHY = SearchJustification(ReasonCode.STOLEN_VEHICLE, "CASE-2026/0042")


def read(plate: str, hours: float, camera: str = "TAS-001") -> NewRead:
    return NewRead(camera, START - timedelta(hours=hours), plate, 0.9)


@pytest.fixture
def seeded(store: Store, cameras: dict[str, int]) -> Store:
    store.reads.ingest(
        [
            read("01A123BC", 50, "SAM-001"),  # two days ago, other agency
            read("01A123BC", 3, "TAS-001"),
            read("01A123BC", 2.9, "TAS-002"),
            read("O1A1Z3BC", 2, "TAS-002"),  # a misread of the same plate
            read("01A999ZZ", 1, "TAS-001"),
            read("10B777QQ", 1, "TAS-002"),
        ]
    )
    return store


def search(store: Store, text: str, mode: SearchMode = SearchMode.EXACT, **kw: Any) -> SearchResult:
    why = kw.pop("why", WHY)
    query = SearchQuery(
        text,
        kw.pop("start", START - timedelta(days=7)),
        kw.pop("end", START + timedelta(hours=1)),
        mode,
        **kw,
    )
    return store.search_service(OpenGuard()).search(query, why)


def plates(result: SearchResult) -> list[tuple[str, str]]:
    return [(r.plate, r.camera.code) for r in result.reads]


def test_exact_search_across_days_and_agencies(seeded: Store) -> None:
    result = search(seeded, "01 a 123 bc")
    assert plates(result) == [
        ("01A123BC", "SAM-001"),
        ("01A123BC", "TAS-001"),
        ("01A123BC", "TAS-002"),
    ]
    assert not result.truncated


def test_fuzzy_search_finds_misreads(seeded: Store) -> None:
    result = search(seeded, "01A123BC", SearchMode.FUZZY)
    assert sorted(r.plate for r in result.reads) == ["01A123BC"] * 3 + ["O1A1Z3BC"]


def test_wildcard_search(seeded: Store) -> None:
    window = {"start": START - timedelta(hours=12), "end": START}
    assert sorted(r.plate for r in search(seeded, "01A*", SearchMode.WILDCARD, **window).reads) == [
        "01A123BC",
        "01A123BC",
        "01A999ZZ",
    ]
    single = search(seeded, "?1A1Z3BC", SearchMode.WILDCARD, **window)
    assert [r.plate for r in single.reads] == ["O1A1Z3BC"]


def test_wildcard_window_is_bounded(seeded: Store) -> None:
    with pytest.raises(SearchRefused, match="24 hours"):
        search(seeded, "01A*", SearchMode.WILDCARD)
    widened = SearchJustification(ReasonCode.COURT_ORDER, "CASE-2026/0042", widen=True)
    result = search(seeded, "01A*", SearchMode.WILDCARD, why=widened)
    assert len(result.reads) == 4


def test_wildcard_refuses_too_many_reads(env: StoreEnv, cameras: dict[str, int]) -> None:
    store = env.open(max_wildcard_rows=3)
    store.reads.ingest([read(f"01A{n:03d}BC", n / 100) for n in range(5)])
    with pytest.raises(SearchTooBroad, match="narrow it"):
        search(store, "01A*", SearchMode.WILDCARD, start=START - timedelta(hours=2), end=START)


def test_wildcard_needs_known_characters(seeded: Store) -> None:
    with pytest.raises(InvalidInput, match="known characters"):
        search(seeded, "*", SearchMode.WILDCARD, start=START - timedelta(hours=2), end=START)


def test_camera_and_area_filters(seeded: Store, cameras: dict[str, int]) -> None:
    only_tas2 = search(seeded, "01A123BC", camera_ids=(cameras["TAS-002"],))
    assert plates(only_tas2) == [("01A123BC", "TAS-002")]
    samarkand = BoundingBox(39.0, 66.0, 40.0, 67.5)
    assert plates(search(seeded, "01A123BC", area=samarkand)) == [("01A123BC", "SAM-001")]
    nowhere = BoundingBox(0.0, 0.0, 1.0, 1.0)
    assert search(seeded, "01A123BC", area=nowhere).reads == ()


def test_time_window_filters(seeded: Store) -> None:
    result = search(seeded, "01A123BC", start=START - timedelta(hours=10), end=START)
    assert len(result.reads) == 2


def test_limit_truncates(seeded: Store) -> None:
    result = search(seeded, "01A123BC", limit=2)
    assert len(result.reads) == 2
    assert result.truncated


def test_journey_is_ordered_with_positions(seeded: Store) -> None:
    service = seeded.search_service(OpenGuard())
    result = service.journey("01A123BC", START - timedelta(days=7), START, WHY)
    times = [r.captured_at for r in result.reads]
    assert times == sorted(times)
    first = result.reads[0]
    assert (first.camera.latitude, first.camera.longitude) == (39.654, 66.975)
    assert first.camera.direction == "westbound"
    assert result.reads[1].camera.road_segment == "M39-1"


def test_window_wider_than_maximum_is_refused(seeded: Store) -> None:
    service = seeded.search_service(OpenGuard())
    with pytest.raises(SearchRefused, match="31 days unless explicitly widened"):
        service.journey("01A123BC", START - timedelta(days=40), START, WHY)
    widened = SearchJustification(ReasonCode.COURT_ORDER, "CASE-2026/0042", widen=True)
    assert len(service.journey("01A123BC", START - timedelta(days=40), START, widened).reads) == 3
    with pytest.raises(SearchRefused, match="366 days"):
        service.journey("01A123BC", START - timedelta(days=400), START, widened)


@pytest.mark.parametrize("case_number", ["", "x", "CASE 1", "../etc/passwd", "a" * 80])
def test_justification_needs_a_case_number(case_number: str) -> None:
    with pytest.raises(InvalidInput, match="case number"):
        SearchJustification(ReasonCode.INVESTIGATION, case_number)


def test_justification_reason_codes() -> None:
    assert SearchJustification("court_order", "C-1/2026").reason is ReasonCode.COURT_ORDER  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="reason code"):
        SearchJustification("curiosity", "C-1/2026")  # type: ignore[arg-type]


def test_search_without_justification_is_refused(seeded: Store) -> None:
    service = seeded.search_service(OpenGuard())
    with pytest.raises(SearchRefused, match="justification"):
        service.journey("01A123BC", START - timedelta(days=1), START, None)  # type: ignore[arg-type]


def test_bad_window_and_plate(seeded: Store) -> None:
    service = seeded.search_service(OpenGuard())
    with pytest.raises(InvalidInput, match="ends before"):
        service.journey("01A123BC", START, START - timedelta(days=1), WHY)
    with pytest.raises(InvalidInput, match="only letters"):
        service.journey("01A;--", START - timedelta(days=1), START, WHY)


@dataclass
class RecordingGuard:
    """A guard as the access-control room will supply: refuses one principal,
    and records every outcome (optionally failing, as an audit log can)."""

    refuse: str | None = None
    fail_recording: bool = False
    seen: list[tuple[str, object, int | None, str | None]] = field(default_factory=list)

    def authorize(self, request: SearchRequest) -> None:
        if request.principal == self.refuse:
            raise SearchRefused("not allowed for this principal")

    def record(
        self, request: SearchRequest, result: SearchResult | None, error: Exception | None
    ) -> None:
        if self.fail_recording:
            raise RuntimeError("audit log unavailable")
        self.seen.append(
            (
                request.justification.case_number,
                request.principal,
                len(result.reads) if result else None,
                type(error).__name__ if error else None,
            )
        )


def test_guard_sees_principal_and_outcome(seeded: Store) -> None:
    guard = RecordingGuard(refuse="intruder")
    service = SearchService(seeded.reads, seeded.keys, seeded.cameras, seeded.config.store, guard)
    service.journey("01A123BC", START - timedelta(days=7), START, WHY, principal="officer-7")
    with pytest.raises(SearchRefused):
        service.journey("01A123BC", START - timedelta(days=7), START, WHY, principal="intruder")
    assert guard.seen == [
        ("CASE-2026/0042", "officer-7", 3, None),
        ("CASE-2026/0042", "intruder", None, "SearchRefused"),
    ]


def test_results_are_withheld_when_recording_fails(seeded: Store) -> None:
    service = seeded.search_service(RecordingGuard(fail_recording=True))
    with pytest.raises(RuntimeError, match="audit log unavailable"):
        service.journey("01A123BC", START - timedelta(days=7), START, WHY)


def test_search_of_a_period_without_reads(seeded: Store) -> None:
    result = search(
        seeded, "01A123BC", start=START + timedelta(days=1), end=START + timedelta(days=2)
    )
    assert result.reads == ()
