"""Calibrating the faithfulness threshold: false fallbacks against caught wrong numbers.

For real course questions (the legit single-turn items of tests/agent/eval_messages.yaml)
the offline tutor's own draft is taken as a faithful model reply, dressed the way a model
writes (a numbered list, "lesson 7", a year, small counts, the learner's own numbers, and
thousands written as 4,096). A replay model then plays, through the whole teacher graph,
that faithful reply and copies of it with 1, 2 or 3 wrong numbers injected (a number the
filter checks replaced by a value in none of the sources, or, where the draft has too few,
a sentence with an invented figure). Each turn records how many distinct unsupported values
the filter found; a reply falls back to the course draft when that count reaches the
threshold, so one run gives the whole table:

    threshold | false fallback: faithful, faithful + 1 computed figure | caught with 1 / 2 / 3 wrong

A "computed figure" is a correct number the model worked out (a product of two of the
draft's numbers): the filter cannot check arithmetic, so it counts as unsupported, which is
why one unsupported value alone is flagged but does not make the reply fall back.

    python bench/faithfulness.py               # every legit question (56; about 30 s)
    python bench/faithfulness.py --limit 20

Wrong small integers (up to faithfulness.SMALL, "8 kv heads" for 2) are out of reach by
design: prose is full of them. The chosen threshold is faithfulness.THRESHOLD.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sys
import tempfile
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

THRESHOLDS = (1, 2, 3, 4)
WRONG = (1, 2, 3)


def dressed(draft: str, question: str, lesson: int) -> str:
    """The draft as a model might write it: ordinary numbers everywhere, none of them invented."""
    paragraphs = [p.strip() for p in draft.split("\n\n") if p.strip()]
    paragraphs = [re.sub(r"(?<![\w.,])(\d{1,3})(\d{3})(?![\d.,])", r"\1,\2", p) for p in paragraphs]
    listed = "\n".join(f"{i}. {p}" if "\n" not in p else p for i, p in enumerate(paragraphs, start=1))
    asked = re.findall(r"\d+(?:\.\d+)?", question)
    mention = f" For the {asked[0]} in your question, the same reasoning applies." if asked else ""
    return (f"Good question; this is lesson {lesson} material, and I will go through it in 3 steps.\n\n{listed}\n\n"
            f"People have written about this since 2019; try it on 2 small examples first.{mention}\n")


def corrupted(reply: str, known: set[float], count: int, rng: random.Random) -> str:
    """``reply`` with ``count`` wrong numbers: checked numbers replaced, else invented sentences."""
    from tutor.agent.faithfulness import unsupported_numbers

    lines = reply.splitlines(keepends=True)
    slots = [(i, n) for i, line in enumerate(lines) for n in dict.fromkeys(unsupported_numbers(line, set()))]
    rng.shuffle(slots)
    done = 0
    for i, number in slots[:count]:
        value = float(number.rstrip("%").replace(",", ""))
        wrong = next(w for k in range(2, 99) if round(w := value * k + k - 2, 9) not in known)
        text = f"{wrong:g}" if wrong != int(wrong) else str(int(wrong))
        lines[i] = re.sub(rf"(?<![\w.]){re.escape(number)}(?![\d])", text, lines[i], count=1)
        done += 1
    extra = []
    while done + len(extra) < count:
        wrong = rng.randint(11, 9000)
        if float(wrong) not in known:
            extra.append(f"In practice that comes to about {wrong} MB per request.")
    return "".join(lines).rstrip() + ("\n\n" + " ".join(extra) + "\n" if extra else "\n")


def computed(reply: str, known: set[float]) -> str:
    """``reply`` plus one correct figure a model worked out itself (in no source: arithmetic is
    not checked, so this is the honest reply the filter cannot tell from a wrong one)."""
    values = sorted(v for v in known if v >= 2 and v == int(v))
    a, b = (values[-1], values[-2]) if len(values) >= 2 else (values[-1] if values else 64.0, 2.0)
    product = int(a * b)
    return reply.rstrip() + f"\n\nSo {int(a)} times {int(b)} gives {product}.\n"


async def measure(limit: int | None, seed: int) -> dict:
    from tutor.agent.evaluation import load_items, session_factory
    from tutor.agent.faithfulness import source_values
    from tutor.config import load_settings
    from tutor.llm.replay import ReplayModel

    items = [i for i in load_items(REPO / "tests/agent/eval_messages.yaml")
             if i["label"] == "legit" and len(i["turns"]) == 1][: limit or None]
    make_session = session_factory(load_settings(course=REPO, model="offline"))
    rng = random.Random(seed)
    run = uuid.uuid4().hex[:6]  # fresh learners: a reused --home keeps their threads (asked quizzes)
    counts: dict[str, list[int]] = {"faithful": [], "computed": [], **{f"wrong{k}": [] for k in WRONG}}
    for n, item in enumerate(items):
        question = item["turns"][0]["text"]
        offline = make_session(f"off-{run}-{n}", item["lesson"], None)
        draft = await final(offline, question)
        faithful = dressed(draft.reply, question, item["lesson"])
        known = source_values(draft.reply, question)
        variants = {"faithful": faithful, "computed": computed(faithful, known), **{f"wrong{k}": corrupted(faithful, known, k, rng) for k in WRONG}}
        for name, text in variants.items():
            session = make_session(f"{name}-{run}-{n}", item["lesson"], ReplayModel.from_texts(text, piece=7))
            result = await final(session, question)
            found = [g.get("count", 0) for g in result.guard if g["rule"] == "unsupported_numbers"]
            counts[name].append(found[0] if found else 0)
    return counts


async def final(session, message: str):
    async for event in session.turn(message):
        if type(event).__name__ == "DoneEvent":
            return event.result
    raise RuntimeError("the turn ended without a result")


def table(counts: dict[str, list[int]]) -> str:
    from tutor.agent.faithfulness import THRESHOLD

    n = len(counts["faithful"])
    head = ("threshold | false fallback: faithful | faithful + 1 computed figure | "
            + " | ".join(f"caught, {k} wrong" for k in WRONG))
    rows = [f"questions: {n} (legit single-turn items of tests/agent/eval_messages.yaml)", head, "-" * len(head)]
    for t in THRESHOLDS:
        def rate(name: str) -> str:
            hits = sum(c >= t for c in counts[name])
            return f"{hits}/{n} ({100 * hits / max(n, 1):.0f}%)"
        mark = "  <- faithfulness.THRESHOLD" if t == THRESHOLD else ""
        rows.append(f"{t:>9} | {rate('faithful'):>25} | {rate('computed'):>28} | " + " | ".join(f"{rate(f'wrong{k}'):>15}" for k in WRONG) + mark)
    flagged = [c for c in counts["faithful"] if c]
    rows.append(f"faithful replies with any number flagged: {len(flagged)}/{n}")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--seed", type=int, default=7, help="which numbers get corrupted")
    parser.add_argument("--home", type=Path, help="TUTOR_HOME to use (keeps the built index between runs)")
    args = parser.parse_args()
    os.environ["TUTOR_HOME"] = str(args.home or Path(tempfile.mkdtemp(prefix="tutor-faith-")))
    os.environ["TUTOR_CONFIG"] = os.devnull
    print(table(asyncio.run(measure(args.limit, args.seed))))


if __name__ == "__main__":
    main()
