"""Schema of a lesson's front matter and its lab spec.

The format is documented for course authors in ``curriculum/FORMAT.md``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Backend = Literal["none", "transformers", "vllm", "openai-compatible"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyTerm(Strict):
    term: str = Field(min_length=1)
    definition: str = Field(min_length=1)


class Misconception(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    belief: str = Field(min_length=10, description="the wrong belief, as a learner would state it")
    probe: str = Field(min_length=10, description="a question whose answer reveals the belief")
    correction: str = Field(min_length=20, description="what is true instead, and why")
    section: str = Field(min_length=1, description="heading in the lesson body that teaches it")
    cues: list[str] = Field(default_factory=list, description="phrases a learner holding it might say")


class Experiment(Strict):
    name: str
    variable: str = Field(description="the one thing changed between runs")
    values: list[str | int | float] = Field(default_factory=list, description="values to try")
    held_fixed: list[str] = Field(min_length=1)
    measure: list[str] = Field(min_length=1)


class LabSpec(Strict):
    folder: str = Field(pattern=r"^lesson_\d{2}$", description="folder under curriculum/labs/")
    summary: str = Field(min_length=20)
    experiments: list[Experiment] = Field(min_length=1)
    artifacts: list[str] = Field(min_length=1)
    needs_gpu: bool = False
    backends: list[Backend] = Field(min_length=1)


class LessonMeta(Strict):
    id: int = Field(ge=1, le=99)
    title: str = Field(min_length=3)
    prerequisites: list[int] = Field(default_factory=list)
    objectives: list[str] = Field(min_length=1)
    key_terms: list[KeyTerm] = Field(min_length=1)
    estimated_hours: float = Field(gt=0, le=40)
    misconceptions: list[Misconception] = Field(min_length=3)
    lab: LabSpec
    checkpoint: Literal["mid-course", "late-course", "capstone"] | None = None

    @field_validator("misconceptions")
    @classmethod
    def _unique_ids(cls, items: list[Misconception]) -> list[Misconception]:
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                raise ValueError(f"duplicate misconception id '{item.id}'")
            seen.add(item.id)
        return items


REQUIRED_BODY_SECTIONS = (
    "Concept focus",
    "Lab",
    "Required artifacts",
    "Self-check questions",
    "Going further",
)

NOTES_SECTIONS = (
    "What I expected",
    "What happened",
    "What surprised me",
    "What I would test next",
    "What I now believe",
)
