"""Issue 13's kill figure: 40 folders, 30 SIGKILLs of `tutor grade`, then one resume.

    python bench/grading_kills.py [--folders 40] [--kills 30] [--seed 13] [--placed 0.5]

Prints how many folders were whole afterwards (complete report.json + report.md, no temp file,
exactly one DB row with the same total). Uses a throwaway TUTOR_HOME. --placed 0 gives random
kills only (the issue's wording); the default also places half of them at a store write or a
file rename, the windows random kills rarely hit.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folders", type=int, default=40)
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--placed", type=float, default=0.5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tutor-kill-bench-") as tmp:
        os.environ["TUTOR_HOME"] = str(Path(tmp) / "home")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from tests.grading.kill_harness import kill_then_resume, make_cohort, summary

        result = kill_then_resume(make_cohort(Path(tmp), args.folders), args.kills, args.seed, args.placed)
        print(summary(result))
        for problem in result["problems"]:
            print("  ", problem)
        return 0 if not result["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
