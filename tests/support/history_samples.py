"""Small builders of requests and recommendations for history and digest tests."""

from __future__ import annotations

from retrieval.contract import Filters, Pick, Recommendation, RecommendRequest
from retrieval.roster.creator import Creator
from retrieval.tiers import DEFAULT_SCHEME


def pick(handle: str, followers: int, platform: str = "instagram", score: float = 0.5) -> Pick:
    tier = DEFAULT_SCHEME.classify(followers)
    return Pick(
        handle=handle,
        platform=platform,
        name=handle.title(),
        followers=followers,
        tier=tier.name,
        role=tier.role,
        score=score,
        why=f"{handle} fits the story.",
        evidence=[],
    )


def recommendation(brief: str, picks: list[Pick]) -> Recommendation:
    ordered = sorted(picks, key=lambda p: (p.role != "awareness", -p.score))
    return Recommendation(
        brief=brief,
        objective="balanced",
        filters=Filters(country=["US"]),
        picks=ordered,
        shortfall=[],
        explanation="A mix.",
        explained_by="rules",
    )


def brief_and_answer(brief: str, picks: list[Pick]) -> tuple[RecommendRequest, Recommendation]:
    return RecommendRequest(brief=brief, country=["US"]), recommendation(brief, picks)


def creator(handle: str, followers: int, platform: str = "instagram") -> Creator:
    return Creator(handle=handle, platform=platform, followers=followers, bio=f"I am {handle}.")
