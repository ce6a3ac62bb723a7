"""Where lab code runs: here (local) or as Slurm jobs. Chosen by setting (TUTOR_RUN_BACKEND,
config run_backend) or by ``--backend`` on `tutor run`, `tutor check` and `tutor grade`, which
also still takes the sandbox's own isolation names (auto, bubblewrap, process) for a local run."""

from __future__ import annotations

from typing import NamedTuple

RUN_BACKENDS = ("local", "slurm")
SANDBOX_BACKENDS = ("auto", "bubblewrap", "bwrap", "process")
BACKEND_HELP = "local or slurm (where it runs; default: run_backend setting), or auto, bubblewrap, process (the sandbox)."


class RunTarget(NamedTuple):
    scheduler: str           # local | slurm
    sandbox_backend: str     # auto | bubblewrap | process: the isolation, wherever it runs
    slurm: object | None     # sandbox.slurm.SlurmOptions for slurm


class BackendChoiceError(ValueError):
    pass


def slurm_options(cfg):
    from sandbox.slurm import SlurmOptions

    return SlurmOptions(shared_dir=cfg.slurm_shared_dir, partition=cfg.slurm_partition, account=cfg.slurm_account,
                        qos=cfg.slurm_qos, array_limit=cfg.slurm_array_limit)


def resolve(cfg, requested: str | None) -> RunTarget:
    """--backend (or None) with the settings -> where and how the run goes."""
    scheduler, sandbox_backend = cfg.run_backend, cfg.sandbox_backend
    if requested:
        name = requested.strip().lower()
        if name in RUN_BACKENDS:
            scheduler = name
        elif name in SANDBOX_BACKENDS:
            sandbox_backend = name
        else:
            raise BackendChoiceError(f"unknown --backend {requested!r}; use local or slurm (where it runs), "
                                     "or auto, bubblewrap, process (the sandbox)")
    return RunTarget(scheduler, sandbox_backend, slurm_options(cfg) if scheduler == "slurm" else None)
