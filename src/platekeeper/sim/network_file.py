"""The schema of a camera network file (YAML or JSON), as pydantic models.

An operator can replace the bundled network (``sim/data/network.yaml``) with
their own camera list: the same schema, validated field by field here
(``extra="forbid"``, so a misspelt key is an error) and for cross-references
(a bank on a node its road does not pass, a section joining two roads …) by
:mod:`platekeeper.sim.network_check`, both reported with the file's line.

Coordinates are WGS 84 degrees; image coordinates are pixels of the camera's
still image, origin top-left, x to the right, y down.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Identifier = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Letters, digits, '-', '_' and '.'; starts with a letter or digit.",
    ),
]
Point = tuple[int, int]
Latitude = Annotated[float, Field(ge=-90.0, le=90.0)]
Longitude = Annotated[float, Field(ge=-180.0, le=180.0)]

_REGION_CODE = re.compile(r"^[0-9]{2}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegionEntry(_Strict):
    """A plate region: its two-digit code, its name and the agency that runs its cameras."""

    code: str = Field(title="Region code", description="Two digits, as on the plate (01, 10 …).")
    name: str = Field(min_length=1, title="Name", description="The region's name.")
    agency: str = Field(
        min_length=1,
        title="Agency",
        description="The traffic police service that owns the region's cameras.",
    )

    @field_validator("code")
    @classmethod
    def _two_digits(cls, value: str) -> str:
        if not _REGION_CODE.match(value):
            raise ValueError("a region code is two digits, written as a string ('01')")
        return value


class CityEntry(_Strict):
    """A city: a zone for time-window restrictions and a home for vehicles."""

    id: Identifier = Field(title="City id")
    name: str = Field(min_length=1, title="Name")
    region: str = Field(title="Region code", description="Code of the region it lies in.")
    lat: Latitude = Field(title="Latitude of the centre")
    lon: Longitude = Field(title="Longitude of the centre")
    radius_km: float = Field(
        gt=0, le=60, title="Radius", description="Every bank of this city lies within it (km)."
    )
    population_share: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        title="Share of vehicles",
        description="Share of the simulated fleet registered here (normalised over cities).",
    )


class RoadKindEntry(_Strict):
    """Defaults for a kind of road."""

    limit_kmh: int = Field(gt=0, le=150, title="Speed limit", description="km/h")
    detour_factor: float = Field(
        ge=1.0,
        le=2.5,
        title="Detour factor",
        description="Road length between two consecutive nodes divided by the straight "
        "(great-circle) distance between them.",
    )
    urban: bool = Field(
        default=False,
        title="Urban",
        description="Slowed by rush-hour congestion (city streets) rather than open-road traffic.",
    )
    description: str = Field(default="", title="What the kind stands for")


class LayoutEntry(_Strict):
    """What a camera sees: image size, one region of interest per lane, a stop line."""

    resolution: tuple[int, int] = Field(
        title="Resolution", description="Width and height of the still image in pixels."
    )
    lanes: list[list[Point]] = Field(
        min_length=1,
        max_length=8,
        title="Lane regions",
        description="One polygon per lane, lane 1 (the kerb lane) first.",
    )
    stop_line: tuple[Point, Point] | None = Field(
        default=None,
        title="Stop line",
        description="Two image points on the stop line, for cameras at signalled junctions.",
    )

    @model_validator(mode="after")
    def _inside(self) -> LayoutEntry:
        width, height = self.resolution
        if not (320 <= width <= 16384 and 240 <= height <= 16384):
            raise ValueError("resolution must be between 320x240 and 16384x16384")
        points = [p for lane in self.lanes for p in lane] + list(self.stop_line or ())
        for x, y in points:
            if not (0 <= x <= width and 0 <= y <= height):
                raise ValueError(f"point ({x}, {y}) lies outside the {width}x{height} image")
        for number, lane in enumerate(self.lanes, start=1):
            if len(lane) < 3:
                raise ValueError(f"lane {number}: a region needs at least 3 points")
        return self


class NodeEntry(_Strict):
    """A point of the road graph: a junction, an interchange, a gantry site."""

    id: Identifier = Field(title="Node id")
    name: str = Field(min_length=1, title="Name")
    lat: Latitude = Field(title="Latitude")
    lon: Longitude = Field(title="Longitude")
    border: bool = Field(
        default=False,
        title="Border crossing",
        description="Traffic leaves and enters the country here.",
    )


class LegEntry(_Strict):
    """A node of a road's list with its own kind or limit for the leg that arrives at it."""

    node: Identifier = Field(title="Node id")
    kind: str | None = Field(default=None, title="Road kind of the leg arriving here")
    limit_kmh: int | None = Field(default=None, gt=0, le=150, title="Speed limit of that leg")


