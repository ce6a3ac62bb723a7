"""Lesson 10 lab: prompt design and in-context learning as experimental conditions.

Question: on a small labelled task (sorting support tickets into four intents), how much do
the number of examples, their order, their format, an instruction and a system prompt change
exact-match accuracy, and are those changes larger than the spread across example draws?

Read top to bottom. The labelled data, the seeded example pools, the backends, scoring and
the run record are done for you. The three functions marked TODO are your decisions. Run
`python starter.py --smoke` first (offline, seconds), then e.g.

    python starter.py --shots 0 --seed 0
    python starter.py --shots 4 --seed 0
    python starter.py --shots 4 --order grouped --seed 0

Backends (LAB_BACKEND; never used by --smoke):
  none                a simulated in-context learner (default; see ToyICL below: it has planted
                      effects, so it checks your harness, not a language model)
  transformers        a local chat model: LAB_MODEL=/path/to/model (set HF_HUB_OFFLINE=1)
  vllm                an OpenAI-compatible vLLM server, e.g. Nemotron 3 Nano: LAB_BASE_URL (or
                      OPENAI_BASE_URL / TUTOR_BASE_URL) and LAB_MODEL; reasoning is switched
                      off with chat_template_kwargs unless --enable-thinking true
  openai-compatible   any other OpenAI-compatible endpoint (standard parameters only)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

LESSON = 10
LABELS = ["billing", "bug", "feature_request", "account"]

# Four intents, twelve tickets each. The first four of each label form the example pool; the
# other eight are the test set. Examples are never drawn from the test set.
TICKETS = {
    "billing": [
        "I was charged twice for my subscription this month.",
        "Can I get a refund for the annual plan I bought yesterday?",
        "The invoice shows the wrong company name.",
        "Why did my monthly price go up without notice?",
        "My card was declined but the payment still went through.",
        "Please send me a receipt for last month's payment.",
        "I cancelled my plan but you keep taking money from my account.",
        "Do you offer a discount for students?",
        "How do I switch from monthly to yearly billing?",
        "There is a charge on my statement I don't recognise.",
        "The tax on my invoice is calculated incorrectly.",
        "I paid with PayPal and the order still says unpaid.",
    ],
    "bug": [
        "The app crashes every time I open the settings page.",
        "Export to PDF produces a blank file.",
        "I get an error 500 when I upload a photo.",
        "The search box returns no results even for exact titles.",
        "Dark mode makes the buttons invisible on Android.",
        "Notifications arrive twice for every message.",
        "The page freezes when I scroll through long lists.",
        "Dates show up in the wrong time zone after the update.",
        "The save button does nothing on Safari.",
        "Sync stopped working since yesterday's release.",
        "Images are rotated sideways after upload.",
        "The login page loops back to itself after I enter my password.",
    ],
    "feature_request": [
        "It would be great if I could export my data to CSV.",
        "Please add a dark mode to the desktop version.",
        "Could you support two-factor authentication with hardware keys?",
        "I'd love a way to schedule posts for later.",
        "Can you add keyboard shortcuts for common actions?",
        "Please let us tag items with custom colours.",
        "An offline mode would make the app much more useful.",
        "Would you consider an integration with Slack?",
        "Allow sharing a folder with people outside my team.",
        "It would help to undo a deleted message.",
        "Please add a calendar view for tasks.",
        "Could the dashboard show weekly totals?",
    ],
    "account": [
        "I forgot my password and the reset email never arrives.",
        "How do I change the email address on my profile?",
        "Please delete my account and all my data.",
        "I can't log in after changing my phone number.",
        "How do I add a second admin to our workspace?",
        "My username was taken by someone else, can I get it back?",
        "I want to merge my two accounts into one.",
        "How do I turn off two-factor authentication on my profile?",
        "Someone else logged into my account from another country.",
        "Can I transfer ownership of the team to a colleague?",
        "My account is locked after too many attempts.",
        "Where do I change my display name?",
    ],
}
POOL = [{"text": t, "label": lab} for lab in LABELS for t in TICKETS[lab][:4]]
TEST = [{"text": t, "label": lab} for lab in LABELS for t in TICKETS[lab][4:]]


# ---------------------------------------------------------------------------------------
# Your decisions
# ---------------------------------------------------------------------------------------
def select_examples(pool: list[dict], shots: int, order: str, rng: random.Random) -> list[dict]:
    """Pick `shots` examples from the pool and put them in order.

    pool: dicts with "text" and "label" (never the test set). order is the experiment's
    variable: "random" or "grouped" (examples of the same label next to each other).
    Decide: are draws balanced across labels (what if shots is not a multiple of 4?), what
    "grouped" means exactly (which label comes last?), and use only `rng` for randomness so
    that one seed gives one draw. shots == 0 returns [].
    """
    raise NotImplementedError("TODO: select_examples - which examples, and in what order")


def build_messages(query: str, examples: list[dict], instruction: bool, system_prompt: bool,
                   example_format: str, labels: list[str]) -> list[dict]:
    """Return the chat messages for one test ticket: [{"role": ..., "content": ...}, ...].

    instruction: whether the prompt states the task and the allowed labels. system_prompt:
    whether a system message sets the role and the output rules. example_format: "plain"
    (e.g. `Ticket: ...` / `Label: ...`) or "json" (answers like {"label": "bug"}); keep the
    query in the same format as the examples. Decide: examples as text inside one user message,
    or as alternating user/assistant turns; exactly what the instruction and system prompt say;
    and what the model is asked to output. Each condition must change only its own part.
    """
    raise NotImplementedError("TODO: build_messages - the prompt for each condition")


def parse_label(output: str, labels: list[str]) -> str | None:
    """Map a model's raw output to one of `labels`, or None if it names none (or several).

    Decide: case, surrounding punctuation or quotes, a JSON answer, "feature request" vs
    "feature_request", a reasoning block (<think>...</think>) before the answer, and what to do
    when two labels appear. The starter also reports strict exact match (output.strip() ==
    label) beside your parsed accuracy, so the gap between them is part of the result.
    """
    raise NotImplementedError("TODO: parse_label - normalise an output into a label")


# ---------------------------------------------------------------------------------------
# Backends: each `complete(messages, query, seed)` returns (output_text, prompt_tokens).
# ---------------------------------------------------------------------------------------
STOP = {"the", "a", "an", "i", "my", "to", "of", "and", "is", "it", "in", "on", "for", "me", "you",
        "do", "how", "can", "after", "with", "from", "this", "our", "we", "be", "are", "get"}
LEXICON = {
    "billing": {"charged", "refund", "invoice", "price", "payment", "receipt", "money", "discount",
                "billing", "charge", "paid", "tax", "card", "plan", "subscription", "unpaid"},
    "bug": {"crashes", "crash", "error", "blank", "invisible", "twice", "freezes", "wrong", "nothing",
            "stopped", "broken", "loops", "sideways", "fails"},
    "feature_request": {"would", "could", "add", "love", "allow", "support", "consider", "help", "way",
                        "great", "let"},
    "account": {"password", "email", "log", "login", "logged", "username", "profile", "locked", "admin",
                "delete", "accounts", "account", "ownership", "name"},
}


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9']+", text.lower()) if w not in STOP}


def labels_in(text: str, labels: list[str]) -> list[str]:
    low = text.lower()
    return [lab for lab in labels if re.search(r"\b" + re.escape(lab).replace("_", "[_ ]") + r"\b", low)]


class ToyICL:
    """A simulated in-context learner. NOT a language model: a scoring rule with effects that
    published studies report for real models planted on purpose, so that you can check your
    harness detects effects of known direction. It reads the rendered messages:
      - examples are blocks (or user/assistant pairs) that name exactly one label;
      - it knows the label set only if the prompt shows it (instruction or examples), and
        otherwise answers in free text; examples sharpen what the labels mean;
      - it copies the answer format of the examples;
      - its choice mixes keyword knowledge, similarity to examples, a majority-label pull and
        a recency pull toward the last examples' labels, plus seeded noise.
    Findings about prompting come from a real model (LAB_BACKEND), not from this."""

    name = "toy-icl-simulator"

    def demos(self, messages: list[dict], query: str) -> list[tuple[str, str, str]]:
        """(example text, label, the answer line as written) in prompt order."""
        found = []
        for i, msg in enumerate(messages):
            named = labels_in(msg["content"], LABELS)
            if msg["role"] == "assistant" and len(named) == 1 and i > 0:
                found.append((messages[i - 1]["content"], named[0], msg["content"].strip()))
                continue
            if msg["role"] == "assistant":
                continue
            for block in re.split(r"\n\s*\n", msg["content"]):
                if query.lower() in block.lower():
                    continue
                named = labels_in(block, LABELS)
                if len(named) == 1:
                    line = next((ln for ln in block.splitlines() if labels_in(ln, LABELS)), block)
                    found.append((block, named[0], line.strip()))
        return found

    def complete(self, messages: list[dict], query: str, seed: int) -> tuple[str, int]:
        text = "\n".join(m["content"] for m in messages)
        demos = self.demos(messages, query)
        shows_labels = bool(demos) or any(len(labels_in(b, LABELS)) >= 2 for b in re.split(r"\n\s*\n", text))
        rng = np.random.default_rng([seed, sum(map(ord, query))])
        q = content_words(query)
        counts = Counter(lab for _, lab, _ in demos)
        scores = {}
        for lab in LABELS:
            prior = len(q & LEXICON[lab]) * (1.0 if demos else 0.6 if shows_labels else 0.45)
            sims = [len(q & content_words(t)) / max(len(q | content_words(t)), 1) for t, lb, _ in demos if lb == lab]
            similar = 3.0 * max(sims, default=0.0)
            majority = 0.8 * counts[lab] / len(demos) if demos else 0.0
            recency = 0.6 * sum(0.5 ** j for j, (_, lb, _) in enumerate(reversed(demos)) if lb == lab)
            scores[lab] = prior + similar + majority + recency + 0.35 * rng.gumbel()
        pick = max(scores, key=scores.get)
        if not shows_labels:
            out = f"This sounds like a {pick.replace('_', ' ')} issue."
        elif demos:
            # copy the last example's answer line, label swapped; if the prompt already ends
            # with that line's lead-in (e.g. "Label:"), continue after it
            shape, old = demos[-1][2], demos[-1][1]
            hit = re.search(re.escape(old).replace("_", "[_ ]"), shape, flags=re.I)
            before, after = shape[:hit.start()], shape[hit.end():]
            lead_in_given = before.strip() and messages[-1]["content"].rstrip().endswith(before.strip())
            out = (pick + after) if lead_in_given else (before + pick + after)
        else:
            out = pick
        return out, len(text.split())


class HFBackend:
    """A local chat model through Transformers, greedy unless --temperature > 0."""

    def __init__(self, path: str, cfg: dict):
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            sys.exit("LAB_BACKEND=transformers needs torch and transformers: pip install torch transformers")
        self.torch, self.name, self.cfg = torch, path, cfg
        self.tok = AutoTokenizer.from_pretrained(path)
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = torch.bfloat16 if self.device == "cuda" else torch.float32
        self.model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(self.device).eval()

    def complete(self, messages: list[dict], query: str, seed: int) -> tuple[str, int]:
        if getattr(self.tok, "chat_template", None):
            text = self.tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True,
                                                enable_thinking=self.cfg["enable_thinking"])
        else:
            text = "\n\n".join(f"{m['role']}: {m['content']}" for m in messages) + "\n\nassistant:"
        ids = self.tok(text, add_special_tokens=False, return_tensors="pt")["input_ids"].to(self.device)
        self.torch.manual_seed(seed)
        sample = self.cfg["temperature"] > 0
        with self.torch.no_grad():
            out = self.model.generate(ids, max_new_tokens=self.cfg["max_new_tokens"], do_sample=sample,
                                      temperature=self.cfg["temperature"] if sample else None,
                                      pad_token_id=self.tok.pad_token_id or self.tok.eos_token_id)
        return self.tok.decode(out[0, ids.shape[1]:], skip_special_tokens=True), int(ids.shape[1])


class ServerBackend:
    """An OpenAI-compatible chat endpoint (vLLM serving Nemotron 3 Nano, or a hosted API)."""

    def __init__(self, kind: str, cfg: dict):
        try:
            from openai import OpenAI
        except ImportError:
            sys.exit(f"LAB_BACKEND={kind} needs the openai package: pip install openai")
        base = os.environ.get("LAB_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or os.environ.get("TUTOR_BASE_URL")
        if not base or not os.environ.get("LAB_MODEL"):
            sys.exit(f"LAB_BACKEND={kind} needs LAB_BASE_URL (or OPENAI_BASE_URL) and LAB_MODEL")
        key = os.environ.get("LAB_API_KEY") or os.environ.get("OPENAI_API_KEY") or os.environ.get("TUTOR_API_KEY") or "EMPTY"
        self.client, self.kind, self.cfg, self.name = OpenAI(base_url=base, api_key=key), kind, cfg, os.environ["LAB_MODEL"]

    def request_args(self, seed: int) -> dict:
        args = {"temperature": self.cfg["temperature"], "max_tokens": self.cfg["max_new_tokens"], "seed": seed}
        if self.kind == "vllm":
            args["extra_body"] = {"chat_template_kwargs": {"enable_thinking": self.cfg["enable_thinking"]}}
        return args

    def complete(self, messages: list[dict], query: str, seed: int) -> tuple[str, int]:
        resp = self.client.chat.completions.create(model=self.name, messages=messages, **self.request_args(seed))
        usage = resp.usage.prompt_tokens if resp.usage else 0
        return resp.choices[0].message.content or "", usage


# ---------------------------------------------------------------------------------------
# Plumbing shared by every lab: arguments, run record, TODO skipping in smoke mode.
# ---------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0, help="base seed; draw i uses seed + i")
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--shots", type=int, default=4, help="examples in the prompt (0 = zero-shot)")
    p.add_argument("--order", choices=["random", "grouped"], default="random")
    p.add_argument("--example-format", choices=["plain", "json"], default="plain")
    p.add_argument("--instruction", choices=["true", "false"], default="true")
    p.add_argument("--system-prompt", choices=["true", "false"], default="false")
    p.add_argument("--n-seeds", type=int, default=3, help="example draws (seeds seed..seed+n-1)")
    p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (real backends)")
    p.add_argument("--enable-thinking", choices=["true", "false"], default="false")
    p.add_argument("--max-new-tokens", type=int, default=24)
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


def placeholder_select(pool, shots, order, rng):
    return pool[:shots]  # PLACEHOLDER: the first examples, all one label, ignoring order


def placeholder_messages(query, examples, instruction, system_prompt, example_format, labels):
    shown = "".join(f"{e['text']}\n{e['label']}\n\n" for e in examples)  # PLACEHOLDER: no conditions applied
    return [{"role": "user", "content": shown + query}]


def placeholder_parse(output, labels):
    return output.strip() if output.strip() in labels else None  # PLACEHOLDER: strict match only


# ---------------------------------------------------------------------------------------
# The experiment
# ---------------------------------------------------------------------------------------
def make_backend(name: str, cfg: dict):
    if name == "none":
        return ToyICL()
    if name == "transformers":
        if not os.environ.get("LAB_MODEL"):
            sys.exit("LAB_BACKEND=transformers needs LAB_MODEL (a local model path; set HF_HUB_OFFLINE=1)")
        return HFBackend(os.environ["LAB_MODEL"], cfg)
    if name in ("vllm", "openai-compatible"):
        return ServerBackend(name, cfg)
    sys.exit(f"LAB_BACKEND={name!r} is not supported (use none, transformers, vllm or openai-compatible)")


def evaluate_draw(backend, args, seed: int, test: list[dict], log: list[dict]) -> dict:
    rng = random.Random(seed)
    examples = call_todo(select_examples, placeholder_select, list(POOL), args.shots, args.order, rng)
    assert not {e["text"] for e in examples} & {t["text"] for t in TEST}, "an example leaked from the test set"
    preds, strict, tokens, times = [], [], [], []
    for item in test:
        messages = call_todo(build_messages, placeholder_messages, item["text"], examples,
                             args.instruction == "true", args.system_prompt == "true", args.example_format, LABELS)
        t0 = time.perf_counter()
        output, n_tokens = backend.complete(messages, item["text"], seed)
        times.append(time.perf_counter() - t0)
        pred = call_todo(parse_label, placeholder_parse, output, LABELS)
        preds.append(pred)
        strict.append(output.strip() == item["label"])
        tokens.append(n_tokens)
        log.append({"seed": seed, "text": item["text"], "label": item["label"], "output": output, "parsed": pred})
    gold = [t["label"] for t in test]
    last = examples[-1]["label"] if examples else None
    return {
        "accuracy": float(np.mean([p == g for p, g in zip(preds, gold)])),
        "exact_match_strict": float(np.mean(strict)),
        "format_rate": float(np.mean([p is not None for p in preds])),
        "majority_label_share": max(Counter(preds).values()) / len(preds),
        "last_example_label_rate": float(np.mean([p == last for p in preds])) if last else None,
        "prompt_tokens_mean": float(np.mean(tokens)),
        "latency_ms_mean": 1000 * float(np.mean(times)),
        "per_label_accuracy": {lab: float(np.mean([p == g for p, g in zip(preds, gold) if g == lab])) for lab in LABELS},
        "example_labels": [e["label"] for e in examples],
    }


def main() -> None:
    global ARGS
    ARGS = args = parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    backend_name = "none" if args.smoke else os.environ.get("LAB_BACKEND", "none")
    cfg = {"temperature": args.temperature, "enable_thinking": args.enable_thinking == "true",
           "max_new_tokens": args.max_new_tokens}
    n_seeds = 2 if args.smoke else args.n_seeds
    test = TEST[::4] if args.smoke else TEST
    backend = make_backend(backend_name, cfg)
    seeds = [args.seed + i for i in range(n_seeds)]
    run_dir = start_run(args, {"backend": backend_name, "model": backend.name, "shots": args.shots, "order": args.order,
                               "example_format": args.example_format, "instruction": args.instruction == "true",
                               "system_prompt": args.system_prompt == "true", **cfg, "n_seeds": n_seeds,
                               "seeds_used": seeds, "n_test": len(test), "labels": LABELS})
    log: list[dict] = []
    draws = []
    for seed in seeds:
        draws.append(evaluate_draw(backend, args, seed, test, log))
        d = draws[-1]
        print(f"seed {seed}: accuracy {d['accuracy']:.3f}  strict {d['exact_match_strict']:.3f}  "
              f"format {d['format_rate']:.2f}  examples {d['example_labels']}")

    def stat(key):
        vals = [d[key] for d in draws if d[key] is not None]
        return (float(np.mean(vals)) if vals else None,
                float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0)

    metrics = {}
    for key in ("accuracy", "exact_match_strict", "format_rate", "majority_label_share", "last_example_label_rate",
                "prompt_tokens_mean", "latency_ms_mean"):
        metrics[key], metrics[f"{key}_std"] = stat(key)
    metrics["per_seed_accuracy"] = [d["accuracy"] for d in draws]
    metrics["per_label_accuracy"] = {lab: float(np.mean([d["per_label_accuracy"][lab] for d in draws])) for lab in LABELS}
    metrics["example_labels"] = [d["example_labels"] for d in draws]
    with (run_dir / "outputs.jsonl").open("w") as fh:
        fh.writelines(json.dumps(entry) + "\n" for entry in log)
    finish_run(run_dir, metrics, SKIPPED)
    print(f"accuracy {metrics['accuracy']:.3f} ± {metrics['accuracy_std']:.3f} over {n_seeds} draws; "
          f"strict exact match {metrics['exact_match_strict']:.3f}; prompt tokens {metrics['prompt_tokens_mean']:.0f}")
    print(f"run record: {run_dir}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))


if __name__ == "__main__":
    main()
