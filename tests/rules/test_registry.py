"""Registry status (unregistered, expired, stolen) and the CSV import."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rules_helpers import T0, build, context, read

from platekeeper.rules import (
    CameraSite,
    FindingKind,
    MemoryRegistry,
    RegistryRecord,
    RegistryStatus,
)
from platekeeper.rules.registry_import import (
    ImportReport,
    RegistryImportError,
    import_registry_csv,
    read_registry_csv,
)
from platekeeper.sim.network import Network
from platekeeper.sim.population import Population
from platekeeper.sim.registry import write_registry_csv

R = RegistryStatus
RECORDS = [
    RegistryRecord("01A111AA", R.REGISTERED, "UZ", registered_until=date(2026, 3, 1)),
    RegistryRecord("01A222AA", R.EXPIRED, "UZ"),
    RegistryRecord("01A333AA", R.UNREGISTERED, "UZ"),
    RegistryRecord("01A444AA", R.STOLEN, "UZ"),
    RegistryRecord("01A555AA", R.REGISTERED, "UZ", registered_until=date(2027, 1, 1)),
]


def rule(**config: Any) -> Any:
    ctx = context(CameraSite("cam-a", region="r1"), registry=MemoryRegistry(RECORDS))
    return build("registry", {"type": "registry_status", **config}, ctx)


def offences(r: Any, plate: str, **kw: Any) -> list[str]:
    return [f.offence for f in r.evaluate(read(plate=plate, country="UZ", **kw))]


def test_statuses() -> None:
    r = rule()
    assert offences(r, "01A222AA") == ["expired"]
    assert offences(r, "01A333AA") == ["unregistered"]
    assert offences(r, "01A555AA") == []
    assert offences(r, "99Z999ZZ") == []  # unknown plates are ignored by default
    (stolen,) = r.evaluate(read(plate="01A444AA", country="UZ"))
    assert stolen.kind is FindingKind.ALERT
    assert stolen.priority == 8


def test_expiry_date_in_local_time_with_grace() -> None:
    # Registered until 1 March; T0 is 2 March 10:00 in Tashkent.
    assert offences(rule(), "01A111AA") == ["expired"]
    assert offences(rule(expiry_grace_days=1), "01A111AA") == []
    assert offences(rule(check_expiry_date=False), "01A111AA") == []
    # 1 March 23:30 in Tashkent is still 1 March there (18:30 UTC).
    last_evening = T0 - 10.5 * 3600
    assert offences(rule(), "01A111AA", ts=last_evening) == []


def test_which_offences_and_unknown_plates() -> None:
    only_stolen = rule(flag=["stolen"])
    assert offences(only_stolen, "01A222AA") == []
    assert offences(only_stolen, "01A444AA") == ["stolen"]
    strict = rule(unknown_plate="unregistered")
    assert offences(strict, "99Z999ZZ") == ["unregistered"]
    foreign = strict.evaluate(read(plate="99Z999ZZ", country="KZ"))
    assert foreign == ()


CSV = """plate,country,status,vehicle_class,registered_until,make,colour,restrictions
01 A 123 BC,UZ,registered,car,2027-01-01,Chevrolet Cobalt,white,
01A124BC,UZ,stolen,car,,Kia K5,black,
01A125BC,UZ,registred,car,,x,y,
01A!26BC,UZ,registered,car,,x,y,
01A127BC,UZBEK,registered,car,,x,y,
01A128BC,UZ,registered,car,01/02/2027,x,y,
01A129BC,UZ,registered,truck,,x,y,"[{""kind"":""time_window"",""start"":""22:00"",""end"":""06:00"",""zones"":[""tashkent""]}]"
01A130BC,UZ,registered,truck,,x,y,"[{""kind"": ""time_window"", ""start"": ""22:00""}]"
01A131BC,UZ,registered,truck,,x,y,{not json
01A123BC,UZ,expired,car,,x,y,
01A132BC,UZ,registered
01A133BC,UZ,registered,car,,x,y,,surplus
"""


def test_csv_import_reports_every_refused_line(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(CSV, encoding="utf-8")
    registry = MemoryRegistry()
    report = import_registry_csv(path, registry)
    assert (report.lines, report.imported, report.rejected_count) == (12, 3, 9)
    reasons = {r.line: r.reason for r in report.rejected}
    assert "unknown status" in reasons[4]
    assert "plate letters" in reasons[5]
    assert "country" in reasons[6]
    assert "YYYY-MM-DD" in reasons[7]
    assert "restriction 1: end" in reasons[9]
    assert "not valid JSON" in reasons[10]
    assert "line 2" in reasons[11]  # a duplicate of the first plate
    assert "fewer fields" in reasons[12]
    assert "more fields" in reasons[13]
    summary = report.summary()
    assert "12 lines: 3 imported, 9 refused" in summary
    assert "01A" not in summary  # no plate in the report
    record = registry.lookup("01A123BC", "UZ")
    assert record is not None
    assert record.registered_until == date(2027, 1, 1)
    banned = registry.lookup("01A129BC", "UZ")
    assert banned is not None
    assert banned.restrictions[0].zones == frozenset({"tashkent"})


def test_strict_import_imports_nothing_on_a_refused_line(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(CSV, encoding="utf-8")
    registry = MemoryRegistry()
    report = import_registry_csv(path, registry, strict=True)
    assert report.imported == 0
    assert report.rejected_count == 9
    assert len(registry) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no header"),
        ("plate,country\n01A123BC,UZ\n", "missing column"),
        ("plate,status,owner\n01A123BC,stolen,x\n", "unknown column"),
        ("plate,status,status\n01A123BC,stolen,x\n", "twice"),
    ],
)
def test_whole_file_problems_refuse_the_file(text: str, message: str) -> None:
    with pytest.raises(RegistryImportError, match=message):
        list(read_registry_csv(io.StringIO(text), ImportReport()))


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_bytes(b"plate,status\n01A123BC,stol\xe9n\n")
    registry = MemoryRegistry()
    with pytest.raises(RegistryImportError, match=r"UTF-8|readable"):
        import_registry_csv(path, registry)


def test_the_simulated_registry_export_imports_cleanly(tmp_path: Path) -> None:
    population = Population.generate(Network.load(), 300, 3)
    path = tmp_path / "sim.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        write_registry_csv(population.registry_rows(), out)
    registry = MemoryRegistry()
    report = import_registry_csv(path, registry)
    assert report.rejected_count == 0
    assert report.imported == 300 == len(registry)
    for v in population:
        record = registry.lookup(v.plate, "UZ")
        assert record is not None
        assert record.status.value == v.status.value
        assert len(record.restrictions) == len(v.restrictions)
