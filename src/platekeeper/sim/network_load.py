"""Reading a camera network file: YAML or JSON, validated by the schema of
:mod:`platekeeper.sim.network_file`, then checked for cross-references.

Every problem is reported with the file's line, all at once, so an operator
fixing a camera list sees everything that is wrong in one go.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from platekeeper.sim.geo import haversine_m
from platekeeper.sim.network_file import BankEntry, LegEntry, NetworkFile, RoadEntry

DEFAULT_NETWORK = Path(__file__).parent / "data" / "network.yaml"
MAX_FILE_BYTES = 16 * 1024 * 1024

Loc = tuple[str, ...]


class NetworkError(ValueError):
    """A network file that cannot be used, worded for the operator."""


def read_network_file(path: Path | None = None) -> NetworkFile:
    """Parse and validate a network file (the bundled one when ``path`` is None)."""
    path = path or DEFAULT_NETWORK
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise NetworkError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise NetworkError(f"cannot read network file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise NetworkError(f"{path}: not UTF-8 text") from exc
    return parse_network(text, str(path))


def parse_network(text: str, source: str = "<network>") -> NetworkFile:
    """Validate the text of a network file; ``source`` names it in errors."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise NetworkError(f"{source}: not valid YAML or JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise NetworkError(f"{source}: the top level must be a mapping")
    lines: dict[Loc, int] = {}
    if node is not None:
        _collect_lines(node, (), lines)
    try:
        model = NetworkFile.model_validate(data)
    except ValidationError as exc:
        problems = [
            (tuple(str(p) for p in error["loc"]), str(error["msg"])) for error in exc.errors()
        ]
        raise NetworkError(_explain(problems, lines, source)) from exc
    problems = list(check_references(model))
    if problems:
        raise NetworkError(_explain(problems, lines, source))
    return model


def _collect_lines(node: yaml.Node, prefix: Loc, out: dict[Loc, int]) -> None:
    out.setdefault(prefix, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, str(key_node.value))
            out[key] = key_node.start_mark.line + 1
            _collect_lines(value_node, key, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, (*prefix, str(index)), out)


def _explain(problems: Iterable[tuple[Loc, str]], lines: Mapping[Loc, int], source: str) -> str:
    messages = []
    for loc, msg in problems:
        line = None
        for depth in range(len(loc), -1, -1):
            line = lines.get(loc[:depth])
            if line is not None:
                break
        where = f"{source} line {line}" if line is not None else source
        messages.append(f"{where}: {'.'.join(loc) or '(top)'}: {msg}")
    return "invalid network file:\n  " + "\n  ".join(messages)


def _duplicates(ids: Iterable[str]) -> set[str]:
    return {name for name, count in Counter(ids).items() if count > 1}


def check_references(model: NetworkFile) -> Iterable[tuple[Loc, str]]:
    """Everything the field validators cannot see: ids, references, geometry."""
    yield from _check_ids(model)
    yield from _check_roads(model)
    yield from _check_banks(model)
    yield from _check_sections(model)


def _road_ids(road: RoadEntry) -> list[str]:
    return [n.node if isinstance(n, LegEntry) else n for n in road.nodes]


def _check_ids(model: NetworkFile) -> Iterable[tuple[Loc, str]]:
    for key, items in (
        ("regions", [r.code for r in model.regions]),
        ("cities", [c.id for c in model.cities]),
        ("nodes", [n.id for n in model.nodes]),
        ("roads", [r.id for r in model.roads]),
        ("banks", [b.id for b in model.banks]),
        ("sections", [s.id for s in model.sections]),
    ):
        for dup in sorted(_duplicates(items)):
            yield (key,), f"'{dup}' is defined more than once"
    cameras = [b.camera or f"{b.id}-c1" for b in model.banks]
    for dup in sorted(_duplicates(cameras)):
        yield ("banks",), f"camera code '{dup}' is used by more than one bank"
    regions = {r.code for r in model.regions}
    for i, city in enumerate(model.cities):
        if city.region not in regions:
            yield ("cities", str(i), "region"), f"unknown region '{city.region}'"


