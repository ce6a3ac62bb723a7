"""Routers are pure functions of the state."""

import pytest

from tutor.agent.routers import after_classify, after_diagnose


@pytest.mark.parametrize("action,node", [("explain", "explain"), ("design", "design"), ("scaffold", "scaffold"),
                                         ("debug", "debug"), ("assess", "assess"), ("status", "status"),
                                         ("redirect", "redirect"), ("coach", "coach")])
def test_each_action_has_its_responder(action, node):
    assert after_diagnose({"action": action}) == node


def test_coaching_wins_over_a_misconception_and_a_detour():
    state = {"action": "coach", "misconception": {"id": "x", "prerequisite": True}, "resume": True}
    assert after_diagnose(state) == "coach"


def test_a_prerequisite_misconception_is_a_catch_up_unless_already_on_a_detour():
    mc = {"id": "x", "prerequisite": True}
    assert after_diagnose({"action": "explain", "misconception": mc}) == "catch_up"
    assert after_diagnose({"action": "explain", "misconception": mc, "detour": {"lesson": 3}}) == "teach"
    assert after_diagnose({"action": "explain", "misconception": {"id": "x", "prerequisite": False}}) == "teach"


def test_a_finished_detour_returns_to_the_plan():
    assert after_diagnose({"action": "explain", "resume": True, "detour": {"lesson": 3}}) == "resume"


def test_status_off_topic_and_coaching_skip_retrieval():
    assert after_classify({"action": "status"}) == "diagnose"
    assert after_classify({"action": "coach"}) == "diagnose"
    assert after_classify({"action": "redirect"}) == "diagnose"
    assert after_classify({"action": "explain"}) == "retrieve"
