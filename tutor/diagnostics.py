"""Health checks shared by ``tutor doctor`` and the TUI status bar."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass


@dataclass
class Check:
    name: str
    status: str  # ok | warn | fail | n/a
    detail: str


def check_model(cfg) -> Check:
    if cfg.provider == "offline":
        return Check("model", "ok", "offline: replies are built from the course text, no LLM")
    if cfg.provider == "replay":
        from pathlib import Path

        path = Path(cfg.model_name)
        return Check("model", "ok" if path.is_file() else "fail", f"replay file {path}" + ("" if path.is_file() else " not found"))
    from tutor.llm.base import ModelError
    from tutor.llm.endpoints import OPENAI_KEY_HINT, anthropic_endpoint, openai_endpoint
    from tutor.redact import redact_url

    try:
        if cfg.provider == "anthropic":
            base, _ = anthropic_endpoint(cfg)
            return Check("model", "ok", f"ANTHROPIC_API_KEY set; requests go to {redact_url(base)}")
        base, key = openai_endpoint(cfg, cfg.provider)
    except ModelError as exc:
        return Check("model", "fail", str(exc))
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    shown = redact_url(base)  # the URL is requested as given, and shown without its credentials
    try:
        resp = httpx.get(base.rstrip("/") + "/models", headers=headers, timeout=5.0)
    except httpx.HTTPError as exc:
        return Check("model", "fail", f"{shown} does not answer: {type(exc).__name__}")
    if resp.status_code in (401, 403):
        return Check("model", "fail", f"{shown} rejected the API key (HTTP {resp.status_code}); set {OPENAI_KEY_HINT}")
    if resp.status_code != 200:
        return Check("model", "fail", f"{shown}/models answered HTTP {resp.status_code}")
    try:
        served = [m.get("id") for m in resp.json().get("data", [])]
    except ValueError:
        served = []
    ok = not served or cfg.model_name in served
    return Check("model", "ok" if ok else "warn", f"{shown} serves {', '.join(map(str, served)) or 'no models listed'}")


def check_gpu() -> Check:
    nodes = sorted(glob.glob("/dev/nvidia[0-9]*"))
    if not nodes:
        return Check("gpu", "n/a", "no NVIDIA device nodes: GPU labs run on a lent GPU host")
    try:
        import pynvml

        pynvml.nvmlInit()
        names = [pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(i)) for i in range(pynvml.nvmlDeviceGetCount())]
        return Check("gpu", "ok", ", ".join(str(n) for n in names))
    except Exception as exc:  # NVML missing or driver mismatch: say so, do not crash
        return Check("gpu", "warn", f"{len(nodes)} device node(s) but NVML failed: {exc}")


def check_bwrap() -> Check:
    exe = shutil.which("bwrap")
    if not exe:
        return Check("sandbox", "warn", "bubblewrap not installed: labs run in the weaker process sandbox")
    try:
        proc = subprocess.run([exe, "--ro-bind", "/", "/", "--unshare-net", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("sandbox", "warn", f"bubblewrap present but failed: {exc}")
    if proc.returncode != 0:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()[:1]
        return Check("sandbox", "warn", f"bubblewrap cannot create namespaces here: {' '.join(reason)}")
    return Check("sandbox", "ok", f"bubblewrap works ({exe}){_uid_switch()}")


def _uid_switch() -> str:
    """How a root runner's sandbox drops root: in its user namespace, or with setpriv (and why)."""
    if os.geteuid() != 0:
        return ""
    from sandbox import userns

    if userns.path():
        return "; runs switch to a uid of their own in the runner's user namespace"
    return f"; runs drop root with setpriv (no user namespace: {userns.problem()})"


def check_run_memory() -> Check:
    """Which run-wide memory limit `tutor run` gets here: a cgroup of the run's own, or the watchdog."""
    from sandbox.cgroups import memory_mode
    from sandbox.runner import RUN_MEMORY_WATCHDOG

    mechanism, why = memory_mode()
    if mechanism:
        return Check("run memory limit", "ok", f"{mechanism}: the kernel bounds each run's whole process tree")
    return Check("run memory limit", "warn", f"{RUN_MEMORY_WATCHDOG}; no memory cgroup: {why}")


