"""Rules the core keeps for people whatever screen asks: one user-name rule in words and in
the check, a badge replaced only when asked, wrong PINs counted against one name."""

from __future__ import annotations

import pytest
from station_bench import PINS, StationUnderTest

from station.common.vocabulary import Role
from station.people import signin, users
from station.people.signin import SignInError


@pytest.mark.parametrize("name", ["gus", "bob.smith", "ann_lee", "jo-2", "ab", "a" * 32])
def test_every_name_the_rule_describes_is_accepted(name: str) -> None:
    users.check_username(name)


@pytest.mark.parametrize("name", ["Bob Smith", "bob smith", "Bob", "2bob", "b", "a" * 33,
                                  "bob@home", ".bob"])
def test_a_name_against_the_rule_is_refused_with_the_rule_in_words(name: str) -> None:
    with pytest.raises(users.UserError) as refused:
        users.check_username(name)
    assert str(refused.value) == f"A user name is {users.USERNAME_RULE}."
    assert users.USERNAME_RULE == ("2-32 characters: lower-case letters, digits, '.', '_' or "
                                   "'-', starting with a letter")


def test_the_core_replaces_a_badge_only_when_told_to(bench: StationUnderTest) -> None:
    admin = bench.actors[Role.ADMIN]
    first = users.issue_badge(bench.ctx, admin, "grader", replacing=False)
    with pytest.raises(users.BadgeExists):
        users.issue_badge(bench.ctx, admin, "grader", replacing=False)
    assert signin.sign_in_with_badge(bench.ctx, first).username == "grader"
    second = users.issue_badge(bench.ctx, admin, "grader", replacing=True)
    with pytest.raises(SignInError):
        signin.sign_in_with_badge(bench.ctx, first)
    assert signin.sign_in_with_badge(bench.ctx, second).username == "grader"


def test_wrong_pins_are_counted_against_the_name_tried_and_a_right_pin_clears_them(
    bench: StationUnderTest,
) -> None:
    def counts() -> dict[str, int]:
        return {info.username: info.failed_pins
                for info in users.list_all(bench.ctx, bench.actors[Role.ADMIN])}

    for _ in range(2):
        with pytest.raises(SignInError):
            signin.sign_in(bench.ctx, "supervisor", "000000")
    assert counts() == {"admin": 0, "clerk": 0, "grader": 0, "supervisor": 2}
    signin.sign_in(bench.ctx, "supervisor", PINS[Role.SUPERVISOR])
    assert set(counts().values()) == {0}
