"""The learner intents the tutor recognises, and the action each one leads to."""

from __future__ import annotations

from typing import Literal, get_args

Intent = Literal[
    "concept",
    "experiment_design",
    "scaffold",
    "debug",
    "solution_request",
    "report_request",
    "assess",
    "progress",
    "off_topic",
    "code_check",
]
Action = Literal["explain", "design", "scaffold", "debug", "coach", "assess", "status", "redirect", "check"]

INTENTS: tuple[str, ...] = get_args(Intent)
ACTIONS: tuple[str, ...] = get_args(Action)

# What each intent is answered with when the contract does not refuse it. A report request
# the contract allows gets the notes template as scaffolding, never prose for the learner.
DEFAULT_ACTION: dict[str, str] = {
    "concept": "explain",
    "experiment_design": "design",
    "scaffold": "scaffold",
    "debug": "debug",
    "solution_request": "coach",
    "report_request": "scaffold",
    "assess": "assess",
    "progress": "status",
    "off_topic": "redirect",
    "code_check": "check",  # run the lab's checks on the learner's code, coach on the first failure
}
