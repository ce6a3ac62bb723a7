"""One task of a grading job array, on a Slurm node:
``python -m tutor.grading.slurm_task BATCH_DIR/manifest.json`` (index: SLURM_ARRAY_TASK_ID).

Grades the copy of one submission the submitter left in the shared directory, exactly as a local
batch would (grade_folder: checks, smoke runs in the local sandbox on this node, the judge), and
writes the report to BATCH_DIR/reports/<index>.json atomically: a report is there whole or not at
all. The submitter turns it into the learner's report.json/report.md and the progress store row.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def report_path(batch_dir: Path, index: int) -> Path:
    return batch_dir / "reports" / f"{index}.json"


def main(argv: list[str]) -> int:
    from tutor.config import load_settings
    from tutor.grading.grader import grade_folder, resolve_judge

    manifest_path = Path(argv[0])
    manifest = json.loads(manifest_path.read_text())
    index = int(argv[1]) if len(argv) > 1 else int(os.environ["SLURM_ARRAY_TASK_ID"])
    item = manifest["items"][str(index)]
    settings = load_settings(**manifest.get("settings", {}))  # course and sandbox as the submitter had them
    model, _ = resolve_judge(settings, None, manifest["use_judge"])
    report = grade_folder(Path(item["copy"]), lesson=manifest["lesson"], settings=settings, judge=model,
                          smoke=manifest["smoke"], use_judge=model is not None, write=False,
                          samples=manifest["samples"], duplicate_of=item["others"])
    target = report_path(manifest_path.parent, index)
    partial = target.with_name(f".{index}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(report, default=str))
    os.replace(partial, target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
