"""Lesson 6 lab: sinusoidal encodings, RoPE, and what happens past the training length.

Read top to bottom. Random content vectors, the attention used for the order test, every
measurement and the run record are done for you. The three functions marked TODO are the
decisions you make.

    python starter.py --smoke                                   # offline, seconds
    python starter.py --scheme rope                             # experiment 1: none | sinusoidal | rope
    python starter.py --scheme rope --rope-scale 4              # experiment 2: position interpolation

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

LESSON = 6


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--scheme", default="rope", choices=["none", "sinusoidal", "rope"], help="experiment 1's variable")
    p.add_argument("--rope-scale", type=float, default=1.0, help="position interpolation factor; experiment 2's variable")
    p.add_argument("--rope-base", type=float, default=10000.0)
    p.add_argument("--d-head", type=int, default=64)
    p.add_argument("--seq-len", type=int, default=16, help="tokens in the order-sensitivity test")
    p.add_argument("--train-len", type=int, default=512, help="the context length the model was 'trained' on")
    p.add_argument("--eval-len", type=int, default=2048, help="the context length we now want to run at")
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
def sinusoidal_encoding(n_positions: int, d: int) -> np.ndarray:
    """The (n_positions, d) sinusoidal table: column 2i = sin(pos * theta_i), column 2i+1 = cos(pos * theta_i),
    with theta_i = 10000 ** (-2i / d) and pos = 0, 1, ..., n_positions - 1.

    Check (d = 4): row 1 ~ [0.841, 0.540, 0.010, 1.000]; row 0 = [0, 1, 0, 1].
    """
    raise NotImplementedError("TODO: the sinusoidal position table")


def rope_angles(positions: np.ndarray, d: int, base: float, scale: float) -> np.ndarray:
    """Rotation angles of shape (len(positions), d // 2): angle[m, i] = (positions[m] / scale) * theta_i,
    with theta_i = base ** (-2i / d).

    scale > 1 is position interpolation: position p is rotated as if it were p / scale.
    Check: rope_angles(np.array([0, 1]), 4, 10000.0, 1.0) ~ [[0, 0], [1.0, 0.01]].
    """
    raise NotImplementedError("TODO: the RoPE angle for every position and every pair")


def rope_rotate(x: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Rotate neighbouring pairs (x[..., 2i], x[..., 2i+1]) of x by angles[..., i].

    x: (n, d); angles: (n, d // 2). Returns an array of x's shape. Lengths of the pairs are unchanged.
    Check: rope_rotate(np.array([[1.0, 0.0]]), np.array([[np.pi / 2]])) ~ [[0.0, 1.0]].
    """
    raise NotImplementedError("TODO: rotate each coordinate pair by its angle")


# --- placeholders used only in --smoke mode while a TODO is unfinished ---------------------
def zero_table(n_positions, d):  # no position signal at all
    return np.zeros((n_positions, d))


def zero_angles(positions, d, base, scale):
    return np.zeros((len(positions), d // 2))


def no_rotation(x, angles):
    return x


# --- applying a scheme (done for you) --------------------------------------------------------
class Scheme:
    """Turns content vectors at given positions into (queries, keys) for one scheme."""

    def __init__(self, args, smoke: bool):
        self.args, self.smoke = args, smoke
        max_pos = max(args.eval_len, args.train_len, args.seq_len) + 64
        self.table = (call_todo(sinusoidal_encoding, max_pos, args.d_head, placeholder=zero_table, smoke=smoke)
                      if args.scheme == "sinusoidal" else None)

    def angles(self, positions: np.ndarray) -> np.ndarray:
        a = self.args
        return call_todo(rope_angles, positions, a.d_head, a.rope_base, a.rope_scale, placeholder=zero_angles, smoke=self.smoke)

    def qk(self, q_content: np.ndarray, k_content: np.ndarray, q_pos: np.ndarray, k_pos: np.ndarray):
        if self.args.scheme == "sinusoidal":
            return q_content + self.table[q_pos], k_content + self.table[k_pos]
        if self.args.scheme == "rope":
            rot = lambda x, p: call_todo(rope_rotate, x, self.angles(p), placeholder=no_rotation, smoke=self.smoke)  # noqa: E731
            return rot(q_content, q_pos), rot(k_content, k_pos)
        return q_content, k_content


def attention_output(scheme: Scheme, x: np.ndarray, wq: np.ndarray, wk: np.ndarray) -> np.ndarray:
    """Unmasked self-attention with q = x wq, k = x wk, v = x (positions 0..n-1 applied to q and k only)."""
    pos = np.arange(len(x))
    q, k = scheme.qk(x @ wq, x @ wk, pos, pos)
    s = q @ k.T / np.sqrt(x.shape[1])
    w = np.exp(s - s.max(1, keepdims=True))
    w /= w.sum(1, keepdims=True)
    return w @ x


# --- measurements (done for you) -------------------------------------------------------------
def permutation_sensitivity(scheme, rng, args) -> float:
    """How much the output changes beyond a plain reordering when tokens are shuffled (0 = order-blind)."""
    x = rng.normal(size=(args.seq_len, args.d_head))
    wq, wk = (rng.normal(0, 1 / np.sqrt(args.d_head), size=(args.d_head, args.d_head)) for _ in range(2))
    perm = rng.permutation(args.seq_len)
    out, out_perm = attention_output(scheme, x, wq, wk), attention_output(scheme, x[perm], wq, wk)
    return float(np.abs(out_perm - out[perm]).mean() / np.abs(out).mean())


def relative_invariance_error(scheme, rng, args) -> float:
    """Same content pair, same offset, different absolute positions: how much does the score move?"""
    errors = []
    for offset in (0, 1, 5, 50):
        q, k = rng.normal(size=(1, args.d_head)), rng.normal(size=(1, args.d_head))
        scores = []
        for start in (0, 7, 100, 333):
            qq, kk = scheme.qk(q, k, np.array([start + offset]), np.array([start]))
            scores.append(float(qq[0] @ kk[0]))
        errors.append(max(scores) - min(scores))
    return float(max(errors))


def score_by_distance(scheme, rng, args, distances) -> list[float]:
    """Mean score of a vector with itself at growing offsets, divided by the score at offset 0."""
    x = rng.normal(size=(64, args.d_head))
    raw = []
    for dist in distances:
        q, k = scheme.qk(x, x, np.full(64, dist), np.zeros(64, dtype=int))
        raw.append(float(np.mean(np.sum(q * k, axis=1))))
    return [round(r / raw[0], 4) for r in raw]


def unseen_angle_fraction(scheme, args) -> float:
    """Share of pairs whose largest angle at eval_len lies outside the range [0, train_len * theta_i)
    that training covered, counting only pairs that never completed a full turn during training
    (the others saw every angle)."""
    if args.scheme == "none":
        return 0.0
    if args.scheme == "sinusoidal":  # same frequencies, no interpolation
        theta = 10000.0 ** (-2 * np.arange(args.d_head // 2) / args.d_head)
        train_max, eval_max = args.train_len * theta, (args.eval_len - 1) * theta
    else:
        eval_max = np.abs(scheme.angles(np.array([args.eval_len - 1]))[0])
        # training saw the un-interpolated range: the model was trained at scale 1
        train_max = args.train_len * (args.rope_base ** (-2 * np.arange(args.d_head // 2) / args.d_head))
    unseen = (train_max < 2 * np.pi) & (eval_max >= train_max)
    return float(unseen.mean())


def main() -> None:
    args = parse_args()
    rng = np.random.default_rng(args.seed)
    config = {"scheme": args.scheme, "rope_scale": args.rope_scale, "rope_base": args.rope_base,
              "d_head": args.d_head, "seq_len": args.seq_len, "train_len": args.train_len,
              "eval_len": args.eval_len, "pairing": "neighbouring (2i, 2i+1)", "numpy": np.__version__}
    run_dir = start_run(args, config)

    scheme = Scheme(args, args.smoke)
    distances = [0, 1, 2, 4, 16, 64, 256, 1024]
    by_distance = score_by_distance(scheme, rng, args, distances)
    metrics = {
        "permutation_sensitivity": round(permutation_sensitivity(scheme, rng, args), 6),
        "relative_invariance_error": float(f"{relative_invariance_error(scheme, rng, args):.3e}"),
        "score_by_distance": by_distance,
        "distances": distances,
        "neighbour_score_gap": round(by_distance[0] - by_distance[1], 6),
        "unseen_angle_fraction": round(unseen_angle_fraction(scheme, args), 4),
    }
    finish_run(run_dir, metrics, SKIPPED)

    print(f"run record: {run_dir}  (scheme={args.scheme}, rope_scale={args.rope_scale})")
    for key, value in metrics.items():
        print(f"{key:>26}: {value}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))



# --- my implementations of the TODO functions ---------------------------------------------------------------
def sinusoidal_encoding(n_positions, d):
    pos = np.arange(n_positions)[:, None]
    theta = 10000.0 ** (-2 * np.arange(d // 2) / d)
    table = np.zeros((n_positions, d))
    table[:, 0::2] = np.cos(pos * theta)
    table[:, 1::2] = np.sin(pos * theta)
    return table

def rope_angles(positions, d, base, scale):
    theta = base ** (-2 * np.arange(d // 2) / d)
    return (np.asarray(positions)[:, None] * scale) * theta

def rope_rotate(x, angles):
    out = np.empty_like(x, dtype=float)
    c, s = np.cos(angles), np.sin(angles)
    out[..., 0::2] = x[..., 0::2] * c + x[..., 1::2] * s
    out[..., 1::2] = -x[..., 0::2] * s + x[..., 1::2] * c
    return out


if __name__ == "__main__":
    main()