def check_index(cfg) -> Check:
    from tutor.retrieval import get_retriever

    index = cfg.index_dir
    try:
        retriever = get_retriever(cfg)
        ready = retriever.index_ready()
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not crash
        return Check("index", "warn", f"{index}: cannot check ({exc})")
    if ready:
        if retriever.index.serves_shipped():
            return Check("index", "ok", "the index shipped with the package (the course is unchanged; nothing to build)")
        return Check("index", "ok", f"{index} (current)")
    state = "out of date" if index.is_dir() else "not built yet"
    return Check("index", "warn", f"{index} {state}: it is built on first use or by `tutor index`")


def check_store(cfg) -> list[Check]:
    return [check_index(cfg), check_database(cfg), check_pending(cfg)]


def check_pending(cfg) -> Check:
    """Records kept on this machine while the database was away (tutor.store.pending)."""
    from tutor.store.pending import waiting_summary

    waiting, conflicts = waiting_summary(cfg.home_dir / "pending")
    if not waiting and not conflicts:
        return Check("kept records", "ok", "none waiting: every turn reached the database")
    detail = f"{waiting} record(s) in {cfg.home_dir / 'pending'} wait for the database; the next turn sends them"
    if conflicts:
        detail += f"; {conflicts} set aside as conflicts (*.conflicts.jsonl), not written"
    return Check("kept records", "warn", detail)


def check_database(cfg) -> Check:
    """Which database (password masked), reachable, schema revision, row security (PostgreSQL)."""
    from tutor.store.status import database_status

    st = database_status(cfg)
    if not st.reachable:
        return Check("progress db", "fail", f"{st.kind} {st.where}: not reachable: {st.problem}")
    if st.problem:
        return Check("progress db", "warn", f"{st.kind} {st.where}: {st.problem}")
    if st.newer:
        return Check("progress db", "fail", f"{st.kind} {st.newer_problem()}")
    detail = f"{st.kind} {st.where}, reachable, schema revision {st.revision or 'none'} (this tutor: {st.head})"
    status = "ok" if st.revision == st.head else "warn"
    if st.revision != st.head:
        detail += "; run `tutor db upgrade`"
    if st.kind == "postgresql":
        on = st.row_security_on
        detail += f", row security {'on' if on else 'OFF' if on is False else 'not set up'}"
        status = status if on else "warn"
        if st.learner:
            detail += f", connected as learner {st.learner}"
    return Check("progress db", status, detail)


def check_course(cfg) -> Check:
    from tutor.course.loader import check_course as problems_in

    problems = problems_in(cfg.course_dir)
    if problems:
        return Check("course", "fail", f"{len(problems)} problem(s); run `tutor curriculum check`")
    return Check("course", "ok", str(cfg.course_dir))


def check_home(cfg) -> Check:
    """TUTOR_HOME is a folder the tutor can write (or can be created): tried, not guessed from
    permission bits (root passes those on a read-only mount)."""
    import os
    from pathlib import Path

    from tutor.paths import writable

    home = Path(cfg.home_dir)
    where = home
    while not where.exists() and where != where.parent:
        where = where.parent
    if not where.is_dir():
        return Check("data folder", "fail", f"{where} is not a folder; set TUTOR_HOME to a writable folder")
    if not writable(where):
        return Check("data folder", "fail", f"{where} is not writable; make it writable or set TUTOR_HOME "
                     "to a writable folder")
    for name in ("progress.db", "checkpoints.db"):
        db = home / name
        if db.exists() and not os.access(db, os.R_OK | os.W_OK):
            return Check("data folder", "fail", f"{db} is not writable; make it writable or set TUTOR_HOME elsewhere")
    return Check("data folder", "ok", f"{home}" + ("" if home.is_dir() else " (created on first use)"))


def check_config() -> Check:
    """Which config file was read (or that none was), and keys in it the tutor does not know."""
    from tutor.config import ConfigError, read_config_file

    try:
        found = read_config_file()
    except ConfigError as exc:  # pragma: no cover - settings() fails first in the CLI
        return Check("config file", "fail", str(exc))
    if found.unknown:
        return Check("config file", "warn", "; ".join(found.warnings()))
    return Check("config file", "ok", found.describe())


def run_checks(cfg) -> list[Check]:
    from tutor.diagnostics_slurm import check_slurm

    return [check_config(), check_home(cfg), check_course(cfg), check_model(cfg), check_gpu(), check_bwrap(),
            check_run_memory(), *check_slurm(cfg), *check_store(cfg)]
