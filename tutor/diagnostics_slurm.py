"""`tutor doctor`'s view of the Slurm run backend: the commands, the controller, the partitions
and their GPUs, and the shared directory. A problem is a failure only when run_backend is slurm."""

from __future__ import annotations

from tutor.diagnostics import Check


def check_slurm(cfg) -> list[Check]:
    from sandbox.slurm import SlurmError, commands
    from sandbox.slurm.job import shared_dir_problem
    from tutor.run_backend import slurm_options

    chosen = cfg.run_backend == "slurm"
    bad = "fail" if chosen else "warn"
    missing = commands.missing_tools()
    found = [t for t in commands.TOOLS if t not in missing]
    if not found:
        return [Check("slurm", bad if chosen else "n/a", "no Slurm commands on PATH"
                      + (" (run_backend is slurm: install slurm-client)" if chosen else "; run_backend is local"))]
    checks = [Check("slurm commands", bad if missing else "ok",
                    f"found {', '.join(found)}" + (f"; missing {', '.join(missing)}" if missing else ""))]
    try:
        up, detail = commands.controller_status()
    except SlurmError as exc:
        up, detail = False, str(exc)
    checks.append(Check("slurm controller", "ok" if up else bad, detail))
    if up:
        storage = commands.accounting_storage()
        checks.append(Check("slurm accounting", "ok" if storage and not storage.endswith("/none") else "warn",
                            f"{storage}: sacct answers for old jobs" if storage and not storage.endswith("/none") else
                            f"{storage or 'unknown'}: no sacct; a job's end state is read from scontrol (kept MinJobAge)"))
        try:
            parts = commands.partitions()
        except SlurmError as exc:
            checks.append(Check("slurm partitions", bad, str(exc)))
        else:
            names = [f"{p['name']}{'*' if p['default'] else ''} ({p['available']}, {p['nodes']} node(s) "
                     f"{p['state']}, limit {p['timelimit']})" for p in parts]
            gpus = sorted({p["gres"] for p in parts if "gpu" in p["gres"]})
            wanted = cfg.slurm_partition
            status = "ok" if parts and (not wanted or wanted in {p["name"] for p in parts}) else bad
            extra = f"; configured partition {wanted!r} not found" if status != "ok" and wanted else ""
            checks.append(Check("slurm partitions", status, ", ".join(names) + extra or "none"))
            checks.append(Check("slurm gpus", "ok" if gpus else "n/a",
                                ", ".join(gpus) if gpus else "no partition offers gpu GRES (--gpu runs cannot go to Slurm)"))
    problem = shared_dir_problem(slurm_options(cfg))
    checks.append(Check("slurm shared dir", bad if problem else "ok",
                        problem or f"{cfg.slurm_shared_dir} (the nodes must see it at the same path)"))
    checks.append(Check("run backend", "ok", f"{cfg.run_backend} (TUTOR_RUN_BACKEND or run_backend in the config)"))
    return checks
