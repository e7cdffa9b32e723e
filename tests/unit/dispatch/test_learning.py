"""The rule the routing suggestions learn by (routing.learned_lead), on plain corrections."""

from __future__ import annotations

import pytest

from gridgov.dispatch.routing import GRID_LEAD, Correction, learned_lead

A, B, C = 11, 22, 33


def newest_first(*chosen: int, returned: frozenset[int] = frozenset()) -> list[Correction]:
    return [Correction(c, i in returned) for i, c in enumerate(chosen)]


def test_no_corrections_leave_the_catalog() -> None:
    assert learned_lead([]) is None


def test_one_correction_outweighs_the_catalog_by_default() -> None:
    assert learned_lead(newest_first(A)) == (A, 1)


@pytest.mark.parametrize("after", [2, 3])
def test_k_consistent_corrections_are_needed(after: int) -> None:
    assert learned_lead(newest_first(*[A] * (after - 1)), after=after) is None
    assert learned_lead(newest_first(*[A] * after), after=after) == (A, after)


def test_the_majority_wins_and_a_tie_goes_to_the_newest() -> None:
    assert learned_lead(newest_first(B, A, A)) == (A, 2)  # one stray click does not undo a settled practice
    assert learned_lead(newest_first(B, A)) == (B, 1)
    assert learned_lead(newest_first(B, B, A, A)) == (B, 2)


def test_returned_corrections_do_not_count() -> None:
    assert learned_lead(newest_first(A, B, returned=frozenset({0}))) == (B, 1)
    assert learned_lead(newest_first(A, returned=frozenset({0}))) is None


def test_only_the_newest_window_votes() -> None:
    old_practice = [B] * 8
    assert learned_lead(newest_first(A, A, A, *old_practice), window=3) == (A, 3)
    assert learned_lead(newest_first(A, A, A, *old_practice), window=10) == (B, 7)


def test_the_grid_itself_can_be_learned() -> None:
    assert learned_lead(newest_first(GRID_LEAD, GRID_LEAD, C)) == (GRID_LEAD, 2)


def test_after_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        learned_lead(newest_first(A), after=0)