class RoadEntry(_Strict):
    """A road: an ordered list of nodes. Forward is the list's order."""

    id: Identifier = Field(title="Road id")
    name: str = Field(min_length=1, title="Name")
    route: str = Field(default="", title="Route number", description="M39, A373 … if any.")
    kind: str = Field(title="Road kind", description="A key of road_kinds.")
    limit_kmh: int | None = Field(default=None, gt=0, le=150, title="Speed limit")
    loop: bool = Field(
        default=False,
        title="Ring road",
        description="The last node joins the first (write each node once).",
    )
    nodes: list[Identifier | LegEntry] = Field(min_length=2, title="Nodes in forward order")


class SignalEntry(_Strict):
    """A fixed-time signal programme for the approach a bank watches."""

    cycle_s: float = Field(gt=0, le=600, title="Cycle", description="Seconds.")
    green_s: float = Field(gt=0, title="Green", description="Seconds.")
    amber_s: float = Field(ge=0, le=10, title="Amber", description="Seconds.")
    red_s: float = Field(gt=0, title="Red", description="Seconds (all-red included).")
    offset_s: float = Field(
        default=0.0,
        ge=0,
        title="Offset",
        description="Seconds into the cycle at 00:00:00 UTC 1 January 1970; green starts "
        "at offset + k x cycle.",
    )

    @model_validator(mode="after")
    def _adds_up(self) -> SignalEntry:
        if abs(self.green_s + self.amber_s + self.red_s - self.cycle_s) > 1e-6:
            raise ValueError("green + amber + red must equal the cycle")
        if self.offset_s >= self.cycle_s:
            raise ValueError("the offset must be shorter than the cycle")
        return self


class BankEntry(_Strict):
    """A camera bank: one camera over the lanes of one direction of a road at a node."""

    id: Identifier = Field(title="Bank id")
    name: str = Field(min_length=1, title="Name")
    camera: Identifier | None = Field(
        default=None, title="Camera code", description="Defaults to the bank id with '-c1'."
    )
    node: Identifier = Field(title="Node", description="Where the bank stands.")
    road: Identifier = Field(title="Road")
    direction: Literal["forward", "reverse"] = Field(
        title="Direction",
        description="Which traffic it watches: arriving at the node in the road's forward "
        "order, or in reverse.",
    )
    city: Identifier | None = Field(default=None, title="City (zone)")
    region: str | None = Field(default=None, title="Region code", description="Default: city's.")
    agency: str | None = Field(default=None, title="Agency", description="Default: region's.")
    layout: Identifier = Field(title="Camera layout", description="A key of layouts.")
    limit_kmh: int | None = Field(default=None, gt=0, le=150, title="Posted speed limit")
    signal: SignalEntry | None = Field(default=None, title="Signal programme (junctions)")
    position: tuple[Latitude, Longitude] | None = Field(
        default=None,
        title="Position",
        description="Default: 25 m before the node on the approach.",
    )
    heading_deg: float | None = Field(
        default=None,
        ge=0,
        lt=360,
        title="Camera heading",
        description="Where the camera points; default: against the traffic (front plates).",
    )


class SectionEntry(_Strict):
    """An average-speed section: two banks on one road in one direction."""

    id: Identifier = Field(title="Section id")
    entry: Identifier = Field(title="Entry bank")
    exit: Identifier = Field(title="Exit bank")
    limit_kmh: int | None = Field(default=None, gt=0, le=150, title="Speed limit")
    distance_m: float | None = Field(
        default=None,
        gt=0,
        title="Road distance",
        description="Measured distance in metres; default: computed along the road.",
    )


class NetworkFile(_Strict):
    """A whole camera network."""

    version: Literal[1] = Field(title="Schema version")
    name: str = Field(min_length=1, title="Name")
    description: str = Field(default="", title="Description")
    utc_offset_hours: float = Field(
        ge=-12, le=14, title="Local time", description="Offset of local time from UTC."
    )
    regions: list[RegionEntry] = Field(min_length=1, title="Regions")
    cities: list[CityEntry] = Field(default_factory=list, title="Cities")
    road_kinds: dict[str, RoadKindEntry] = Field(min_length=1, title="Road kinds")
    layouts: dict[str, LayoutEntry] = Field(min_length=1, title="Camera layouts")
    nodes: list[NodeEntry] = Field(min_length=2, title="Nodes")
    roads: list[RoadEntry] = Field(min_length=1, title="Roads")
    banks: list[BankEntry] = Field(min_length=1, title="Camera banks")
    sections: list[SectionEntry] = Field(default_factory=list, title="Speed sections")
