"""Refund policies: how much of an item's price comes back when it is cancelled some hours before
departure or the event. A policy is a list of tiers, tried in order; the first whose bound the
time left passes decides. Nothing passes: the item can no longer be cancelled.

A tier: {"hours": 48, "inclusive": false, "flat": {"ac": 40, "first": 30, "other": 25}} (a flat
charge by fare class) or {"hours": 24, "inclusive": false, "percent": 25} (a share deducted).
`inclusive` says whether exactly `hours` left still counts ("more than 48 h" is not inclusive).
Tenants set their own as the `refund_policy` setting; these are the defaults.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# Bangladesh Railway: more than 48 h before departure a flat charge (Tk 40 AC, Tk 30 first class,
# Tk 25 others); 48-24 h 25 % deducted; 24-12 h 50 %; 12-6 h 75 %; under 6 h no refund.
BANGLADESH_RAILWAY = [
    {"hours": 48, "inclusive": False, "flat": {"ac": 40, "first": 30, "other": 25}},
    {"hours": 24, "inclusive": False, "percent": 25},
    {"hours": 12, "inclusive": False, "percent": 50},
    {"hours": 6, "inclusive": True, "percent": 75},
]
# Events: free until 24 hours before, none after.
FREE_UNTIL_24_HOURS = [{"hours": 24, "inclusive": True, "percent": 0}]

PAISA = Decimal("0.01")


def default_for(kind: str) -> list[dict]:
    return BANGLADESH_RAILWAY if kind == "rail" else FREE_UNTIL_24_HOURS


def refund_for(amount: Decimal, hours_left: float, policy: list[dict], fare_class: str | None = None) -> Decimal | None:
    """What comes back of `amount` with `hours_left` before the start; None when it cannot be cancelled."""
    for tier in policy:
        bound = float(tier["hours"])
        if hours_left > bound or (tier.get("inclusive") and hours_left == bound):
            if "flat" in tier:
                charge = Decimal(str(tier["flat"].get(fare_class or "other", tier["flat"].get("other", 0))))
            else:
                charge = amount * Decimal(str(tier.get("percent", 0))) / 100
            back = max(amount - charge, Decimal(0))
            return back.quantize(PAISA, rounding=ROUND_HALF_UP)
    return None


def describe(policy: list[dict]) -> list[tuple[float, bool, str, object]]:
    """(hours, inclusive, "flat" | "percent", value) per tier, for the page that explains the policy."""
    return [(float(t["hours"]), bool(t.get("inclusive")), "flat" if "flat" in t else "percent",
             t["flat"] if "flat" in t else t.get("percent", 0)) for t in policy]


def validated(policy) -> list[dict]:
    """A refund policy as a tenant may set it, or ValueError saying what is wrong with it."""
    if not isinstance(policy, list):
        raise ValueError("a refund policy is a list of tiers")
    for tier in policy:
        if not isinstance(tier, dict) or not isinstance(tier.get("hours"), (int, float)) or tier["hours"] < 0:
            raise ValueError('each tier needs "hours": a number of hours before the start, 0 or more')
        if ("flat" in tier) == ("percent" in tier):
            raise ValueError('each tier has either "flat" (taka by fare class) or "percent" (deducted)')
        if "percent" in tier and not (isinstance(tier["percent"], (int, float)) and 0 <= tier["percent"] <= 100):
            raise ValueError('"percent" is from 0 to 100')
        if "flat" in tier and not (isinstance(tier["flat"], dict) and all(
                isinstance(v, (int, float)) and v >= 0 for v in tier["flat"].values())):
            raise ValueError('"flat" maps fare classes (ac, first, other) to taka, 0 or more')
    hours = [float(t["hours"]) for t in policy]
    if hours != sorted(hours, reverse=True):
        raise ValueError("tiers go from the most hours before the start to the fewest")
    return policy
