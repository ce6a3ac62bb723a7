"""A test that needs a real server skips without it, except under .ci/run, where it fails."""

import pytest

from tests.conftest import needs_service


def test_a_missing_service_skips_with_its_reason(monkeypatch):
    monkeypatch.setenv("TUTOR_CI_SERVICES", "slurm")
    with pytest.raises(pytest.skip.Exception, match="no server on 5432"):
        needs_service("postgres", "no server on 5432")


def test_a_missing_service_that_ci_started_fails(monkeypatch):
    monkeypatch.setenv("TUTOR_CI_SERVICES", ",postgres,slurm")
    with pytest.raises(pytest.fail.Exception, match="postgres: .ci/run started it, yet no server"):
        needs_service("postgres", "no server")


def test_a_present_service_neither_skips_nor_fails(monkeypatch):
    monkeypatch.setenv("TUTOR_CI_SERVICES", "postgres")
    assert needs_service("postgres", None) is None
