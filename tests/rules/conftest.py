"""Fixtures of the rules tests: a simulated network and a day of its traffic."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from rules_helpers import World

from platekeeper.sim.network import Network
from platekeeper.sim.population import Population
from platekeeper.sim.simulator import TripSimulator

# Local midnight (UTC+5) starting Monday 2 March 2026; "today" for the registry.
START = datetime(2026, 3, 1, 19, 0, tzinfo=UTC)
REFERENCE = date(2026, 3, 2)
HOURS = 18
FLEET = 2000
SEED = 11


@pytest.fixture(scope="session")
def network() -> Network:
    return Network.load()


@pytest.fixture(scope="session")
def world(network: Network) -> World:
    population = Population.generate(network, FLEET, SEED, reference=REFERENCE)
    end = START + timedelta(hours=HOURS)
    captures = list(TripSimulator(network, population, SEED).captures(START, end))
    return World(network, population, captures, START, end)
