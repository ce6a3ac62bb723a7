"""Standalone use on a host without the tutor: python -m sandbox LAB_DIR [options] -- CMD...

Prints the run record as JSON; exit 0 when the run ended ok, 1 otherwise, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys

from sandbox import Limits, SandboxError, run


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("lab_dir")
    parser.add_argument("--gpu", action="store_true")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--memory", type=int, default=4096, help="MiB")
    parser.add_argument("--procs", type=int, default=256)
    parser.add_argument("--disk", type=int, default=2048, help="MiB")
    parser.add_argument("--network", choices=["none", "model"], default="none")
    parser.add_argument("--model-url")
    parser.add_argument("--model-name")
    parser.add_argument("--in-place", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs-dir")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--scheduler", choices=["local", "slurm"], default="local",
                        help="slurm: run as a Slurm job (TUTOR_SLURM_SHARED_DIR and friends)")
    args = parser.parse_args(own)
    limits = Limits(timeout_s=args.timeout, memory_mb=args.memory, max_procs=args.procs, disk_mb=args.disk)
    try:
        record = run(args.lab_dir, command, limits, gpu=args.gpu, network=args.network, in_place=args.in_place,
                     seed=args.seed, runs_dir=args.runs_dir, backend=args.backend,
                     model_url=args.model_url, model_name=args.model_name, scheduler=args.scheduler)
    except SandboxError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(record.to_dict(), indent=2))
    return 0 if record.ok else 1


if __name__ == "__main__":
    sys.exit(main())
