"""A held-back brand account is neither sent to the grader nor picked, but it competes when the
engine counts what holding it back cost."""

from __future__ import annotations

from retrieval.engine.ranking import MIN_FIT, grading_window, select
from tests.retrieval.test_grading import candidate, handles


def test_a_held_back_brand_is_not_graded_or_picked_but_counted() -> None:
    brand = candidate("brand", 0.95)
    brand.held_back = True
    creators = [candidate(f"c{i}", 0.5 - i / 10) for i in range(3)]
    assert "brand" not in handles(grading_window([brand, *creators], [{"micro"}]))
    assert handles(select([brand, *creators], 1, floor=MIN_FIT, diverse=False)) == ["c0"]
    counted = select([brand, *creators], 1, floor=MIN_FIT, diverse=False, with_held_back=True)
    assert handles(counted) == ["brand"]
