"""AGENTS.md, the teacher contract: prose for people, one YAML block for the program.

The block is a fenced code block whose info string is ``yaml tutor-policy``. Every knob
in it is validated here; a malformed block stops the program with ``file:line``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tutor.course.errors import CourseError, Problem
from tutor.course.rubric_models import CRITERIA
from tutor.course.yamlsrc import parse_yaml, validate
from tutor.intents import DEFAULT_ACTION, Intent

POLICY_FENCE = re.compile(r"^```\s*yaml\s+tutor-policy\s*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CoachingStep(Strict):
    level: int = Field(ge=1)
    name: str
    give: str = Field(description="what the tutor offers at this rung")


class Policy(Strict):
    version: int = Field(ge=1)
    max_code_lines: int = Field(
        ge=0, description="largest number of runnable, non-scaffold code lines one reply may hold"
    )
    refused_intents: list[Intent] = Field(
        description="intents met with a one-sentence refusal and coaching instead of an answer"
    )
    refusal_max_sentences: int = Field(default=1, ge=1, le=3)
    coaching_ladder: list[CoachingStep] = Field(min_length=1)
    protected_notes_sections: list[str] = Field(
        min_length=1, description="notes.md sections only the learner writes"
    )
    scaffold_markers: list[str] = Field(
        default_factory=lambda: ["TODO", "NotImplementedError"],
        description="text that marks code as scaffolding rather than a solution",
    )
    outsourcing_phrases: list[str] = Field(
        default_factory=list, description="extra phrases that always count as outsourcing"
    )
    rubric_criteria: list[str] = Field(min_length=1)
    log_conversation_text: bool = True

    @field_validator("coaching_ladder")
    @classmethod
    def _ladder_in_order(cls, steps: list[CoachingStep]) -> list[CoachingStep]:
        levels = [s.level for s in steps]
        if levels != list(range(1, len(steps) + 1)):
            raise ValueError("coaching_ladder levels must be 1, 2, 3, ... in order")
        return steps

    @field_validator("rubric_criteria")
    @classmethod
    def _known_criteria(cls, items: list[str]) -> list[str]:
        unknown = [c for c in items if c not in CRITERIA]
        if unknown:
            raise ValueError(f"unknown rubric criterion: {', '.join(unknown)}")
        return items

    @model_validator(mode="after")
    def _outsourcing_is_refused(self) -> "Policy":
        if "solution_request" not in self.refused_intents:
            raise ValueError("refused_intents must include solution_request: the tutor never writes the lab")
        return self

    def action_for(self, intent: str) -> str:
        return "coach" if intent in self.refused_intents else DEFAULT_ACTION[intent]

    def ladder_step(self, attempt: int) -> CoachingStep:
        """The rung for the n-th outsourcing attempt (1-based); stays on the top rung."""
        return self.coaching_ladder[min(max(attempt, 1), len(self.coaching_ladder)) - 1]


class Contract(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: Path
    text: str
    policy: Policy

    @property
    def prose(self) -> str:
        """The contract without its machine block, for a model's system prompt."""
        return _strip_policy_block(self.text)


def _find_block(lines: list[str]) -> tuple[int, int] | None:
    for i, line in enumerate(lines):
        if POLICY_FENCE.match(line.strip()):
            for j in range(i + 1, len(lines)):
                if lines[j].strip().startswith("```"):
                    return i, j
            return i, len(lines)
    return None


def _strip_policy_block(text: str) -> str:
    lines = text.splitlines()
    found = _find_block(lines)
    if not found:
        return text
    start, end = found
    return "\n".join(lines[:start] + lines[end + 1 :])


def check_contract(path: Path, shown_as: str | None = None) -> tuple[Contract | None, list[Problem]]:
    file = shown_as or str(path)
    if not path.is_file():
        return None, [Problem(file, 1, "AGENTS.md not found: the tutor has no contract to follow")]
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = _find_block(lines)
    if not found:
        return None, [Problem(file, 1, "no ```yaml tutor-policy block: the program has no knobs to enforce")]
    start, end = found
    if end >= len(lines):
        return None, [Problem(file, start + 1, "tutor-policy block is never closed with ```")]
    doc = parse_yaml("\n".join(lines[start + 1 : end]), file, line_offset=start + 1)
    policy, problems = validate(doc, Policy)
    if problems:
        return None, problems
    return Contract(path=path, text=text, policy=policy), []


def load_contract(path: Path) -> Contract:
    contract, problems = check_contract(path)
    if problems:
        raise CourseError(problems)
    return contract


@lru_cache(maxsize=8)
def _cached(path: Path, mtime_ns: int) -> Contract:
    return load_contract(path)


def contract_for_course(root: Path) -> Contract:
    """The contract of a course root, re-read when the file changes."""
    path = root / "AGENTS.md"
    mtime = path.stat().st_mtime_ns if path.exists() else 0
    return _cached(path, mtime)
