"""Shared simulation fixtures: the bundled network, a fleet and four days of
its captures (Monday to Thursday), built once per test session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sim_helpers import DAYS, FLEET, MONDAY, SEED

from platekeeper.sim.captures import Capture
from platekeeper.sim.network import Network
from platekeeper.sim.population import Population
from platekeeper.sim.simulator import TripSimulator


@pytest.fixture(scope="session")
def network() -> Network:
    return Network.load()


@pytest.fixture(scope="session")
def population(network: Network) -> Population:
    return Population.generate(network, FLEET, SEED)


@pytest.fixture(scope="session")
def simulator(network: Network, population: Population) -> TripSimulator:
    return TripSimulator(network, population, SEED)


@pytest.fixture(scope="session")
def week(simulator: TripSimulator) -> list[Capture]:
    return list(simulator.captures(MONDAY, MONDAY + timedelta(days=DAYS)))
