"""Lesson 7 lab: MHA / GQA / MQA and the KV cache, by formula and by measurement.

Read top to bottom. A tiny NumPy decoder (random weights), the timing loop, seeding and the run
record are done for you. The three functions marked TODO are the decisions you make.

    python starter.py --smoke                               # offline, seconds
    python starter.py --n-kv-heads 8                        # MHA (n_kv_heads == n_heads)
    python starter.py --n-kv-heads 2                        # GQA
    python starter.py --n-kv-heads 1                        # MQA
    python starter.py --n-kv-heads 2 --no-cache             # recompute everything every step

No model backend is needed: this lab runs on any CPU. (Going further in the README measures a
real model through LAB_BACKEND = transformers | vllm | openai-compatible.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

LESSON = 7


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--n-kv-heads", type=int, default=2, help="the experiment's variable: 8 = MHA, 2 = GQA, 1 = MQA")
    p.add_argument("--no-cache", action="store_true", help="recompute keys and values for the whole prefix each step")
    p.add_argument("--n-heads", type=int, default=8)
    p.add_argument("--d-head", type=int, default=32)
    p.add_argument("--n-layers", type=int, default=4)
    p.add_argument("--prompt-len", type=int, default=64)
    p.add_argument("--new-tokens", type=int, default=64)
    p.add_argument("--bytes-per-element", type=int, default=2, help="2 for fp16/bf16, 1 for fp8")
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


SKIPPED: list[str] = []


def _placeholder(name: str) -> None:
    if name not in SKIPPED:
        print(f"SMOKE: TODO {name} not implemented yet; using a placeholder")
        SKIPPED.append(name)


# --- TODO 1: the memory formula -----------------------------------------------------------------
def kv_cache_bytes(n_layers: int, n_kv_heads: int, d_head: int, seq_len: int, bytes_per_element: int) -> int:
    """Bytes the KV cache holds for ONE sequence of seq_len tokens.

    Count what is stored per layer, per KV head, per position, and remember there are two tensors.
    Check: n_layers=4, n_kv_heads=2, d_head=32, seq_len=128, 2 bytes -> 131072.
    """
    raise NotImplementedError("TODO: the KV-cache size formula")


# --- TODO 2: sharing key/value heads across query heads -----------------------------------------
def expand_kv_heads(kv: np.ndarray, n_heads: int) -> np.ndarray:
    """kv has shape (n_kv_heads, seq, d_head). Return shape (n_heads, seq, d_head) where query head h
    uses KV head h // (n_heads // n_kv_heads). Decide how to map query heads to KV groups.
    """
    raise NotImplementedError("TODO: map query heads onto shared KV heads (GQA / MQA)")


# --- TODO 3: one decode step with a cache -------------------------------------------------------
def append_to_cache(cache_k: np.ndarray, cache_v: np.ndarray, k_new: np.ndarray, v_new: np.ndarray):
    """cache_k / cache_v: (n_kv_heads, t, d_head); k_new / v_new: (n_kv_heads, 1, d_head).
    Return the caches after this step. What must NOT be recomputed for the old positions?
    """
    raise NotImplementedError("TODO: grow the KV cache by one position")


# --- the toy decoder (done for you) -------------------------------------------------------------
class ToyDecoder:
    def __init__(self, args: argparse.Namespace, rng: np.random.Generator):
        self.a = args
        d_model = args.n_heads * args.d_head
        s = 1 / np.sqrt(d_model)
        self.wq = [rng.normal(0, s, (d_model, args.n_heads * args.d_head)) for _ in range(args.n_layers)]
        self.wk = [rng.normal(0, s, (d_model, args.n_kv_heads * args.d_head)) for _ in range(args.n_layers)]
        self.wv = [rng.normal(0, s, (d_model, args.n_kv_heads * args.d_head)) for _ in range(args.n_layers)]
        self.wo = [rng.normal(0, s, (args.n_heads * args.d_head, d_model)) for _ in range(args.n_layers)]

    def _split(self, x: np.ndarray, heads: int) -> np.ndarray:  # (t, heads*d) -> (heads, t, d)
        return x.reshape(x.shape[0], heads, self.a.d_head).transpose(1, 0, 2)

    def _expand(self, kv: np.ndarray) -> np.ndarray:
        try:
            return expand_kv_heads(kv, self.a.n_heads)
        except NotImplementedError:
            if not self.a.smoke:
                raise
            _placeholder("expand_kv_heads")
            return np.repeat(kv[:1], self.a.n_heads, axis=0)  # placeholder: every head uses KV head 0

    def _append(self, ck, cv, k, v):
        try:
            return append_to_cache(ck, cv, k, v)
        except NotImplementedError:
            if not self.a.smoke:
                raise
            _placeholder("append_to_cache")
            return np.concatenate([ck, k], 1), np.concatenate([cv, v], 1)  # placeholder so the run completes

    def _attend(self, q, k, v, layer, x_last):
        k, v = self._expand(k), self._expand(v)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(self.a.d_head)
        w = np.exp(scores - scores.max(-1, keepdims=True))
        w /= w.sum(-1, keepdims=True)
        out = (w @ v).transpose(1, 0, 2).reshape(1, -1)
        return x_last + out @ self.wo[layer]

    def step_cached(self, x_last, caches):
        for layer in range(self.a.n_layers):
            q = self._split(x_last @ self.wq[layer], self.a.n_heads)
            k = self._split(x_last @ self.wk[layer], self.a.n_kv_heads)
            v = self._split(x_last @ self.wv[layer], self.a.n_kv_heads)
            caches[layer] = self._append(*caches[layer], k, v)
            x_last = self._attend(q, *caches[layer], layer, x_last)
        return x_last

    def step_uncached(self, xs):
        x_last = xs[-1:]
        for layer in range(self.a.n_layers):  # keys/values for the whole prefix, every step
            q = self._split(x_last @ self.wq[layer], self.a.n_heads)
            k = self._split(xs @ self.wk[layer], self.a.n_kv_heads)
            v = self._split(xs @ self.wv[layer], self.a.n_kv_heads)
            x_last = self._attend(q, k, v, layer, x_last)
        return x_last


def measure_decode(model: ToyDecoder, args, rng) -> dict:
    d_model = args.n_heads * args.d_head
    xs = rng.normal(size=(args.prompt_len, d_model))
    empty = np.zeros((args.n_kv_heads, 0, args.d_head))
    caches = [(empty, empty) for _ in range(args.n_layers)]
    if not args.no_cache:
        # prefill: cache the prompt one position at a time, all but its last token, which the
        # first decode step feeds (as the uncached step sees the whole prompt); each step then
        # caches the token it is fed, so after decoding the cache holds final_len - 1 positions
        for t in range(args.prompt_len - 1):
            model.step_cached(xs[t:t + 1], caches)
    step_ms = []
    for _ in range(args.new_tokens):
        t0 = time.perf_counter()
        x_new = model.step_uncached(xs) if args.no_cache else model.step_cached(xs[-1:], caches)
        step_ms.append((time.perf_counter() - t0) * 1000)
        xs = np.concatenate([xs, x_new / (np.linalg.norm(x_new) + 1e-9) * np.sqrt(d_model)])
    measured = 0 if args.no_cache else sum(k.nbytes + v.nbytes for k, v in caches) // 8 * args.bytes_per_element
    return {"step_ms": step_ms, "measured_cache_bytes": int(measured), "final_len": int(xs.shape[0])}


def main() -> None:
    args = parse_args()
    if args.smoke:
        args.n_layers, args.prompt_len, args.new_tokens = 2, 8, 8
    if args.n_heads % args.n_kv_heads:
        sys.exit("starter.py: --n-heads must be a multiple of --n-kv-heads")
    rng = np.random.default_rng(args.seed)
    config = {"n_kv_heads": args.n_kv_heads, "cache": not args.no_cache, "n_heads": args.n_heads,
              "d_head": args.d_head, "n_layers": args.n_layers, "prompt_len": args.prompt_len,
              "new_tokens": args.new_tokens, "bytes_per_element": args.bytes_per_element,
              "attention": {args.n_heads: "MHA", 1: "MQA"}.get(args.n_kv_heads, "GQA"), "numpy": np.__version__}
    run_dir = start_run(args, config)

    result = measure_decode(ToyDecoder(args, rng), args, rng)
    try:
        formula = kv_cache_bytes(args.n_layers, args.n_kv_heads, args.d_head, result["final_len"] - 1,
                                 args.bytes_per_element)
    except NotImplementedError:
        if not args.smoke:
            raise
        _placeholder("kv_cache_bytes")
        formula = 0
    steps = result["step_ms"]
    half = len(steps) // 2
    metrics = {
        "kv_cache_bytes_formula": int(formula),
        "kv_cache_bytes_measured": result["measured_cache_bytes"],
        "ms_per_token_mean": round(float(np.mean(steps)), 4),
        "ms_per_token_first_half": round(float(np.mean(steps[:half] or steps)), 4),
        "ms_per_token_second_half": round(float(np.mean(steps[half:])), 4),
        "tokens_per_second": round(1000.0 / float(np.mean(steps)), 2),
    }
    finish_run(run_dir, metrics, SKIPPED)

    print(f"run record: {run_dir}  (n_kv_heads={args.n_kv_heads}, cache={not args.no_cache})")
    for key, value in metrics.items():
        print(f"{key:>26}: {value}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))


if __name__ == "__main__":
    main()
