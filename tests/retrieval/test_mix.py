"""Slot planning: the objective sets the split, counts override it, bounds narrow the bands."""

from __future__ import annotations

import pytest

from retrieval.contract import Objective
from retrieval.engine.mix import DEFAULT_SLOTS, plan_slots
from retrieval.errors import FilterError
from retrieval.tiers import DEFAULT_SCHEME, INDUSTRY_SCHEME, parse_tier_scheme


@pytest.mark.parametrize("objective", ["balanced", "awareness", "conversion"])
def test_the_objective_sets_the_default_split(objective: Objective) -> None:
    plan = plan_slots(objective, DEFAULT_SCHEME)
    assert (plan.macro.slots, plan.micro.slots) == DEFAULT_SLOTS[objective]


def test_awareness_leans_macro_and_conversion_leans_micro() -> None:
    awareness = plan_slots("awareness", DEFAULT_SCHEME)
    conversion = plan_slots("conversion", DEFAULT_SCHEME)
    balanced = plan_slots("balanced", DEFAULT_SCHEME)
    assert awareness.macro.slots > awareness.micro.slots
    assert conversion.micro.slots > balanced.micro.slots > balanced.macro.slots
    assert conversion.macro.slots < balanced.macro.slots < awareness.macro.slots


def test_counts_override_the_objective() -> None:
    plan = plan_slots("conversion", DEFAULT_SCHEME, macro=3, micro=0)
    assert (plan.macro.slots, plan.micro.slots) == (3, 0)


def test_the_macro_side_is_every_awareness_tier_of_the_scheme() -> None:
    plan = plan_slots("balanced", DEFAULT_SCHEME)
    assert [tier.name for tier in plan.macro.tiers] == ["mid", "macro"]
    assert [tier.name for tier in plan.micro.tiers] == ["micro"]
    assert plan.macro.admits(10_000) and plan.macro.admits(5_000_000)
    assert plan.micro.admits(9_999) and not plan.micro.admits(10_000)
    assert plan.macro.bands_text() == "10,000+ followers"
    assert plan.micro.bands_text() == "under 10,000 followers"


def test_other_schemes_split_by_role() -> None:
    plan = plan_slots("balanced", INDUSTRY_SCHEME)
    assert [tier.name for tier in plan.micro.tiers] == ["nano", "micro"]
    assert [tier.name for tier in plan.macro.tiers] == ["mid", "macro", "mega"]


def test_follower_bounds_narrow_each_side() -> None:
    plan = plan_slots("balanced", DEFAULT_SCHEME, min_followers=5_000, max_followers=50_000)
    assert plan.micro.admits(5_000) and not plan.micro.admits(4_999)
    assert plan.macro.admits(50_000) and not plan.macro.admits(50_001)
    assert plan.macro.bands_text() == "10,000–50,000 followers"


def test_bounds_that_rule_out_a_default_side_drop_its_slots_with_a_notice() -> None:
    plan = plan_slots("balanced", DEFAULT_SCHEME, max_followers=5_000)
    assert plan.macro.slots == 0 and plan.micro.slots == DEFAULT_SLOTS["balanced"][1]
    assert any("No macro slots" in notice for notice in plan.notices)


def test_bounds_that_rule_out_a_requested_side_are_an_error() -> None:
    with pytest.raises(FilterError, match=r"3 macro creator.*leave out every macro-side tier"):
        plan_slots("balanced", DEFAULT_SCHEME, macro=3, max_followers=5_000)


def test_a_custom_scheme_without_awareness_tiers_gets_no_macro_slots() -> None:
    scheme = parse_tier_scheme("small:0:action,big:50000:action")
    plan = plan_slots("balanced", scheme)
    assert plan.macro.slots == 0
    assert any("no awareness tiers" in notice for notice in plan.notices)
