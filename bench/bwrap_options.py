"""What each part of the sandbox's bubblewrap command line costs, with /usr/bin/true inside.

    .venv/bin/python bench/bwrap_options.py [--repeats 120]

Takes the exact bwrap argv and /etc data of a real run (sandbox.run with its launch spied on),
then times, interleaved, that argv and variants each missing one group of options (network
namespace, /dev, the generated /etc, the Python binds, ...) against a bare `true`. The
differences say where bubblewrap's own ~6 ms go (~8 before /dev became one bind); the runner's bookkeeping is not in here
(bench/sandbox_overhead.py --phases). Root runs go through the runner's user namespace as run()
does (sandbox/userns.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox import Limits, launch, run, userns  # noqa: E402
from sandbox.bwrap_args import DATA_FD  # noqa: E402

ARITY = {"--perms": 1, "--size": 1, "--file": 2, "--tmpfs": 1, "--ro-bind": 2, "--bind": 2, "--dir": 1,
         "--symlink": 2, "--dev-bind": 2, "--remount-ro": 1, "--proc": 1, "--dev": 1, "--setenv": 2, "--chdir": 1,
         "--hostname": 1, "--userns": 1, "--uid": 1, "--gid": 1, "--cap-drop": 1, "--cap-add": 1}


def captured_run() -> tuple[list[str], dict[str, bytes]]:
    """The bwrap argv (up to its "--") and /etc data of one real `python -c pass` run."""
    seen = {}
    original = launch.hidden_options

    def spy(argv, keep, data=None):
        seen.setdefault("argv", list(argv))
        seen.setdefault("data", dict(data or {}))
        return original(argv, keep, data)

    launch.hidden_options = spy
    try:
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "lab").mkdir()
            record = run(Path(tmp) / "lab", ["python", "-c", "pass"], Limits(timeout_s=60), backend="bubblewrap",
                         runs_dir=Path(tmp) / "runs")
    finally:
        launch.hidden_options = original
    if record.reason != "ok" or "argv" not in seen:
        raise SystemExit(f"the probe run failed: {record.reason} {record.detail}")
    argv = seen["argv"]
    return argv[:argv.index("--")], seen["data"]


def without(options: list[str], drop) -> list[str]:
    """``options`` less each group for which drop(group) is true (with its --perms/--size)."""
    kept, pending, i = [], [], 0
    while i < len(options):
        n = ARITY.get(options[i], 0)
        group, i = options[i:i + 1 + n], i + 1 + n
        if group[0] in ("--perms", "--size"):
            pending += group
        elif drop(group):
            pending = []
        else:
            kept, pending = kept + pending + group, []
    return kept


def variants(options: list[str]) -> dict[str, list[str]]:
    return {
        "full": options,
        "no --unshare-net": without(options, lambda g: g[0] == "--unshare-net"),
        "no /dev (and /dev/shm)": without(options, lambda g: g[0] == "--dev" or g[-1:] == ["/dev"]
                                          or g[1:2] == ["/dev/shm"]),
        "no generated /etc": without(options, lambda g: len(g) > 1 and g[-1].startswith("/etc")),
        "no --proc": without(options, lambda g: g[0] == "--proc"),
        "no ipc/uts/cgroup ns": without(options, lambda g: g[0] in ("--unshare-ipc", "--unshare-uts",
                                                                    "--unshare-cgroup-try", "--hostname")),
        "no Python binds": without(options, lambda g: g[0] in ("--ro-bind", "--dir") and g[1] not in ("/usr", "/lab")
                                   and not g[1].startswith("/etc")),
        "no read-only /": without(options, lambda g: g == ["--remount-ro", "/"]),
    }


def timed(argv: list[str], data: dict[str, bytes], shared: str | None) -> float:
    fds, final = [], []
    for arg in argv:
        if arg.startswith(DATA_FD):
            fd = os.memfd_create("data")
            os.write(fd, data[arg[len(DATA_FD):]])
            os.lseek(fd, 0, os.SEEK_SET)
            fds.append(fd)
            final.append(str(fd))
        else:
            final.append(arg)
    command = launch.with_userns(final + ["--", "/usr/bin/true"], shared) if final else ["/usr/bin/true"]
    start = time.perf_counter()
    subprocess.run(command, pass_fds=tuple(fds), check=True)
    took = time.perf_counter() - start
    for fd in fds:
        os.close(fd)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=120)
    args = parser.parse_args()
    options, data = captured_run()
    shared = userns.path() if "--userns" in options else None
    cases = {**variants(options), "bare true": []}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.repeats):
        for name, argv in cases.items():
            samples[name].append(timed(argv, data, shared))
    full = statistics.median(samples["full"])
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:26s} {median * 1000:7.2f} ms   saves {(full - median) * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
