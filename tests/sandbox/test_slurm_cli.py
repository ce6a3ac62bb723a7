"""The backend setting and `--backend` on the commands, and `tutor doctor`'s Slurm rows."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tutor.cli import app
from tutor.config import load_settings
from tutor.run_backend import BackendChoiceError, resolve
from tests.sandbox.conftest import slurm_options

LESSON_01 = Path(__file__).resolve().parents[2] / "curriculum" / "labs" / "lesson_01"


def test_the_backend_is_a_setting_and_an_option(monkeypatch, tmp_path):
    monkeypatch.setenv("TUTOR_RUN_BACKEND", "slurm")
    monkeypatch.setenv("TUTOR_SLURM_SHARED_DIR", str(tmp_path))
    monkeypatch.setenv("TUTOR_SLURM_PARTITION", "gpu")
    cfg = load_settings()
    target = resolve(cfg, None)
    assert target.scheduler == "slurm" and target.slurm.shared_dir == str(tmp_path)
    assert target.slurm.partition == "gpu"
    assert resolve(cfg, "local").scheduler == "local"
    assert resolve(cfg, "process") == ("slurm", "process", target.slurm)   # the sandbox inside the job
    with pytest.raises(BackendChoiceError):
        resolve(cfg, "kubernetes")
    monkeypatch.setenv("TUTOR_RUN_BACKEND", "pbs")
    result = CliRunner().invoke(app, ["run", str(tmp_path), "--", "python", "-c", "pass"])
    assert result.exit_code == 2 and "unknown run backend" in result.output


@pytest.mark.parametrize("command", [["run"], ["check"], ["grade"]])
def test_slurm_without_a_shared_dir_is_one_line_exit_2(tmp_path, command, monkeypatch):
    monkeypatch.delenv("TUTOR_SLURM_SHARED_DIR", raising=False)
    lab = shutil.copytree(LESSON_01, tmp_path / "lesson_01")
    tail = ["--", "python", "main.py"] if command == ["run"] else []
    result = CliRunner().invoke(app, [*command, str(lab), "--backend", "slurm", *tail])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("tutor: ")]
    assert any("TUTOR_SLURM_SHARED_DIR" in line for line in lines), result.output
    assert "Traceback" not in result.output


def test_tutor_run_on_slurm_streams_and_exits_like_local(make_lab, monkeypatch):
    options = slurm_options()
    monkeypatch.setenv("TUTOR_SLURM_SHARED_DIR", options.shared_dir)
    monkeypatch.setenv("TUTOR_SLURM_POLL_S", "0.2")
    lab = make_lab("import sys\nprint('hello from the node')\nsys.exit(4)\n")
    result = CliRunner().invoke(app, ["run", str(lab), "--backend", "slurm", "--timeout", "30", "--",
                                      "python", "main.py"])
    assert result.exit_code == 1, result.output
    assert "hello from the node" in result.stdout
    assert "Slurm job" in result.output and "exit 4" in result.output
    as_json = CliRunner().invoke(app, ["run", str(lab), "--backend", "slurm", "--json", "--", "python", "main.py"])
    record = json.loads(as_json.stdout)
    assert record["exit_code"] == 4 and record["scheduler"]["job_id"] and record["scheduler"]["node"]
    assert (Path(record["run_dir"]) / "run.json").is_file()


def test_doctor_reports_the_slurm_backend(monkeypatch):
    options = slurm_options()
    monkeypatch.setenv("TUTOR_SLURM_SHARED_DIR", options.shared_dir)
    monkeypatch.setenv("TUTOR_RUN_BACKEND", "slurm")
    result = CliRunner().invoke(app, ["doctor", "--json"])
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["slurm commands"]["status"] == "ok" and "sbatch" in checks["slurm commands"]["detail"]
    assert checks["slurm controller"]["status"] == "ok"
    assert checks["slurm partitions"]["status"] == "ok" and checks["slurm partitions"]["detail"]
    assert "slurm gpus" in checks and "slurm accounting" in checks
    assert checks["slurm shared dir"]["status"] == "ok"


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_ctrl_c_or_sigterm_on_tutor_run_cancels_the_job(make_lab, marker, monkeypatch, signame):
    import signal
    import subprocess
    import sys

    from tests.sandbox.conftest import assert_no_process_left

    options = slurm_options()
    lab = make_lab("import time\nprint('ready', flush=True)\ntime.sleep(120)\n")
    env = {**os.environ, "TUTOR_SLURM_SHARED_DIR": options.shared_dir, "TUTOR_SLURM_POLL_S": "0.2"}
    proc = subprocess.Popen([sys.executable, "-m", "tutor", "run", str(lab), "--backend", "slurm", "--timeout", "120",
                             "--", "python", "main.py", marker], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)
    assert proc.stdout.readline().strip() == b"ready"
    proc.send_signal(getattr(signal, signame))
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 1, err
    [run_json] = list((lab / "runs").glob("*/run.json"))
    record = json.loads(run_json.read_text())
    assert record["reason"] == "killed" and "scancel" in record["detail"]
    assert record["scheduler"]["state"] in ("CANCELLED", "COMPLETED", "FAILED")
    assert_no_process_left(marker, within_s=15)
