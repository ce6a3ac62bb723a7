"""The fallback backend is weaker, and says so: in the record, not just in the docs."""

from __future__ import annotations

from pathlib import Path

from sandbox import Limits, run


def test_record_says_loudly_that_isolation_is_weak(make_lab):
    record = run(make_lab("print('hi')\n"), ["python", "main.py"], Limits(timeout_s=20), backend="process")
    assert record.backend == "process" and record.reason == "ok"
    assert record.isolation["level"] == "weak"
    assert "NO filesystem, network or user isolation" in record.isolation["warning"]
    assert record.isolation["network"] == "host"


def test_it_cannot_hide_host_files_and_the_record_admits_it(make_lab, tmp_path):
    host_file = tmp_path / "host-only.txt"
    host_file.write_text("visible to the process backend")
    lab = make_lab("import sys; print(open(sys.argv[1]).read())\n")
    record = run(lab, ["python", "main.py", str(host_file)], Limits(timeout_s=20), backend="process")
    assert "visible to the process backend" in Path(record.logs["stdout"]).read_text()
    assert record.isolation["filesystem"].startswith("none")


def test_model_network_is_not_narrowed_and_says_so(make_lab):
    record = run(make_lab("pass\n"), ["python", "main.py"], Limits(timeout_s=20), backend="process",
                 network="model", model_url="http://127.0.0.1:9/v1")
    assert record.network == "host"
    assert "cannot narrow" in record.isolation["network_detail"]


def test_without_a_pids_cgroup_a_root_runner_records_that_processes_are_uncapped(make_lab, monkeypatch):
    import os

    import pytest

    from sandbox import runner
    from sandbox.cgroups import RunCgroups

    if os.geteuid() != 0:
        pytest.skip("as a normal user RLIMIT_NPROC applies; this is about root runners")
    monkeypatch.setattr(runner.RunCgroups, "create", classmethod(lambda cls, *a, **k: RunCgroups()))
    record = run(make_lab("pass\n"), ["python", "main.py"], Limits(timeout_s=20), backend="process")
    assert record.mechanisms["processes"].startswith("NONE")