def _check_roads(model: NetworkFile) -> Iterable[tuple[Loc, str]]:
    nodes = {n.id for n in model.nodes}
    for i, road in enumerate(model.roads):
        loc: Loc = ("roads", str(i))
        if road.kind not in model.road_kinds:
            yield (*loc, "kind"), f"unknown road kind '{road.kind}'"
        for j, entry in enumerate(road.nodes):
            node_id = entry.node if isinstance(entry, LegEntry) else entry
            if node_id not in nodes:
                yield (*loc, "nodes", str(j)), f"unknown node '{node_id}'"
            if isinstance(entry, LegEntry):
                if entry.kind is not None and entry.kind not in model.road_kinds:
                    yield (*loc, "nodes", str(j)), f"unknown road kind '{entry.kind}'"
                if j == 0 and not road.loop:
                    yield (*loc, "nodes", "0"), "the first node has no leg arriving at it"
        for dup in sorted(_duplicates(_road_ids(road))):
            yield (*loc, "nodes"), f"node '{dup}' appears twice (a ring is written with loop: true)"
        if road.loop and len(road.nodes) < 3:
            yield (*loc, "nodes"), "a ring needs at least 3 nodes"


def _check_banks(model: NetworkFile) -> Iterable[tuple[Loc, str]]:
    regions = {r.code for r in model.regions}
    cities = {c.id: c for c in model.cities}
    nodes = {n.id: n for n in model.nodes}
    roads = {r.id: r for r in model.roads}
    for i, bank in enumerate(model.banks):
        loc: Loc = ("banks", str(i))
        road = roads.get(bank.road)
        if road is None:
            yield (*loc, "road"), f"unknown road '{bank.road}'"
        else:
            yield from _check_approach(loc, road, bank)
        yield from _check_layout(loc, model, bank)
        region = bank.region
        node = nodes.get(bank.node)
        if bank.city is not None:
            city = cities.get(bank.city)
            if city is None:
                yield (*loc, "city"), f"unknown city '{bank.city}'"
            else:
                region = region or city.region
                far = haversine_m(city.lat, city.lon, node.lat, node.lon) / 1000 if node else 0
                if far > city.radius_km:
                    yield (
                        (*loc, "node"),
                        (
                            f"'{bank.node}' is {far:.1f} km from the centre of {city.name}, "
                            f"outside its {city.radius_km:g} km radius"
                        ),
                    )
        if region is None:
            yield loc, "a bank outside a city needs a region"
        elif region not in regions:
            yield (*loc, "region"), f"unknown region '{region}'"
        if bank.position and node and haversine_m(node.lat, node.lon, *bank.position) > 500:
            yield (*loc, "position"), "more than 500 m from its node"


def _check_layout(loc: Loc, model: NetworkFile, bank: BankEntry) -> Iterable[tuple[Loc, str]]:
    layout = model.layouts.get(bank.layout)
    if layout is None:
        yield (*loc, "layout"), f"unknown layout '{bank.layout}'"
    elif bank.signal is not None and layout.stop_line is None:
        yield (*loc, "layout"), "a bank with a signal needs a layout with a stop line"


def _check_approach(loc: Loc, road: RoadEntry, bank: BankEntry) -> Iterable[tuple[Loc, str]]:
    ids = _road_ids(road)
    if bank.node not in ids:
        yield (*loc, "node"), f"road '{bank.road}' does not pass node '{bank.node}'"
        return
    if road.loop:
        return
    index = ids.index(bank.node)
    if bank.direction == "forward" and index == 0:
        yield (
            (*loc, "direction"),
            (f"nothing arrives at '{bank.node}' going forward: it is where '{bank.road}' starts"),
        )
    if bank.direction == "reverse" and index == len(ids) - 1:
        yield (
            (*loc, "direction"),
            (f"nothing arrives at '{bank.node}' in reverse: it is where '{bank.road}' ends"),
        )


def _check_sections(model: NetworkFile) -> Iterable[tuple[Loc, str]]:
    banks = {b.id: b for b in model.banks}
    roads = {r.id: r for r in model.roads}
    for i, section in enumerate(model.sections):
        loc: Loc = ("sections", str(i))
        entry, exit_ = banks.get(section.entry), banks.get(section.exit)
        if entry is None:
            yield (*loc, "entry"), f"unknown bank '{section.entry}'"
        if exit_ is None:
            yield (*loc, "exit"), f"unknown bank '{section.exit}'"
        if entry is None or exit_ is None:
            continue
        road = roads.get(entry.road)
        if section.entry == section.exit:
            yield loc, "entry and exit are the same bank"
        elif entry.road != exit_.road:
            yield loc, f"entry is on '{entry.road}' and exit on '{exit_.road}': not one road"
        elif entry.direction != exit_.direction:
            yield loc, "entry and exit watch opposite directions"
        elif road is not None and not road.loop:
            ids = _road_ids(road)
            if entry.node in ids and exit_.node in ids:
                before = ids.index(entry.node) < ids.index(exit_.node)
                if before != (entry.direction == "forward"):
                    yield loc, "the exit comes before the entry in the direction of travel"
