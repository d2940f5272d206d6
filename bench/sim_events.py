"""How fast the simulator generates capture events (no rendering), and whether
that covers the national load of the seed system at 10x real time.

    .venv/bin/python bench/sim_events.py [--vehicles 30000] [--days 3] [--seed 1]

Prints the fleet build time, captures per simulated day (per bank: mean, min,
max), generation throughput in captures per second of wall and CPU time (one
core; the route cache is warmed on a first day that is not counted), peak
memory, and the real-time factor the throughput allows for that load.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from platekeeper.sim.network import Network
from platekeeper.sim.population import Population
from platekeeper.sim.simulator import TripSimulator

# Monday 2 March 2026, local midnight (UTC+5).
START = datetime(2026, 3, 1, 19, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=30_000)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    network = Network.load()
    t0 = time.perf_counter()
    population = Population.generate(network, args.vehicles, args.seed)
    built = time.perf_counter() - t0
    simulator = TripSimulator(network, population, args.seed)
    # Warm the route cache (and the day before the window) outside the timing.
    sum(1 for _ in simulator.captures(START - timedelta(days=1), START))

    per_bank: Counter[str] = Counter()
    count = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for capture in simulator.captures(START, START + timedelta(days=args.days)):
        count += 1
        per_bank[capture.bank_id] += 1
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0

    per_day = count / args.days
    daily = [per_bank[b] / args.days for b in network.banks]
    rate_wall, rate_cpu = count / wall, count / cpu
    needed_10x = per_day * 10 / 86400
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"network: {len(network.banks)} banks, {len(network.sections)} speed sections")
    print(f"fleet: {args.vehicles} vehicles built in {built:.2f} s")
    print(
        f"captures: {count} in {args.days} simulated days = {per_day:,.0f} a day; per bank a day: "
        f"mean {statistics.mean(daily):,.0f}, min {min(daily):,.0f}, max {max(daily):,.0f}"
    )
    print(f"generation: {rate_wall:,.0f} captures/s wall, {rate_cpu:,.0f} captures/s CPU")
    print(f"peak memory: {peak_mib:,.0f} MiB")
    print(
        f"10x real time of this load needs {needed_10x:,.1f} captures/s: "
        f"the generator runs at {rate_wall / (per_day / 86400):,.0f}x real time"
    )


if __name__ == "__main__":
    main()
