"""Suggests the fare multiplier that maximises expected profit."""

from typing import Sequence


def expected_profit(multiplier: float, base_fare: float, cost: float, demand: float,
                    elasticity: float) -> float:
    """Profit per request at a fare multiplier, with demand falling by elasticity per unit."""
    if multiplier <= 0:
        raise ValueError("multiplier must be greater than 0")
    rides = max(demand * (1 - elasticity * (multiplier - 1)), 0.0)
    return rides * (base_fare * multiplier - cost)


def best_multiplier(base_fare: float, cost: float, demand: float, elasticity: float,
                    candidates: Sequence[float] = (1.0, 1.2, 1.5, 2.0)) -> float:
    return max(candidates, key=lambda m: expected_profit(m, base_fare, cost, demand, elasticity))
