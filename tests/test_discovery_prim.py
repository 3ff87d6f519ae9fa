"""Scenario discovery names its tree CART and offers PRIM boxes beside it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.discovery import DiscoverSpec, prim_boxes

pytest.importorskip("prim")


def pairs_with_a_box(n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    x = pd.DataFrame({"silo_strength": rng.random(n), "cynicism_rate": rng.random(n) * 0.01})
    inside = (x["silo_strength"] < 0.4) & (x["cynicism_rate"] > 0.005)
    return x.assign(match=inside)


def test_prim_finds_the_box_where_the_plans_match():
    boxes = prim_boxes(pairs_with_a_box(), ["silo_strength", "cynicism_rate"], min_density=0.8)
    assert boxes, "PRIM found no box"
    first = boxes[0]
    assert first["match_rate"] >= 0.8 and first["coverage"] > 0.7
    assert first["silo_strength.high"] == pytest.approx(0.4, abs=0.05)
    assert first["cynicism_rate.low"] == pytest.approx(0.005, abs=0.0007)
    assert "silo_strength <=" in first["conditions"] and "cynicism_rate >=" in first["conditions"]


def test_prim_says_nothing_when_every_pair_or_no_pair_matches():
    pairs = pairs_with_a_box(50)
    assert prim_boxes(pairs.assign(match=True), ["silo_strength"], 0.8) == []
    assert prim_boxes(pairs.assign(match=False), ["silo_strength"], 0.8) == []


def test_prim_density_is_declared_with_the_discover_section():
    spec = DiscoverSpec(plan="pilot", reference="rocket")
    assert spec.prim_density == 0.8
    assert "PRIM" in (DiscoverSpec.model_fields["prim_density"].description or "")
