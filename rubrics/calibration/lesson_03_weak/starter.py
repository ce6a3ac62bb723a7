"""Lesson 3 lab: temperature, softmax and sampling on a next-token model.

Read top to bottom. The model (a smoothed word bigram model built from a bundled text, or a
real model through Transformers), the generation loop, the metrics and the run record are
done for you. The three functions marked TODO are the decisions you make.

    python starter.py --smoke                          # offline, seconds
    python starter.py --temperature 0.5 --seed 0       # one point of the sweep
    python starter.py --temperature 1.0 --seed 1       # same temperature, another seed

Real model (never in --smoke): LAB_BACKEND=transformers LAB_MODEL=<local path or id>
uses that model's next-token logits; everything else stays the same.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

LESSON = 3

BUNDLED_TEXT = """\
the cat sat on the mat and the dog sat on the rug .
the dog saw the cat and the cat ran up the tree .
the bird sang in the tree and the cat looked up at the bird .
a small dog ran to the park and a big dog ran after it .
the children played in the park until the sun went down .
the sun rose over the hills and the birds began to sing .
the old man walked his dog to the river every morning .
the river was cold and the dog did not want to swim .
a cat sat by the window and watched the rain fall on the street .
the rain stopped and the children ran out to play in the park .
the man sat on a bench and read the paper in the sun .
the bird flew from the tree to the window and sang again .
the dog slept on the rug and the cat slept on the mat .
in the morning the man made tea and the cat wanted milk .
the children saw a big bird on the river and ran to tell the man .
the tree by the river was old and the birds loved it .
the cat and the dog were friends and played in the garden .
the garden was full of flowers and the bees were busy all day .
at night the stars came out and the old man looked at the sky .
the sky was dark and the river was quiet and the town was asleep .
"""


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--temperature", type=float, default=1.0, help="the experiment's variable; 0 means greedy")
    p.add_argument("--prompt", default="the cat")
    p.add_argument("--n-samples", type=int, default=8, help="samples per run, all from the same prompt")
    p.add_argument("--max-new-tokens", type=int, default=30)
    p.add_argument("--alpha", type=float, default=0.05, help="add-alpha smoothing of the bigram model")
    return p.parse_args()


def start_run(args: argparse.Namespace, config: dict) -> Path:
    """Create the run directory and write config.json (everything needed to rerun)."""
    run_dir = Path(
        os.environ.get("TUTOR_RUN_DIR")
        or Path(args.runs_dir) / (time.strftime("%Y%m%d-%H%M%S-") + f"{args.seed}-{os.getpid()}")
    )
    run_dir.mkdir(parents=True, exist_ok=True)
    config = {"lesson": LESSON, "seed": args.seed, "smoke": args.smoke, "argv": sys.argv[1:],
              "python": platform.python_version(), **config}
    (run_dir / "config.json").write_text(json.dumps(config, indent=2))
    return run_dir


def finish_run(run_dir: Path, metrics: dict, skipped: list[str]) -> None:
    metrics = {**metrics, "todo_skipped": skipped}
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))


# --- smoke-mode plumbing: an unfinished TODO is skipped loudly, never silently ------------
SKIPPED: list[str] = []


def call_todo(fn, *args, placeholder, smoke: bool):
    """Call a learner function; in --smoke mode fall back to a placeholder if it is a TODO."""
    try:
        return fn(*args)
    except NotImplementedError:
        if not smoke:
            raise
        if fn.__name__ not in SKIPPED:
            print(f"SMOKE: TODO {fn.__name__} not implemented yet; using a placeholder")
            SKIPPED.append(fn.__name__)
        return placeholder(*args)


# --- TODO 1-3: the decisions ---------------------------------------------------------------
def softmax_with_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities softmax(logits / temperature), computed without overflow.

    temperature == 0 means greedy: return a distribution with all mass on the largest logit
    (decide what to do with exact ties, and keep it deterministic).
    Check: softmax_with_temperature(np.array([2.0, 1.0, 0.1]), 1.0) ~ [0.659, 0.242, 0.099],
    and np.array([1000.0, 999.0]) must not produce nan.
    """
    raise NotImplementedError("TODO: stable softmax of logits / temperature, greedy at 0")


