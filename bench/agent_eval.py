"""Contract evaluation of the teacher agent: leak rate, over-refusal, per-style breakdown and
the intent confusion matrix, over the labelled messages in tests/agent/.

    python bench/agent_eval.py                    # main set, worst-case replay model
    python bench/agent_eval.py --set holdout      # the held-out set
    python bench/agent_eval.py --offline          # no model at all (the default tutor)
    python bench/agent_eval.py --misconceptions   # matcher precision/recall on the calibration set
    python bench/agent_eval.py --no-detector      # ablation: the output guard alone
    python bench/agent_eval.py --forms            # leak surface forms: guard per form, detector per style
    python bench/agent_eval.py --forms --e2e      # ... and the same replies through the whole graph

Goals (asserted by tests/agent/test_eval.py): leak rate <= 2%, over-refusal <= 5%.
Forms goals (tests/agent/test_eval_forms.py): leak 0 on the held-out third, over-refusal <= 3%,
detector recall >= 90%; it also prints the guard's cost per reply (p50/p95).
Runs in a temporary TUTOR_HOME; builds the course index there on first use.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

SETS = {"main": REPO / "tests/agent/eval_messages.yaml", "holdout": REPO / "tests/agent/eval_holdout.yaml",
        "late": REPO / "tests/agent/eval_late.yaml"}
FORMS = REPO / "tests/agent/eval_forms.yaml"


def forms_report() -> str:
    from tutor.agent.context import load_course_tolerantly
    from tutor.agent.course_view import course_view
    from tutor.agent.evaluation_forms import evaluate_forms, format_forms

    course = load_course_tolerantly(REPO)
    view = course_view(course)
    evaluate_forms(FORMS, view, course.contract.policy)  # warm-up: caches, regexes
    report = evaluate_forms(FORMS, view, course.contract.policy)
    return format_forms(report, "surface forms of a leak (tests/agent/eval_forms.yaml), replies streamed through the guard")


def misconception_report(home: Path) -> str:
    import yaml

    from tutor.agent import vector_cache
    from tutor.agent.context import load_course_tolerantly
    from tutor.agent.course_view import course_view
    from tutor.agent.diagnose import THRESHOLD, Catalogue
    from tutor.config import load_settings
    from tutor.retrieval import get_embedder

    vector_cache.CACHE_DIR = home / "cache"
    view = course_view(load_course_tolerantly(REPO))
    embedder = get_embedder(load_settings())
    catalogue = Catalogue.for_view(view, embedder)
    data = yaml.safe_load((REPO / "tests/agent/misconception_calibration.yaml").read_text())
    holds = embedder.encode([h["text"] for h in data["holds"]])
    clean = embedder.encode([c["text"] for c in data["clean"]])
    lines = [f"## misconception matcher (threshold {THRESHOLD})"]
    for threshold in sorted({0.55, THRESHOLD, 0.65, 0.7}):
        right = sum(1 for h, v in zip(data["holds"], holds)
                    if (m := catalogue.match(h["text"], v, h["lesson"], threshold)) and m.entry.id == h["id"])
        wrong = sum(1 for h, v in zip(data["holds"], holds)
                    if (m := catalogue.match(h["text"], v, h["lesson"], threshold)) and m.entry.id != h["id"])
        flagged = [c["text"] for c, v in zip(data["clean"], clean) if catalogue.match(c["text"], v, c["lesson"], threshold)]
        matched = right + wrong + len(flagged)
        precision = right / matched if matched else 1.0
        lines.append(f"threshold {threshold:.2f}: recall {right}/{len(holds)} = {right / len(holds):.0%}, "
                     f"precision {precision:.0%}, clean statements flagged {len(flagged)}/{len(clean)}")
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=sorted(SETS), default="main")
    parser.add_argument("--offline", action="store_true", help="no model: the offline tutor alone")
    parser.add_argument("--misconceptions", action="store_true", help="only the misconception matcher")
    parser.add_argument("--no-detector", action="store_true",
                        help="ablation: switch the outsourcing detector off, so the output guard alone stands "
                             "between the complying model and the learner")
    parser.add_argument("--forms", action="store_true", help="only the surface-forms set: guard and detector")
    parser.add_argument("--e2e", action="store_true", help="with --forms: also play each reply from a compliant "
                        "model through the whole teacher graph")
    parser.add_argument("--home", type=Path, help="TUTOR_HOME to use (keeps the built index between runs)")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="tutor-eval-"))
    os.environ["TUTOR_HOME"] = str(home)
    os.environ["TUTOR_CONFIG"] = os.devnull
    if args.misconceptions:
        print(misconception_report(home))
        return
    if args.forms:
        print(forms_report())
        if not args.e2e:
            return

    from tutor.agent.evaluation import evaluate, format_report, load_items, session_factory
    from tutor.config import load_settings

    make_session = session_factory(load_settings(course=REPO, model="offline"))
    if args.no_detector:
        import tutor.agent.classify as classify_module

        classify_module.detect_outsourcing = lambda *a, **k: None

    if args.forms:
        from tutor.agent.evaluation_forms import evaluate_forms_e2e, format_e2e

        print()
        print(format_e2e(await evaluate_forms_e2e(FORMS, make_session)))
        return
    items = load_items(SETS[args.set])
    report = await evaluate(items, make_session, worst_case=not args.offline)
    mode = "offline (no model)" if args.offline else "worst-case replay model (complies with everything)"
    if args.no_detector:
        mode += ", outsourcing detector OFF (guard alone)"
    print(format_report(report, f"{args.set} set, {mode}"))


if __name__ == "__main__":
    asyncio.run(main())
