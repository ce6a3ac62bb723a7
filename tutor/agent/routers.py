"""Routers: pure functions from state to the next node's name."""

from __future__ import annotations

from typing import Literal

Responder = Literal["explain", "design", "scaffold", "debug", "assess", "coach", "status", "redirect",
                    "teach", "catch_up", "resume", "check"]

ACTION_NODE = {"explain": "explain", "design": "design", "scaffold": "scaffold", "debug": "debug",
               "assess": "assess", "coach": "coach", "status": "status", "redirect": "redirect"}


def after_classify(state: dict) -> Literal["retrieve", "diagnose", "check_code"]:
    """A code check runs the lab's checks (its reply cites the section of the failing check);
    status, off-topic and coaching turns need no retrieved passages (coaching cites the
    section its TODO is taught in); everything else is grounded in them."""
    if state.get("action") == "check":
        return "check_code"
    return "diagnose" if state.get("action") in ("status", "redirect", "coach") else "retrieve"


def after_diagnose(state: dict) -> Responder:
    """Outsourcing is coached whatever else the message holds; a detour that is done returns
    to the plan; a misconception is taught (a prerequisite's one as a catch-up); otherwise
    the intent's action decides."""
    action = state.get("action", "explain")
    if action == "coach":
        return "coach"
    if state.get("resume"):
        return "resume"
    misconception = state.get("misconception")
    if misconception and action not in ("status", "debug"):
        if misconception.get("prerequisite") and not state.get("detour"):
            return "catch_up"
        return "teach"
    return ACTION_NODE.get(action, "explain")