def sample_index(probs: np.ndarray, u: float) -> int:
    """Inverse-CDF sampling: the first index whose cumulative probability exceeds u (0 <= u < 1).

    u comes from the seeded generator, so the same seed gives the same choices.
    Check: sample_index(np.array([0.659, 0.242, 0.099]), 0.7) == 1 and (..., 0.95) == 2.
    Think about rounding: the cumulative sum may end at 0.9999999.
    """
    raise NotImplementedError("TODO: pick an index by walking the cumulative probabilities")


def entropy_bits(probs: np.ndarray) -> float:
    """Entropy -sum p log2 p in bits. Entries with p == 0 contribute 0 (no nan).

    Check: uniform over 4 entries -> 2.0; a one-hot vector -> 0.0.
    """
    raise NotImplementedError("TODO: entropy of a distribution in bits")


# --- placeholders used only in --smoke mode while a TODO is unfinished ---------------------
def uniform_probs(logits, temperature):
    return np.full(len(logits), 1.0 / len(logits))


def always_first(probs, u):
    return 0


def zero_entropy(probs):
    return 0.0


# --- models: the same interface for the bigram stand-in and a real model -------------------
class BigramModel:
    """Word bigram model; its logits are log(count(prev, next) + alpha), so softmax at T=1
    gives the smoothed bigram probability."""

    name = "bigram"

    def __init__(self, text: str, alpha: float):
        tokens = re.findall(r"\S+", text.replace("\n", " \n "))
        tokens = [t for t in tokens if t != "\n"]
        self.vocab = sorted(set(tokens))
        self.index = {w: i for i, w in enumerate(self.vocab)}
        counts: dict[int, Counter] = defaultdict(Counter)
        for a, b in zip(tokens, tokens[1:]):
            counts[self.index[a]][self.index[b]] += 1
        self.table = np.full((len(self.vocab), len(self.vocab)), alpha)
        for a, row in counts.items():
            for b, c in row.items():
                self.table[a, b] += c
        self.table = np.log(self.table)

    def encode(self, text: str) -> list[int]:
        return [self.index[w] for w in text.split() if w in self.index] or [self.index["the"]]

    def next_logits(self, ids: list[int]) -> np.ndarray:
        return self.table[ids[-1]].copy()

    def decode(self, ids: list[int]) -> str:
        return " ".join(self.vocab[i] for i in ids)


class TransformersModel:
    """A real causal LM through Hugging Face Transformers (LAB_BACKEND=transformers)."""

    def __init__(self, model_id: str):
        import torch  # heavy and optional: imported only when asked for
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.name = model_id
        self.tok = AutoTokenizer.from_pretrained(model_id)
        self.model = AutoModelForCausalLM.from_pretrained(model_id, torch_dtype="auto").eval()

    def encode(self, text: str) -> list[int]:
        return self.tok.encode(text)

    def next_logits(self, ids: list[int]) -> np.ndarray:
        with self.torch.no_grad():  # no KV cache here on purpose: lesson 7 adds it
            out = self.model(self.torch.tensor([ids]))
        return out.logits[0, -1].float().numpy().astype(np.float64)

    def decode(self, ids: list[int]) -> str:
        return self.tok.decode(ids)


def load_model(args) -> object:
    if not args.smoke and os.environ.get("LAB_BACKEND") == "transformers":
        return TransformersModel(os.environ["LAB_MODEL"])
    return BigramModel(BUNDLED_TEXT, args.alpha)


# --- generation and metrics (done for you) -------------------------------------------------
def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max()
    return z - math.log(np.exp(z).sum())


