"""Lesson 8 lab: a toy Mixture-of-Experts layer: routing, active parameters and load balance.

Read top to bottom. Synthetic tokens, the experts, the measurements and the run record are done
for you. The three functions marked TODO are the decisions you make.

    python starter.py --smoke                      # offline, seconds
    python starter.py --top-k 1                    # experiment: top_k in 1, 2, 4
    python starter.py --top-k 2 --n-experts 16

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

LESSON = 8


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--top-k", type=int, default=2, help="experts per token: the experiment's variable")
    p.add_argument("--n-experts", type=int, default=8)
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--d-ff", type=int, default=128, help="hidden size of each expert")
    p.add_argument("--n-tokens", type=int, default=2048)
    p.add_argument("--router-skew", type=float, default=1.0, help="how clustered the tokens are (0 = uniform)")
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


# --- TODO 1: which experts each token goes to ---------------------------------------------------
def route_top_k(router_logits: np.ndarray, k: int) -> np.ndarray:
    """router_logits: (n_tokens, n_experts). Return int indices (n_tokens, k) of the chosen experts."""
    raise NotImplementedError("TODO: choose the top-k experts per token")


# --- TODO 2: how the chosen experts' outputs are weighted ----------------------------------------
def gate_weights(router_logits: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Return (n_tokens, k) weights for the chosen experts. Decide: softmax over all experts then
    pick, or softmax over only the chosen logits? Should each row sum to 1? Say why in your notes."""
    raise NotImplementedError("TODO: gating weights for the chosen experts")


# --- TODO 3: the parameter count that decides cost -----------------------------------------------
def active_params_per_token(n_experts: int, k: int, d_model: int, d_ff: int) -> dict:
    """Return {"total": ..., "active": ...} for this MoE layer: each expert is two matrices
    (d_model x d_ff and d_ff x d_model, no biases) and the router is d_model x n_experts."""
    raise NotImplementedError("TODO: total versus active parameters")


# --- the layer and the measurements (done for you) -----------------------------------------------
def make_tokens(args, rng) -> np.ndarray:
    centres = rng.normal(size=(4, args.d_model))
    which = rng.integers(0, 4, size=args.n_tokens)
    return args.router_skew * centres[which] + rng.normal(size=(args.n_tokens, args.d_model))


def moe_forward(x, experts, w_router, k, smoke):
    logits = x @ w_router
    try:
        chosen = route_top_k(logits, k)
    except NotImplementedError:
        if not smoke:
            raise
        _placeholder("route_top_k")
        chosen = np.tile(np.arange(k), (x.shape[0], 1))  # placeholder: always the first k experts
    try:
        gates = gate_weights(logits, chosen)
    except NotImplementedError:
        if not smoke:
            raise
        _placeholder("gate_weights")
        gates = np.full(chosen.shape, 1.0 / k)
    out = np.zeros_like(x)
    for slot in range(k):
        for e, (w1, w2) in enumerate(experts):
            rows = chosen[:, slot] == e
            if rows.any():
                out[rows] += gates[rows, slot:slot + 1] * (np.maximum(x[rows] @ w1, 0) @ w2)
    return out, chosen


def main() -> None:
    args = parse_args()
    if args.smoke:
        args.n_tokens = 256
    rng = np.random.default_rng(args.seed)
    config = {"top_k": args.top_k, "n_experts": args.n_experts, "d_model": args.d_model, "d_ff": args.d_ff,
              "n_tokens": args.n_tokens, "router_skew": args.router_skew, "numpy": np.__version__}
    run_dir = start_run(args, config)

    s = 1 / np.sqrt(args.d_model)
    experts = [(rng.normal(0, s, (args.d_model, args.d_ff)), rng.normal(0, s, (args.d_ff, args.d_model)))
               for _ in range(args.n_experts)]
    w_router = rng.normal(0, s, (args.d_model, args.n_experts))
    x = make_tokens(args, rng)

    t0 = time.perf_counter()
    out, chosen = moe_forward(x, experts, w_router, args.top_k, args.smoke)
    elapsed_ms = (time.perf_counter() - t0) * 1000
    load = np.bincount(chosen.ravel(), minlength=args.n_experts) / chosen.size
    try:
        params = active_params_per_token(args.n_experts, args.top_k, args.d_model, args.d_ff)
    except NotImplementedError:
        if not args.smoke:
            raise
        _placeholder("active_params_per_token")
        params = {"total": 0, "active": 0}
    metrics = {
        "total_params": int(params["total"]),
        "active_params": int(params["active"]),
        "active_fraction": round(params["active"] / params["total"], 4) if params["total"] else 0.0,
        "expert_load": [round(float(v), 4) for v in load],
        "load_cv": round(float(load.std() / load.mean()), 4),
        "max_expert_load": round(float(load.max()), 4),
        "forward_ms": round(elapsed_ms, 3),
        "output_norm": round(float(np.linalg.norm(out) / np.sqrt(out.size)), 5),
    }
    finish_run(run_dir, metrics, SKIPPED)

    print(f"run record: {run_dir}  (top_k={args.top_k}, n_experts={args.n_experts})")
    for key, value in metrics.items():
        print(f"{key:>18}: {value}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))


if __name__ == "__main__":
    main()
