"""Lesson 4 lab: scaled dot-product attention in NumPy, and why 1/sqrt(d_k) is there.

Read top to bottom. Random inputs and projections (with unit-variance queries and keys),
the multi-head layer that calls your functions, the measurements, the correctness checks and
the run record are done for you. The four functions marked TODO are the decisions you make.

    python starter.py --smoke                              # offline, seconds
    python starter.py --head-dim 64 --scaled               # one point of the sweep
    python starter.py --head-dim 64 --no-scaled            # the same point without the scale

No model backend is needed: this lab runs on any CPU.
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

LESSON = 4


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--head-dim", type=int, default=64, help="d_k, the experiment's variable")
    p.add_argument("--scaled", action=argparse.BooleanOptionalAction, default=True, help="divide scores by sqrt(d_k)")
    p.add_argument("--n-heads", type=int, default=4)
    p.add_argument("--seq-len", type=int, default=32)
    p.add_argument("--causal", action=argparse.BooleanOptionalAction, default=True)
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


# --- TODO 1-4: the decisions ---------------------------------------------------------------
def causal_mask(n: int) -> np.ndarray:
    """Boolean (n, n) matrix: entry [i, j] is True where query i may attend to key j (j <= i).

    Check: causal_mask(3) -> [[T, F, F], [T, T, F], [T, T, T]].
    """
    raise NotImplementedError("TODO: build the causal mask")


def scaled_dot_product_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None,
                                 scaled: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Attention for any leading batch/head axes.

    q: (..., m, d_k), k: (..., n, d_k), v: (..., n, d_v); mask: boolean (m, n), True = may attend,
    or None. Return (output (..., m, d_v), weights (..., m, n), scores (..., m, n)), where scores
    are the pre-softmax values (scaled by 1/sqrt(d_k) only when scaled=True, before masking).
    Apply the mask BEFORE the softmax; make the softmax stable (lesson 3).
    Check (the lesson's worked example): q=[[1,0]], k=[[1,0],[0,1],[1,1]], v=[[10,0],[0,10],[5,5]]
    gives weights ~ [[0.401, 0.198, 0.401]] and output ~ [[6.02, 3.98]].
    """
    raise NotImplementedError("TODO: softmax(q k^T / sqrt(d_k)) v with the mask before the softmax")


def split_heads(x: np.ndarray, n_heads: int) -> np.ndarray:
    """(n, d_model) -> (n_heads, n, d_model // n_heads): head h gets columns h*d_k .. (h+1)*d_k - 1."""
    raise NotImplementedError("TODO: reshape the width into heads")


def merge_heads(x: np.ndarray) -> np.ndarray:
    """(n_heads, n, d_k) -> (n, n_heads * d_k): the exact inverse of split_heads."""
    raise NotImplementedError("TODO: concatenate the heads back into the width")


# --- placeholders used only in --smoke mode while a TODO is unfinished ---------------------
def no_mask(n):
    return np.ones((n, n), dtype=bool)


def uniform_attention(q, k, v, mask, scaled):  # every query averages every value: no lookup at all
    weights = np.full(q.shape[:-1] + (k.shape[-2],), 1.0 / k.shape[-2])
    return weights @ v, weights, np.zeros_like(weights)


def one_head(x, n_heads):
    return x[None]


def drop_head_axis(x):
    return x.reshape(x.shape[1], -1) if x.shape[0] == 1 else np.concatenate(list(x), axis=-1)


# --- the layer and the measurements (done for you) -----------------------------------------
def attention_layer(x, params, n_heads, mask, scaled, smoke):
    """Multi-head self-attention (or cross-attention when params['kv_source'] is given)."""
    kv_source = params.get("kv_source", x)
    q = call_todo(split_heads, x @ params["wq"], n_heads, placeholder=one_head, smoke=smoke)
    k = call_todo(split_heads, kv_source @ params["wk"], n_heads, placeholder=one_head, smoke=smoke)
    v = call_todo(split_heads, kv_source @ params["wv"], n_heads, placeholder=one_head, smoke=smoke)
    out, weights, scores = call_todo(scaled_dot_product_attention, q, k, v, mask, scaled,
                                     placeholder=uniform_attention, smoke=smoke)
    merged = call_todo(merge_heads, out, placeholder=drop_head_axis, smoke=smoke)
    return merged @ params["wo"], weights, scores


def make_params(rng, d_model):
    # 1/sqrt(d_model) keeps every coordinate of q and k at variance about 1 for unit-variance x
    w = lambda: rng.normal(0, 1 / np.sqrt(d_model), size=(d_model, d_model))  # noqa: E731
    return {"wq": w(), "wk": w(), "wv": w(), "wo": w()}