def generate(model, prompt_ids: list[int], args, rng: np.random.Generator, smoke: bool) -> dict:
    ids, steps = list(prompt_ids), []
    for _ in range(args.max_new_tokens):
        logits = model.next_logits(ids)
        probs = call_todo(softmax_with_temperature, logits, args.temperature, placeholder=uniform_probs, smoke=smoke)
        choice = int(call_todo(sample_index, probs, float(rng.random()), placeholder=always_first, smoke=smoke))
        steps.append({
            "entropy": call_todo(entropy_bits, probs, placeholder=zero_entropy, smoke=smoke),
            "logprob_t1": float(log_softmax(logits)[choice]),  # plausibility under the untempered model
            "greedy": choice == int(np.argmax(logits)),
        })
        ids.append(choice)
    return {"new_ids": ids[len(prompt_ids):], "steps": steps}


def bigrams(ids: list[int]) -> list[tuple[int, int]]:
    return list(zip(ids, ids[1:]))


def summarise(samples: list[dict]) -> dict:
    steps = [s for sample in samples for s in sample["steps"]]
    all_bigrams = [b for sample in samples for b in bigrams(sample["new_ids"])]
    repeated = [1 - len(set(bigrams(s["new_ids"]))) / max(1, len(bigrams(s["new_ids"]))) for s in samples]
    per_sample_logprob = [float(np.mean([st["logprob_t1"] for st in s["steps"]])) for s in samples]
    mean_lp = float(np.mean([st["logprob_t1"] for st in steps]))
    return {
        "mean_entropy_bits": round(float(np.mean([st["entropy"] for st in steps])), 4),
        "distinct_2": round(len(set(all_bigrams)) / max(1, len(all_bigrams)), 4),
        "repeated_bigram_rate": round(float(np.mean(repeated)), 4),
        "mean_logprob_t1": round(mean_lp, 4),
        "perplexity_t1": round(math.exp(-mean_lp), 4),
        "logprob_t1_std_across_samples": round(float(np.std(per_sample_logprob)), 4),
        "greedy_agreement": round(float(np.mean([st["greedy"] for st in steps])), 4),
        "n_tokens": len(steps),
    }


def main() -> None:
    args = parse_args()
    rng = np.random.default_rng(args.seed)  # the only source of randomness in sampling
    model = load_model(args)
    config = {
        "temperature": args.temperature, "prompt": args.prompt, "n_samples": args.n_samples,
        "max_new_tokens": args.max_new_tokens, "alpha": args.alpha,
        "backend": "transformers" if isinstance(model, TransformersModel) else "none",
        "model": model.name, "numpy": np.__version__,
    }
    run_dir = start_run(args, config)

    prompt_ids = model.encode(args.prompt)
    samples = [generate(model, prompt_ids, args, rng, args.smoke) for _ in range(args.n_samples)]
    metrics = summarise(samples)
    (run_dir / "samples.txt").write_text(
        "\n".join(f"[{i}] {args.prompt} | {model.decode(s['new_ids'])}" for i, s in enumerate(samples)) + "\n")
    finish_run(run_dir, metrics, SKIPPED)

    print(f"run record: {run_dir}  (temperature={args.temperature}, seed={args.seed}, model={model.name})")
    print("sample 0:", args.prompt, "|", model.decode(samples[0]["new_ids"]))
    for key, value in metrics.items():
        print(f"{key:>30}: {value}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))



# --- my implementations of the TODO functions ---------------------------------------------------------------
def softmax_with_temperature(logits, temperature):
    if temperature == 0:
        out = np.zeros_like(logits, dtype=float)
        out[np.argmax(logits)] = 1.0
        return out
    e = np.exp(logits / temperature)
    return e / e.sum()

def sample_index(probs, u):
    for i, c in enumerate(np.cumsum(probs)):
        if c >= u:
            return i
    return len(probs) - 1

def entropy_bits(probs):
    p = probs[probs > 0]
    return float(-(p * np.log(p)).sum())


if __name__ == "__main__":
    main()
