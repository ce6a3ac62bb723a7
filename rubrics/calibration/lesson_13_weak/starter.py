"""Lesson 13 lab: supervised fine-tuning on a format-following task.

Question: how do the number of epochs and prompt masking change training loss, held-out
loss, format compliance and exact match, and does tuning beat the untuned baseline?

Read top to bottom. Data generation, the template-level split, seeding, the training loop,
evaluation and the run record are done for you. The three functions marked TODO are your
decisions. Run `python starter.py --smoke` first (tiny numpy character model, offline, CPU,
seconds), then the real run, e.g.

    LAB_BACKEND=transformers LAB_MODEL=/path/to/small-causal-lm python starter.py --epochs 3

Backends (LAB_BACKEND): `none` (default: the numpy character model, fine for the mechanism)
or `transformers` (a local causal LM named by LAB_MODEL; nothing is downloaded if you pass a
local path and set HF_HUB_OFFLINE=1).
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
from pathlib import Path

import numpy as np

LESSON = 13
ANSWER_PATTERN = re.compile(r'\s*\{"answer":\s*(-?\d+)\}')

# ---------------------------------------------------------------------------------------
# Data: arithmetic prompts whose target is a strict JSON layout. Templates 0-3 train,
# templates 4-5 are held out, so no paraphrase of an eval prompt is seen in training.
# ---------------------------------------------------------------------------------------
TEMPLATES = [
    "What is {a} plus {b}?",
    "Add {a} and {b}.",
    "Compute {a}+{b}.",
    "Give the sum of {a} and {b}.",
    "{a} and {b} added together make what?",
    "Tell me {a} plus {b}.",
]
TRAIN_TEMPLATES = {0, 1, 2, 3}


def make_dataset(n: int, seed: int) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    train, held_out = [], []
    for _ in range(n):
        tid = rng.randrange(len(TEMPLATES))
        a, b = rng.randrange(0, 50), rng.randrange(0, 50)
        row = {"prompt": TEMPLATES[tid].format(a=a, b=b), "response": json.dumps({"answer": a + b}),
               "answer": a + b, "template": tid}
        (train if tid in TRAIN_TEMPLATES else held_out).append(row)
    return train, held_out


# ---------------------------------------------------------------------------------------
# Your decisions
# ---------------------------------------------------------------------------------------
def format_example(prompt: str, response: str) -> tuple[str, str]:
    """Lay out one example as (prompt_part, response_part) text.

    The model trains on prompt_part + response_part and, at evaluation, is given
    prompt_part and must generate response_part. Decide the layout: role markers, a system
    line or not, where the response starts and how it ends (the model must learn to stop).
    With the transformers backend, consider the tokenizer's chat template, and use the
    same layout you would serve with.
    """
    raise NotImplementedError("TODO: format_example - choose the training text layout")


def loss_mask(prompt_len: int, total_len: int, mask_prompt: bool) -> np.ndarray:
    """Return a float array of length total_len: 1.0 where token t is a training target.

    Token t is predicted from tokens 0..t-1, so position 0 can never be a target. The first
    prompt_len tokens are the prompt; the rest are the response (end marker included).
    `mask_prompt` is the experiment's variable: decide what each setting means.
    """
    raise NotImplementedError("TODO: loss_mask - decide which positions count in the loss")


def choose_checkpoint(eval_losses: list[float]) -> int:
    """Return the index (0 = before training) of the epoch whose model you keep.

    eval_losses[k] is the held-out loss after k epochs. State your rule in notes.md; it may
    use held-out numbers only, never a test set.
    """
    raise NotImplementedError("TODO: choose_checkpoint - the rule that picks the epoch to keep")


# ---------------------------------------------------------------------------------------
# Models: the same small interface for the numpy stand-in and a transformers model.
# ---------------------------------------------------------------------------------------
class CharModel:
    """A character model: logits = W[previous char] + U[char before that]. Tiny, exact, fast."""

    name = "numpy-char-trigram"

    def __init__(self, seed: int, lr: float):
        rng = np.random.default_rng(seed)
        self.V = 128
        self.W = rng.normal(0, 0.01, (self.V, self.V))
        self.U = rng.normal(0, 0.01, (self.V, self.V))
        self.lr = lr

    def encode(self, text: str) -> list[int]:
        return [min(ord(c), self.V - 1) for c in text]

    def _probs(self, ids: np.ndarray) -> np.ndarray:
        prev, prev2 = ids[:-1], np.concatenate([[0], ids[:-2]])
        logits = self.W[prev] + self.U[prev2]
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def loss(self, ids: list[int], mask: np.ndarray) -> tuple[float, float]:
        arr = np.asarray(ids)
        p = self._probs(arr)
        nll = -np.log(p[np.arange(len(arr) - 1), arr[1:]] + 1e-12)
        return float((nll * mask[1:]).sum()), float(mask[1:].sum())

    def train_batch(self, batch: list[tuple[list[int], np.ndarray]]) -> None:
        for ids, mask in batch:
            arr = np.asarray(ids)
            grad = self._probs(arr)
            grad[np.arange(len(arr) - 1), arr[1:]] -= 1.0
            grad *= mask[1:, None] / max(mask[1:].sum(), 1.0)
            np.add.at(self.W, arr[:-1], -self.lr * grad)
            np.add.at(self.U, np.concatenate([[0], arr[:-2]]), -self.lr * grad)

    def generate(self, prompt_ids: list[int], max_new: int) -> str:
        ids = list(prompt_ids)
        for _ in range(max_new):
            prev2 = ids[-2] if len(ids) > 1 else 0
            ids.append(int(np.argmax(self.W[ids[-1]] + self.U[prev2])))
        return "".join(chr(i) for i in ids[len(prompt_ids):])


class HFModel:
    """A local Hugging Face causal LM trained with AdamW (LAB_BACKEND=transformers)."""

    def __init__(self, name: str, seed: int, lr: float):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        torch.manual_seed(seed)
        self.torch = torch
        self.name = name
        self.tok = AutoTokenizer.from_pretrained(name)
        self.model = AutoModelForCausalLM.from_pretrained(name, dtype=torch.float32)
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model.to(self.device)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=lr, weight_decay=0.0)

    def encode(self, text: str) -> list[int]:
        return self.tok(text, add_special_tokens=False)["input_ids"]

    def _nll(self, ids: list[int], mask: np.ndarray):
        t = self.torch
        x = t.tensor([ids], device=self.device)
        logits = self.model(x).logits[0, :-1]
        nll = t.nn.functional.cross_entropy(logits, x[0, 1:], reduction="none")
        m = t.tensor(mask[1:], dtype=nll.dtype, device=self.device)
        return (nll * m).sum(), m.sum()

    def loss(self, ids: list[int], mask: np.ndarray) -> tuple[float, float]:
        self.model.eval()
        with self.torch.no_grad():
            total, n = self._nll(ids, mask)
        return float(total), float(n)

    def train_batch(self, batch: list[tuple[list[int], np.ndarray]]) -> None:
        self.model.train()
        self.opt.zero_grad()
        tokens = sum(float(m[1:].sum()) for _, m in batch) or 1.0
        for ids, mask in batch:
            total, _ = self._nll(ids, mask)
            (total / tokens).backward()
        self.opt.step()

    def generate(self, prompt_ids: list[int], max_new: int) -> str:
        self.model.eval()
        x = self.torch.tensor([prompt_ids], device=self.device)
        with self.torch.no_grad():
            out = self.model.generate(x, max_new_tokens=max_new, do_sample=False,
                                      pad_token_id=self.tok.pad_token_id or self.tok.eos_token_id)
        return self.tok.decode(out[0, len(prompt_ids):], skip_special_tokens=True)


# ---------------------------------------------------------------------------------------
# Plumbing shared by every lab: arguments, run record, TODO skipping in smoke mode.
# ---------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--epochs", type=int, default=3, help="passes over the training set (0 = untuned baseline)")
    p.add_argument("--learning-rate", type=float, default=None, help="default: 0.5 numpy, 2e-5 transformers")
    p.add_argument("--train-size", type=int, default=400, help="examples generated before the split")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--mask-prompt", choices=["true", "false"], default="true")
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


def placeholder_mask(prompt_len: int, total_len: int, mask_prompt: bool) -> np.ndarray:
    mask = np.ones(total_len)
    mask[0] = 0.0
    return mask


# ---------------------------------------------------------------------------------------
# The experiment
# ---------------------------------------------------------------------------------------
def encode_rows(model, rows: list[dict], mask_prompt: bool):
    """(ids, training mask, response-only mask, prompt ids) per row."""
    out = []
    for row in rows:
        prompt_part, response_part = call_todo(format_example, lambda p, r: (p + "\n", r + "\n"),
                                               row["prompt"], row["response"])
        p_ids, r_ids = model.encode(prompt_part), model.encode(response_part)
        ids = p_ids + r_ids
        train_mask = np.asarray(call_todo(loss_mask, placeholder_mask, len(p_ids), len(ids), mask_prompt), dtype=float)
        response_only = np.zeros(len(ids))
        response_only[len(p_ids):] = 1.0
        out.append((ids, train_mask, response_only, p_ids))
    return out


def evaluate(model, encoded, rows, max_new: int) -> dict:
    """Loss on response tokens only (comparable across masking settings) plus task metrics."""
    total = count = 0.0
    for ids, _, response_only, _ in encoded:
        s, n = model.loss(ids, response_only)
        total, count = total + s, count + n
    formatted = correct = 0
    for (_, _, _, p_ids), row in zip(encoded, rows):
        m = ANSWER_PATTERN.match(model.generate(p_ids, max_new))
        formatted += bool(m)
        correct += bool(m) and int(m.group(1)) == row["answer"]
    return {"loss": total / max(count, 1.0), "format_rate": formatted / len(rows), "exact_match": correct / len(rows)}


def main() -> None:
    global ARGS
    ARGS = args = parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    backend = "none" if args.smoke else os.environ.get("LAB_BACKEND", "none")
    train_size = 40 if args.smoke else args.train_size
    epochs = min(args.epochs, 2) if args.smoke else args.epochs
    mask_prompt = args.mask_prompt == "true"
    if backend == "transformers":
        lr = args.learning_rate or 2e-5
        model = HFModel(os.environ["LAB_MODEL"], args.seed, lr)
    elif backend == "none":
        lr = args.learning_rate or 0.5
        model = CharModel(args.seed, lr)
    else:
        sys.exit(f"LAB_BACKEND={backend!r} is not supported by this lab (use none or transformers)")
    train_rows, eval_rows = make_dataset(train_size, args.seed)
    eval_rows = eval_rows[: 8 if args.smoke else 60]
    run_dir = start_run(args, {"backend": backend, "model": model.name, "epochs": epochs, "learning_rate": lr,
                               "train_size": train_size, "batch_size": args.batch_size, "mask_prompt": mask_prompt,
                               "n_train": len(train_rows), "n_eval": len(eval_rows)})
    train_enc = encode_rows(model, train_rows, mask_prompt)
    eval_enc = encode_rows(model, eval_rows, mask_prompt)
    max_new = 16 if args.smoke else 24
    loss_tokens = sum(float(m[1:].sum()) for _, m, _, _ in train_enc)
    all_targets = sum(len(ids) - 1 for ids, _, _, _ in train_enc)

    history = []
    rng = random.Random(args.seed)
    order = list(range(len(train_enc)))
    for epoch in range(epochs + 1):
        if epoch > 0:
            rng.shuffle(order)
            for start in range(0, len(order), args.batch_size):
                model.train_batch([train_enc[i][:2] for i in order[start:start + args.batch_size]])
        tr = evaluate(model, train_enc[: len(eval_enc)], train_rows[: len(eval_enc)], max_new)
        ev = evaluate(model, eval_enc, eval_rows, max_new)
        history.append({"epoch": epoch, "train_loss": tr["loss"], "eval_loss": ev["loss"],
                        "format_rate": ev["format_rate"], "exact_match": ev["exact_match"]})
        print(f"epoch {epoch}: train {tr['loss']:.3f}  eval {ev['loss']:.3f}  format {ev['format_rate']:.2f}  exact {ev['exact_match']:.2f}")

    best = call_todo(choose_checkpoint, lambda losses: len(losses) - 1, [h["eval_loss"] for h in history])
    kept = history[best]
    metrics = {
        "best_epoch": best,
        "train_loss": kept["train_loss"], "eval_loss": kept["eval_loss"],
        "generalization_gap": kept["eval_loss"] - kept["train_loss"],
        "format_rate": kept["format_rate"], "exact_match": kept["exact_match"],
        "baseline_format_rate": history[0]["format_rate"], "baseline_exact_match": history[0]["exact_match"],
        "final_eval_loss": history[-1]["eval_loss"],
        "loss_tokens_fraction": loss_tokens / max(all_targets, 1),
        "steps": epochs * math.ceil(len(train_enc) / args.batch_size),
        "history": {k: [h[k] for h in history] for k in ("train_loss", "eval_loss", "format_rate", "exact_match")},
    }
    finish_run(run_dir, metrics, SKIPPED)
    print(f"run record: {run_dir}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))



# --- my implementations of the TODO functions ---------------------------------------------------------------
def format_example(prompt, response):
    return f"User: {prompt}\nAssistant: ", response

def loss_mask(prompt_len, total_len, mask_prompt):
    mask = np.ones(total_len)
    mask[0] = 0.0
    if mask_prompt:
        mask[:prompt_len + 1] = 0.0
    return mask

def choose_checkpoint(eval_losses):
    return len(eval_losses) - 1


if __name__ == "__main__":
    main()
