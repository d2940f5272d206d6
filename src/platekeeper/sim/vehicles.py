"""Vehicle classes, make-like labels and colours of the simulated fleet, with
the weights the street scene of an Uzbek city suggests (a great many white
Chevrolet saloons, Damas minivans, Isuzu buses and KAMAZ trucks). The labels
tell the renderer what shape to draw; they are not a registry of real models.
"""

from __future__ import annotations

import random
from enum import StrEnum
from typing import Final


class VehicleClass(StrEnum):
    CAR = "car"
    TAXI = "taxi"
    BUS = "bus"
    TRUCK = "truck"
    MOTORCYCLE = "motorcycle"


# (label, weight); for trucks the third item says whether it is a heavy goods vehicle.
MAKES: Final[dict[VehicleClass, tuple[tuple[str, float, bool], ...]]] = {
    VehicleClass.CAR: (
        ("Chevrolet Cobalt", 0.22, False),
        ("Chevrolet Nexia", 0.14, False),
        ("Chevrolet Spark", 0.12, False),
        ("Chevrolet Gentra", 0.10, False),
        ("Chevrolet Lacetti", 0.08, False),
        ("Chevrolet Damas", 0.08, False),
        ("Chevrolet Malibu", 0.06, False),
        ("Chevrolet Tracker", 0.05, False),
        ("Kia K5", 0.04, False),
        ("Hyundai Sonata", 0.03, False),
        ("BYD Song Plus", 0.03, False),
        ("Lada Granta", 0.03, False),
        ("Toyota Camry", 0.02, False),
    ),
    VehicleClass.TAXI: (
        ("Chevrolet Cobalt", 0.45, False),
        ("Chevrolet Nexia", 0.2, False),
        ("Chevrolet Gentra", 0.15, False),
        ("Chevrolet Lacetti", 0.1, False),
        ("Kia K5", 0.1, False),
    ),
    VehicleClass.BUS: (
        ("Isuzu Citiport", 0.4, True),
        ("MAN Lion's City", 0.2, True),
        ("Yutong ZK6122", 0.25, True),
        ("Mercedes-Benz Tourismo", 0.15, True),
    ),
    VehicleClass.TRUCK: (
        ("KAMAZ 5490", 0.25, True),
        ("MAN TGS", 0.15, True),
        ("Howo A7", 0.12, True),
        ("Shacman X3000", 0.1, True),
        ("Volvo FH", 0.05, True),
        ("Isuzu NPR", 0.18, False),
        ("GAZelle Next", 0.1, False),
        ("Chevrolet Labo", 0.05, False),
    ),
    VehicleClass.MOTORCYCLE: (
        ("Honda CG125", 0.4, False),
        ("Yamaha YBR125", 0.3, False),
        ("Bajaj Boxer", 0.3, False),
    ),
}

COLOURS: Final[tuple[tuple[str, float], ...]] = (
    ("white", 0.52),
    ("silver", 0.12),
    ("black", 0.1),
    ("grey", 0.08),
    ("blue", 0.05),
    ("beige", 0.04),
    ("red", 0.04),
    ("green", 0.03),
    ("yellow", 0.02),
)


def make_for(rng: random.Random, vclass: VehicleClass, heavy: bool) -> str:
    """A label of the class; for trucks, one that agrees with ``heavy``."""
    options = [m for m in MAKES[vclass] if vclass is not VehicleClass.TRUCK or m[2] == heavy]
    return rng.choices([m[0] for m in options], weights=[m[1] for m in options])[0]


def colour_for(rng: random.Random, vclass: VehicleClass) -> str:
    if vclass is VehicleClass.TAXI and rng.random() < 0.3:
        return "yellow"
    return rng.choices([c for c, _ in COLOURS], weights=[w for _, w in COLOURS])[0]