def row_entropy_normalised(weights: np.ndarray, visible: np.ndarray) -> float:
    """Entropy of each row in bits divided by log2(number of visible keys); rows seeing 1 key skipped."""
    p = np.clip(weights, 1e-30, 1.0)
    h = -(weights * np.log2(p)).sum(-1)
    n_visible = visible.sum(-1)
    keep = n_visible > 1
    return float((h[..., keep] / np.log2(n_visible[keep])).mean())


def softmax_jacobian_norm(weights: np.ndarray) -> float:
    """Mean Frobenius norm of diag(p) - p p^T over rows: how much gradient the softmax passes."""
    p = weights.reshape(-1, weights.shape[-1])
    jac_sq = (p**2).sum(1) - 2 * (p**3).sum(1) + ((p**2).sum(1)) ** 2  # ||diag(p) - pp^T||_F^2
    return float(np.sqrt(np.maximum(jac_sq, 0)).mean())


def correctness_checks(rng, params, args, smoke) -> dict:
    n, d_model = args.seq_len, args.head_dim * args.n_heads
    x = rng.normal(size=(n, d_model))
    mask = call_todo(causal_mask, n, placeholder=no_mask, smoke=smoke)
    _, w_causal, _ = attention_layer(x, params, args.n_heads, mask, True, smoke)
    future = ~np.tril(np.ones((n, n), dtype=bool))
    heads = call_todo(split_heads, x, args.n_heads, placeholder=one_head, smoke=smoke)
    roundtrip = call_todo(merge_heads, heads, placeholder=drop_head_axis, smoke=smoke)
    perm = rng.permutation(n)  # unmasked self-attention must commute with shuffling the tokens
    out, _, _ = attention_layer(x, params, args.n_heads, None, True, smoke)
    out_perm, _, _ = attention_layer(x[perm], params, args.n_heads, None, True, smoke)
    memory = rng.normal(size=(n // 2 + 1, d_model))  # cross-attention: queries from x, keys/values from memory
    out_cross, w_cross, _ = attention_layer(x, {**params, "kv_source": memory}, args.n_heads, None, True, smoke)
    return {
        "causal_leak": float(np.abs(w_causal[..., future]).max()),
        "row_sum_error": float(np.abs(w_causal.sum(-1) - 1).max()),
        "head_roundtrip_error": float(np.abs(roundtrip - x).max()),
        "permutation_equivariance_error": float(np.abs(out_perm - out[perm]).max()),
        "cross_attention_shape_ok": int(out_cross.shape == (n, d_model) and w_cross.shape[-2:] == (n, memory.shape[0])),
    }


def main() -> None:
    args = parse_args()
    rng = np.random.default_rng(args.seed)
    d_model = args.head_dim * args.n_heads
    config = {"head_dim": args.head_dim, "scaled": args.scaled, "n_heads": args.n_heads, "d_model": d_model,
              "seq_len": args.seq_len, "causal": args.causal, "numpy": np.__version__}
    run_dir = start_run(args, config)

    params = make_params(rng, d_model)
    x = rng.normal(size=(args.seq_len, d_model))  # unit-variance token vectors
    mask = call_todo(causal_mask, args.seq_len, placeholder=no_mask, smoke=args.smoke) if args.causal else None
    _, weights, scores = attention_layer(x, params, args.n_heads, mask, args.scaled, args.smoke)
    visible = np.broadcast_to(mask if mask is not None else np.ones((args.seq_len,) * 2, bool), weights.shape)

    metrics = {
        "score_std": round(float(scores[visible].std()), 4),
        "normalised_entropy": round(row_entropy_normalised(weights, visible), 4),
        "mean_max_weight": round(float(weights.max(-1).mean()), 4),
        "softmax_jacobian_norm": round(softmax_jacobian_norm(weights), 4),
        **{k: round(v, 8) for k, v in correctness_checks(rng, params, args, args.smoke).items()},
    }
    finish_run(run_dir, metrics, SKIPPED)

    print(f"run record: {run_dir}  (head_dim={args.head_dim}, scaled={args.scaled}, heads={args.n_heads})")
    for key, value in metrics.items():
        print(f"{key:>32}: {value}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))



# --- my implementations of the TODO functions ---------------------------------------------------------------
def causal_mask(n):
    return np.triu(np.ones((n, n), dtype=bool))

def scaled_dot_product_attention(q, k, v, mask, scaled):
    scores = q @ np.swapaxes(k, -1, -2)
    masked = scores if mask is None else np.where(mask, scores, -np.inf)
    e = np.exp(masked - masked.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ v, weights, scores

def split_heads(x, n_heads):
    n, d_model = x.shape
    return x.reshape(n_heads, n, d_model // n_heads)

def merge_heads(x):
    n_heads, n, d_k = x.shape
    return x.reshape(n, n_heads * d_k)


if __name__ == "__main__":
    main()
