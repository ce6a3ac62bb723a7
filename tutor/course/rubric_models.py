"""Schema of rubric files: the default criteria and one file per lesson."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

CRITERIA: tuple[str, ...] = (
    "conceptual_clarity",
    "implementation",
    "measurement_quality",
    "reproducibility",
    "reflection",
)
Criterion = Literal[
    "conceptual_clarity", "implementation", "measurement_quality", "reproducibility", "reflection"
]
LEVELS = (0, 1, 2, 3, 4)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CriterionDef(Strict):
    id: Criterion
    title: str
    question: str = Field(description="what the criterion asks of a submission")
    levels: dict[int, str]

    @field_validator("levels")
    @classmethod
    def _all_levels(cls, levels: dict[int, str]) -> dict[int, str]:
        if sorted(levels) != list(LEVELS):
            raise ValueError("levels must describe exactly 0, 1, 2, 3 and 4")
        for score, text in levels.items():
            if len(text.split()) < 6:
                raise ValueError(f"level {score} descriptor is too thin to agree on")
        return levels


class DefaultRubric(Strict):
    version: int = 1
    criteria: list[CriterionDef]

    @model_validator(mode="after")
    def _every_criterion_once(self) -> "DefaultRubric":
        ids = [c.id for c in self.criteria]
        if sorted(ids) != sorted(CRITERIA):
            raise ValueError(f"criteria must be exactly {', '.join(CRITERIA)}")
        return self

    def criterion(self, cid: str) -> CriterionDef:
        return next(c for c in self.criteria if c.id == cid)


class _Check(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str
    criterion: Criterion = Field(description="which criterion this evidence supports")
    weight: float = Field(default=1.0, gt=0)
    timeout_s: float = Field(default=10.0, gt=0, le=600)


class RequiredFiles(_Check):
    kind: Literal["required_files"]
    files: list[str] = Field(min_length=1)


class NotesFilled(_Check):
    kind: Literal["notes_filled"]
    file: str = "notes.md"
    min_words: int = Field(default=25, ge=1, description="words beyond the template, per section")


class MinRuns(_Check):
    kind: Literal["min_runs"]
    min: int = Field(ge=1)


class Varied(_Check):
    kind: Literal["varied"]
    key: str = Field(description="dotted path into runs/*/config.json")
    min_distinct: int = Field(default=2, ge=2)


class HeldFixed(_Check):
    kind: Literal["held_fixed"]
    key: str = Field(description="dotted path into runs/*/config.json that must not change")


class MetricsPresent(_Check):
    kind: Literal["metrics_present"]
    keys: list[str] = Field(min_length=1, description="keys every runs/*/metrics.json must hold")


class FileContains(_Check):
    kind: Literal["file_contains"]
    file: str
    pattern: str = Field(description="regular expression that must match somewhere in the file")


class SmokeRun(_Check):
    kind: Literal["smoke_run"]
    command: list[str] = Field(default_factory=lambda: ["python", "starter.py", "--smoke"])


class Reproduce(_Check):
    kind: Literal["reproduce"]
    metric: str
    tolerance: float = Field(default=0.05, ge=0)


Check = Annotated[
    Union[
        RequiredFiles, NotesFilled, MinRuns, Varied, HeldFixed, MetricsPresent, FileContains,
        SmokeRun, Reproduce,
    ],
    Field(discriminator="kind"),
]
CHECK_KINDS = (
    "required_files", "notes_filled", "min_runs", "varied", "held_fixed", "metrics_present",
    "file_contains", "smoke_run", "reproduce",
)


class LessonRubric(Strict):
    lesson: int = Field(ge=1)
    weights: dict[Criterion, float]
    checks: list[Check] = Field(min_length=1)
    look_for: dict[Criterion, str]
    pass_score: float = Field(default=0.6, ge=0, le=1)

    @field_validator("weights")
    @classmethod
    def _weights(cls, weights: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        missing = [c for c in CRITERIA if c not in weights]
        if missing:
            raise ValueError(f"weights missing for {', '.join(missing)}")
        total = sum(weights.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"weights must sum to 1.0 (they sum to {total:g})")
        return weights

    @field_validator("checks")
    @classmethod
    def _unique_check_ids(cls, checks: list) -> list:
        ids = [c.id for c in checks]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate check ids: {', '.join(dupes)}")
        return checks
