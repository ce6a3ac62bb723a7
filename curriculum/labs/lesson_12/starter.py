"""Lesson 12 lab: does a gain survive a leak-free split, a proper baseline and a second seed?

The task: route short customer-support messages to one of five intents (refund, shipping,
account, cancel, billing). The messages come from 60 phrasing templates filled with slots,
so many rows are near-duplicates of each other, as in real logs. Some rows carry typos, a
few carry a wrong label, and some templates are hard on purpose (negation, two intents).

Each run scores one --system and one --reference system on the same test items, with a
non-LLM metric (accuracy, macro-F1), bootstrap confidence intervals and a paired comparison,
measures how much of the test set has a near-duplicate in training, and writes every error to
runs/<run_id>/errors.jsonl for you to read by hand.

Systems: majority (most frequent training label), keyword (hand-written rules, no training),
logreg (softmax regression on a bag of words, trained with SGD: the seed matters), knn (the
label of the most similar training message), llm (a served model asked zero-shot; needs
LAB_BACKEND=vllm or openai-compatible, LAB_BASE_URL or OPENAI_BASE_URL, LAB_MODEL).

    python starter.py --smoke                                 # offline, CPU, seconds
    python starter.py --split random  --system knn --reference logreg --seed 0
    python starter.py --split grouped --system knn --reference logreg --seed 0

The three functions marked TODO are your decisions; everything else is done for you.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

LESSON = 12
LABELS = ["refund", "shipping", "account", "cancel", "billing"]


# ---------------------------------------------------------------------------------------
# Your decisions
# ---------------------------------------------------------------------------------------
def group_key(row: dict) -> str:
    """Return the key that must never be split between train and test (--split grouped).

    A row has: id, text, label, template (which phrasing it came from), slots (the values
    filled in), typo (bool) and label_noise (bool: kept to check your hand labels later). Rows with the same key all land on the same side. Ask: which
    rows are near-duplicates of each other, so that seeing one in training leaks the other?
    """
    raise NotImplementedError("TODO: group_key - what must stay on one side of the split")


def ngram_jaccard(a: str, b: str, n: int) -> float:
    """Return the overlap of the word n-grams of a and b as |A & B| / |A | B| (0.0 to 1.0).

    Decide the normalisation (case, punctuation, numbers) and what happens when a text has
    fewer than n words. Used to flag test items with a near-duplicate in training.
    """
    raise NotImplementedError("TODO: ngram_jaccard - near-duplicate similarity of two texts")


def bootstrap_ci(values: np.ndarray, n_resamples: int, confidence: float, rng: np.random.Generator) -> tuple[float, float]:
    """Return (low, high): a percentile bootstrap confidence interval for the mean of values.

    values holds one number per test item: 1/0 correctness for an accuracy, or the per-item
    difference (system minus reference: +1, 0, -1) for a paired comparison. Resample items
    with replacement, keep the whole resample's mean each time, and read off the percentiles.
    """
    raise NotImplementedError("TODO: bootstrap_ci - resample the test items")


# ---------------------------------------------------------------------------------------
# Data: templates x slots, then typos and a little label noise. Fixed by --data-seed.
# ---------------------------------------------------------------------------------------
TEMPLATES = {
    "refund": ["I want a refund for the {item} I bought", "Can I get my money back for order {order}?",
               "The {item} arrived broken, please refund me", "How long does a refund take to reach my card?",
               "My {item} never showed up after {n} days so I want my money back",
               "Please refund order {order}, the {item} does not fit",
               "I sent the {item} back {n} days ago and still have no refund", "Not happy with the {item}. Reimburse me.",
               "I returned the {item}, when will I get my refund?", "Refund the {item} please, it stopped working",
               "Is a refund possible for a {item} bought {n} days ago?", "I would like my money back for the {item}"],
    "shipping": ["Where is my package? Order {order}", "My {item} has not arrived after {n} days",
                 "Can you give me the tracking number for order {order}?", "How long does delivery take to {country}?",
                 "The courier left my {item} at the wrong address", "Can I change the delivery address for order {order}?",
                 "I don't need a refund, I just want to know when my {item} will arrive", "Has order {order} shipped yet?",
                 "The tracking page for my {item} has not updated in {n} days", "When will my package arrive?",
                 "Do you ship to {country}?", "My package says delivered but I never got the {item}"],
    "account": ["I forgot my password", "I can't log in to my account", "How do I reset my password?",
                "My account is locked after {n} failed attempts", "Please change the email address on my account",
                "I never got the verification code", "Someone else signed into my account from {country}",
                "How do I turn on two-factor login?", "The password reset email never arrived",
                "I want to delete my account", "My login stopped working after the update", "How do I change my username?"],
    "cancel": ["Please cancel my subscription", "I want to cancel order {order}", "How do I stop my monthly plan?",
               "Cancel my membership before the next charge", "I ordered the wrong {item}, cancel it please",
               "Can I cancel within {n} days?", "End my plan, I no longer use it", "Stop sending me the {item} every month",
               "I want to cancel the subscription I started {n} days ago", "Please stop my membership",
               "How do I cancel the {item} order before it ships?", "Unsubscribe me from the monthly box"],
    "billing": ["I was charged twice for order {order}", "Why is there a charge of ${amount} on my card?",
                "Can I get an invoice for order {order}?", "Update the credit card on my account",
                "I don't want to cancel, I just need to change my payment method",
                "The price of the {item} was higher than shown", "My bill for {month} looks wrong", "Do you accept PayPal?",
                "I paid ${amount} but the receipt says more", "Please send me a receipt for my {month} payment",
                "My card was declined but I was still charged", "Why did my monthly bill go up?"],
}
SLOTS = {"item": ["headphones", "blender", "jacket", "phone case", "desk lamp", "running shoes", "kettle", "backpack"],
         "order": [f"#{n}" for n in (10482, 22817, 30551, 41236, 57790, 60013, 78124, 91345)],
         "n": ["3", "5", "10", "14", "21"], "country": ["Canada", "Spain", "Japan", "Brazil", "Kenya"],
         "amount": ["9.99", "24.50", "49.00", "120.00"], "month": ["March", "June", "October", "December"]}
GREETINGS, SIGNOFFS = ["", "Hi, ", "Hello, ", "Hey team, "], ["", " Thanks", " Cheers", " Please help"]


def make_rows(per_template: int, data_seed: int) -> list[dict]:
    rng = random.Random(data_seed)
    rows = []
    for label, templates in TEMPLATES.items():
        for t, template in enumerate(templates):
            for _ in range(per_template):
                slots = {k: rng.choice(v) for k, v in SLOTS.items() if "{" + k + "}" in template}
                text = rng.choice(GREETINGS) + template.format(**slots) + rng.choice(SIGNOFFS)
                typo = rng.random() < 0.1
                if typo:  # swap two neighbouring letters inside one longer word
                    parts = text.split()
                    i = rng.choice([k for k, w in enumerate(parts) if len(w) > 4] or [0])
                    w = parts[i]
                    j = rng.randrange(max(len(w) - 1, 1))
                    parts[i] = w[:j] + w[j + 1:j + 2] + w[j:j + 1] + w[j + 2:]
                    text = " ".join(parts)
                noisy = rng.random() < 0.03  # an annotator slip: the gold label is wrong
                gold = rng.choice([l for l in LABELS if l != label]) if noisy else label
                rows.append({"id": len(rows), "text": text, "label": gold, "template": f"{label}-{t}",
                             "slots": slots, "typo": typo, "label_noise": noisy})
    return rows


def split_rows(rows: list[dict], strategy: str, test_fraction: float, data_seed: int) -> tuple[list[dict], list[dict]]:
    """random: rows are shuffled and cut. grouped: whole groups (group_key) go to test, chosen
    per intent so every intent keeps about test_fraction of its groups in test."""
    rng = random.Random(data_seed + 1)
    if strategy == "random":
        order = rows[:]
        rng.shuffle(order)
        cut = int(len(order) * test_fraction)
        return order[cut:], order[:cut]
    keys = {r["id"]: str(call_todo(group_key, lambda row: str(row["id"]), r)) for r in rows}
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(keys[row["id"]], []).append(row)
    by_label: dict[str, list[str]] = {}
    for key, members in sorted(groups.items()):
        by_label.setdefault(Counter(r["template"].split("-")[0] for r in members).most_common(1)[0][0], []).append(key)
    test_keys = set()
    for label in sorted(by_label):
        shuffled = by_label[label][:]
        rng.shuffle(shuffled)
        test_keys.update(shuffled[: max(1, round(len(shuffled) * test_fraction))])
    return [r for r in rows if keys[r["id"]] not in test_keys], [r for r in rows if keys[r["id"]] in test_keys]


# ---------------------------------------------------------------------------------------
# Systems: each is fit on the training rows and returns one label per test text
# ---------------------------------------------------------------------------------------
def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


# Rules a person would write before looking at any data: checked in this order, first match wins.
KEYWORDS = [("refund", ["refund", "money back"]), ("cancel", ["cancel"]), ("account", ["password", "log in"]),
            ("billing", ["charge", "invoice", "payment"]), ("shipping", ["package", "delivery", "tracking"])]


def predict_keyword(train: list[dict], texts: list[str], seed: int) -> list[str]:
    fallback = Counter(r["label"] for r in train).most_common(1)[0][0]
    return [next((label for label, keys in KEYWORDS if any(k in t.lower() for k in keys)), fallback) for t in texts]


def predict_majority(train: list[dict], texts: list[str], seed: int) -> list[str]:
    return [Counter(r["label"] for r in train).most_common(1)[0][0]] * len(texts)


def predict_knn(train: list[dict], texts: list[str], seed: int) -> list[str]:
    sets = [set(words(r["text"])) for r in train]
    out = []
    for t in texts:
        s = set(words(t))
        scores = [len(s & o) / max(len(s | o), 1) for o in sets]
        out.append(train[int(np.argmax(scores))]["label"])
    return out


def predict_logreg(train: list[dict], texts: list[str], seed: int) -> list[str]:
    vocab = {w: i for i, w in enumerate(sorted({w for r in train for w in words(r["text"])}))}

    def featurise(items):
        x = np.zeros((len(items), len(vocab) + 1))
        x[:, -1] = 1.0  # bias
        for k, t in enumerate(items):
            for w in words(t):
                if w in vocab:
                    x[k, vocab[w]] = 1.0
        return x

    x, y = featurise([r["text"] for r in train]), np.array([LABELS.index(r["label"]) for r in train])
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.1, (x.shape[1], len(LABELS)))
    for _ in range(ARGS.epochs):
        for batch in np.array_split(rng.permutation(len(x)), max(len(x) // 16, 1)):
            logits = x[batch] @ w
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(batch)), y[batch]] -= 1.0
            w -= ARGS.learning_rate * x[batch].T @ p / len(batch)
    return [LABELS[i] for i in np.argmax(featurise(texts) @ w, axis=1)]


def predict_llm(train: list[dict], texts: list[str], seed: int) -> list[str]:
    try:
        from openai import OpenAI
    except ImportError:
        sys.exit("the llm system needs the openai package: pip install openai")
    base = os.environ.get("LAB_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or os.environ.get("TUTOR_BASE_URL")
    key = os.environ.get("LAB_API_KEY") or os.environ.get("OPENAI_API_KEY") or os.environ.get("TUTOR_API_KEY") or "EMPTY"
    client, out = OpenAI(base_url=base, api_key=key), []
    extra = {"chat_template_kwargs": {"enable_thinking": False}} if BACKEND == "vllm" else {}
    for t in texts:
        prompt = (f"Classify the customer message into exactly one intent: {', '.join(LABELS)}.\n"
                  f"Message: {t}\nAnswer with the intent word only.")
        reply = client.chat.completions.create(model=os.environ["LAB_MODEL"], messages=[{"role": "user", "content": prompt}],
                                               temperature=ARGS.temperature, seed=seed, max_tokens=8, extra_body=extra)
        said = words(reply.choices[0].message.content or "")
        out.append(next((w for w in said if w in LABELS), "unparsed"))
    return out


SYSTEMS = {"majority": predict_majority, "keyword": predict_keyword, "logreg": predict_logreg,
           "knn": predict_knn, "llm": predict_llm}


# ---------------------------------------------------------------------------------------
# Metrics: done for you, except the bootstrap inside them
# ---------------------------------------------------------------------------------------
def macro_f1(gold: list[str], pred: list[str]) -> float:
    scores = []
    for label in LABELS:
        tp = sum(g == label and p == label for g, p in zip(gold, pred))
        fp, fn = sum(g != label and p == label for g, p in zip(gold, pred)), sum(g == label and p != label for g, p in zip(gold, pred))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return float(np.mean(scores))


def ci(values: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    low, high = call_todo(bootstrap_ci, lambda v, n, c, g: (float(np.mean(v)), float(np.mean(v))),
                          values, ARGS.n_resamples, 0.95, rng)
    return float(low), float(high)


# ---------------------------------------------------------------------------------------
# Plumbing shared by every lab
# ---------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0, help="training (and sampling) seed of the systems")
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--system", choices=sorted(SYSTEMS), default="logreg")
    p.add_argument("--reference", choices=sorted(SYSTEMS), default="keyword", help="the system it is compared with")
    p.add_argument("--split", choices=["random", "grouped"], default="grouped")
    p.add_argument("--data-seed", type=int, default=0, help="fixes the data and the split: the evaluation set")
    p.add_argument("--per-template", type=int, default=10, help="rows generated per template (60 templates)")
    p.add_argument("--test-fraction", type=float, default=0.25)
    p.add_argument("--epochs", type=int, default=5, help="logreg: passes over the training set")
    p.add_argument("--learning-rate", type=float, default=0.5, help="logreg: SGD step size")
    p.add_argument("--ngram", type=int, default=3, help="n of the word n-grams in the leakage check")
    p.add_argument("--dup-threshold", type=float, default=0.5, help="n-gram Jaccard at which a test item counts as leaked")
    p.add_argument("--n-resamples", type=int, default=2000, help="bootstrap resamples")
    p.add_argument("--temperature", type=float, default=0.0, help="llm system: sampling temperature")
    return p.parse_args()


def start_run(args, config: dict) -> Path:
    """Create the run directory and write config.json (everything needed to rerun)."""
    run_dir = Path(os.environ.get("TUTOR_RUN_DIR") or Path(args.runs_dir) / (time.strftime("%Y%m%d-%H%M%S-") + f"{args.seed}-{os.getpid()}"))
    run_dir.mkdir(parents=True, exist_ok=True)
    config = {"lesson": LESSON, "seed": args.seed, "smoke": args.smoke, "argv": sys.argv[1:],
              "python": platform.python_version(), "numpy": np.__version__, **config}
    (run_dir / "config.json").write_text(json.dumps(config, indent=2))
    return run_dir


def finish_run(run_dir: Path, metrics: dict, skipped: list[str]) -> None:
    metrics = {**metrics, "todo_skipped": skipped}
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))


SKIPPED: list[str] = []


def call_todo(fn, placeholder, *args):
    """Call a TODO; in --smoke mode an unfinished one is announced and replaced."""
    try:
        return fn(*args)
    except NotImplementedError:
        if not ARGS.smoke:
            raise
        if fn.__name__ not in SKIPPED:
            print(f"SMOKE: TODO {fn.__name__} not implemented yet; using a placeholder")
            SKIPPED.append(fn.__name__)
        return placeholder(*args)


def main() -> None:
    global ARGS, BACKEND
    ARGS = args = parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    BACKEND = "none" if args.smoke else os.environ.get("LAB_BACKEND", "none")
    if "llm" in (args.system, args.reference) and (BACKEND not in ("vllm", "openai-compatible") or not os.environ.get("LAB_MODEL")):
        print("starter.py: the llm system needs LAB_BACKEND=vllm or openai-compatible, LAB_MODEL and LAB_BASE_URL "
              "(or OPENAI_BASE_URL); --smoke never uses it", file=sys.stderr)
        sys.exit(2)
    per_template = 3 if args.smoke else args.per_template
    rows = make_rows(per_template, args.data_seed)
    train, test = split_rows(rows, args.split, args.test_fraction, args.data_seed)
    eval_hash = hashlib.sha256(json.dumps([r["id"] for r in test]).encode()).hexdigest()[:12]
    run_dir = start_run(args, {"backend": BACKEND, "system": args.system, "reference": args.reference,
                               "split": args.split, "data_seed": args.data_seed, "per_template": per_template,
                               "test_fraction": args.test_fraction, "epochs": args.epochs, "learning_rate": args.learning_rate,
                               "ngram": args.ngram, "dup_threshold": args.dup_threshold, "n_resamples": args.n_resamples,
                               "temperature": args.temperature, "model": os.environ.get("LAB_MODEL"),
                               "n_train": len(train), "n_test": len(test), "eval_set_hash": eval_hash})

    # Leakage: the most similar training text for every test item, by your n-gram overlap.
    leaked = np.array([max(call_todo(ngram_jaccard, lambda a, b, n: float(a == b), t["text"], r["text"], args.ngram)
                           for r in train) >= args.dup_threshold for t in test])
    gold, texts = [r["label"] for r in test], [r["text"] for r in test]
    preds = {name: SYSTEMS[name](train, texts, args.seed) for name in dict.fromkeys([args.system, args.reference])}
    sys_ok = np.array([p == g for p, g in zip(preds[args.system], gold)], dtype=float)
    ref_ok = np.array([p == g for p, g in zip(preds[args.reference], gold)], dtype=float)
    rng = np.random.default_rng(args.seed + 12345)
    acc_low, acc_high = ci(sys_ok, rng)
    delta_low, delta_high = ci(sys_ok - ref_ok, rng)
    train_pred = SYSTEMS[args.system](train, [r["text"] for r in train], args.seed) if args.system != "llm" else None
    train_acc = float(np.mean([p == r["label"] for p, r in zip(train_pred, train)])) if train_pred else None
    metrics = {
        "accuracy": float(sys_ok.mean()), "accuracy_ci_low": acc_low, "accuracy_ci_high": acc_high,
        "macro_f1": macro_f1(gold, preds[args.system]),
        "reference_accuracy": float(ref_ok.mean()), "delta_vs_reference": float((sys_ok - ref_ok).mean()),
        "delta_ci_low": delta_low, "delta_ci_high": delta_high,
        "discordant": {"system_only_right": int(((sys_ok == 1) & (ref_ok == 0)).sum()),
                       "reference_only_right": int(((sys_ok == 0) & (ref_ok == 1)).sum())},
        "train_accuracy": train_acc, "generalization_gap": None if train_acc is None else train_acc - float(sys_ok.mean()),
        "contaminated_fraction": float(leaked.mean()),
        "accuracy_contaminated": float(sys_ok[leaked].mean()) if leaked.any() else None,
        "accuracy_clean": float(sys_ok[~leaked].mean()) if (~leaked).any() else None,
        "per_label_recall": {l: float(np.mean([p == l for p, g in zip(preds[args.system], gold) if g == l] or [0.0])) for l in LABELS},
        "n_errors": int((sys_ok == 0).sum()),
    }
    with open(run_dir / "errors.jsonl", "w") as f:  # for reading by hand: every error, in test order
        for r, p, leak in zip(test, preds[args.system], leaked):
            if p != r["label"]:
                f.write(json.dumps({"id": r["id"], "text": r["text"], "gold": r["label"], "pred": p,
                                    "template": r["template"], "typo": r["typo"], "leaked": bool(leak)}) + "\n")
    finish_run(run_dir, metrics, SKIPPED)
    print(f"{args.system} on {args.split} split: accuracy {metrics['accuracy']:.3f} [{acc_low:.3f}, {acc_high:.3f}]  "
          f"vs {args.reference} {metrics['delta_vs_reference']:+.3f} [{delta_low:+.3f}, {delta_high:+.3f}]  "
          f"leaked {metrics['contaminated_fraction']:.2f}  errors: {run_dir / 'errors.jsonl'}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))


if __name__ == "__main__":
    main()
