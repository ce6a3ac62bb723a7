"""Configuration: defaults, environment, the TOML file, validation, secrets kept secret."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from tutor.cli import app
from tutor.config import Settings, load_settings


def test_defaults_are_offline_and_under_tutor_home(_isolated_user_data):
    cfg = load_settings()
    assert cfg.model == "offline" and cfg.provider == "offline"
    assert cfg.home_dir == _isolated_user_data
    assert cfg.db_path.parent == _isolated_user_data
    assert (cfg.course_dir / "AGENTS.md").is_file()


def test_environment_selects_the_model(monkeypatch):
    monkeypatch.setenv("TUTOR_MODEL", "vllm:nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16")
    monkeypatch.setenv("TUTOR_BASE_URL", "http://127.0.0.1:8000/v1")
    cfg = load_settings()
    assert cfg.provider == "vllm"
    assert cfg.model_name == "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16"
    assert cfg.base_url == "http://127.0.0.1:8000/v1"


def test_config_file_is_read_and_environment_wins(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('model = "anthropic:claude-sonnet-4-5"\njudge_samples = 5\n')
    monkeypatch.setenv("TUTOR_CONFIG", str(config))
    assert load_settings().model == "anthropic:claude-sonnet-4-5"
    assert load_settings().judge_samples == 5
    monkeypatch.setenv("TUTOR_MODEL", "openai:gpt-4o-mini")
    assert load_settings().model == "openai:gpt-4o-mini"


@pytest.mark.parametrize("bad", ["gpt-4o", "vllm:", "ollama:llama3"])
def test_unknown_model_spec_is_rejected(bad):
    with pytest.raises(ValidationError):
        Settings(model=bad)


def test_secrets_never_appear_in_the_public_view(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-very-secret")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "ant-very-secret")
    cfg = load_settings()
    assert cfg.openai_api_key.get_secret_value() == "sk-test-very-secret"
    view = json.dumps(cfg.public_view())
    assert "very-secret" not in view
    assert cfg.public_view()["openai_api_key"] == "set"
    assert "very-secret" not in repr(cfg)


def test_doctor_json_reports_checks_without_secrets(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-doctor-secret")
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    assert "sk-doctor-secret" not in result.stdout
    data = json.loads(result.stdout)
    names = {c["name"] for c in data["checks"]}
    assert {"model", "gpu", "sandbox", "index", "progress db", "course"} <= names
    assert data["config"]["model"] == "offline"


def test_doctor_reports_an_unreachable_endpoint(monkeypatch):
    monkeypatch.setenv("TUTOR_MODEL", "openai-compatible:local")
    monkeypatch.setenv("TUTOR_BASE_URL", "http://127.0.0.1:9/v1")  # discard port: nothing listens
    data = json.loads(CliRunner().invoke(app, ["doctor", "--json"]).stdout)
    model = next(c for c in data["checks"] if c["name"] == "model")
    assert model["status"] == "fail" and "does not answer" in model["detail"]


def test_bad_model_setting_is_a_one_line_usage_error(monkeypatch):
    monkeypatch.setenv("TUTOR_MODEL", "nonsense")
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 2
    assert result.stderr.startswith("tutor: bad configuration (model)")
    assert len(result.stderr.strip().splitlines()) == 1
