"""Lesson 5 lab: a toy decoder-only transformer, and what residuals and normalisation buy.

Read top to bottom. The character data, the embedding, causal attention (PyTorch's fused
kernel; you wrote your own in lesson 4), the training loop, evaluation, gradient and
stream measurements and the run record are done for you. The three functions marked TODO
are the decisions you make.

    python starter.py --smoke                                  # offline, a few seconds on CPU
    python starter.py --norm-placement pre                     # experiment 1: pre | post | none
    python starter.py --norm-placement pre --no-residual       # experiment 2: residuals off

No model backend is needed: the model is trained from scratch on a CPU.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

LESSON = 5

BUNDLED_TEXT = """\
It was a bright cold day in April, and the clocks were striking the hour. The small town
woke slowly: the baker opened his shutters, the river carried mist under the stone bridge,
and a dog barked twice at nothing in particular. On the hill the old observatory caught the
first light. Inside, a student wrote numbers in a notebook, measured them again, and wrote
them down a second time, because a measurement made once is a rumour and a measurement made
twice is the beginning of evidence. She had changed one thing at a time all week: the lens,
then the filter, then the hour of the night. Everything else stayed the same, and she wrote
down what stayed the same as carefully as what changed. Her teacher had told her that the
notebook mattered more than the telescope. At noon she walked down to the town, bought bread
and apples, and sat by the river to read what she had written. The numbers did not agree with
what she had expected. That, she decided, was the most interesting thing that had happened
all week. She wrote a new question at the top of a clean page and went back up the hill.
In the evening the wind turned, clouds came in from the sea, and the stars were hidden. She
used the time to check her arithmetic, found one mistake, fixed it, and ran the numbers again.
The result moved, but not by much, and now she knew how much it could move by accident.
"""


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--norm-placement", default="pre", choices=["pre", "post", "none"], help="experiment 1's variable")
    p.add_argument("--residual", action=argparse.BooleanOptionalAction, default=True, help="experiment 2's variable")
    p.add_argument("--n-layers", type=int, default=4)
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--n-heads", type=int, default=4)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--eval-every", type=int, default=50)
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
SMOKE = False


def call_todo(fn, *args, placeholder):
    """Call a learner function; in --smoke mode fall back to a placeholder if it is a TODO."""
    try:
        return fn(*args)
    except NotImplementedError:
        if not SMOKE:
            raise
        if fn.__name__ not in SKIPPED:
            print(f"SMOKE: TODO {fn.__name__} not implemented yet; using a placeholder")
            SKIPPED.append(fn.__name__)
        return placeholder(*args)


# --- TODO 1-3: the decisions ---------------------------------------------------------------
def layer_norm(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Layer normalisation over the LAST axis (the features of each token), by hand.

    x: (batch, seq, d); gamma, beta: (d,). Use the biased variance (divide by d), as the lesson does.
    Do not call F.layer_norm or nn.LayerNorm; you may compare against them to test yourself.
    Check: layer_norm(torch.tensor([[1., 2., 3., 6.]]), ones(4), zeros(4)) ~ [-1.069, -0.535, 0, 1.604].
    """
    raise NotImplementedError("TODO: normalise each token over its features, then scale and shift")


def feed_forward(x: torch.Tensor, w1: torch.Tensor, b1: torch.Tensor, w2: torch.Tensor, b2: torch.Tensor) -> torch.Tensor:
    """Position-wise FFN: widen with w1 (d -> 4d), GELU, project back with w2 (4d -> d).

    x: (batch, seq, d); w1: (d, 4d); b1: (4d,); w2: (4d, d); b2: (d,).
    Check: the output has x's shape, and changing x[:, 3] changes only output[:, 3].
    """
    raise NotImplementedError("TODO: the two-layer MLP applied to every position")


def block_forward(x: torch.Tensor, block: "Block", norm_placement: str, residual: bool) -> torch.Tensor:
    """One decoder block: an attention sub-layer then an FFN sub-layer.

    Available: block.attn(h) (causal self-attention, shape-preserving),
    layer_norm(h, block.ln1_g, block.ln1_b) / (h, block.ln2_g, block.ln2_b),
    feed_forward(h, block.w1, block.b1, block.w2, block.b2).
    norm_placement: "pre"  -> x + f(Norm(x)) for each sub-layer,
                    "post" -> Norm(x + f(x)) for each sub-layer,
                    "none" -> x + f(x) with no normalisation.
    residual=False drops the "x +" (so "pre" becomes f(Norm(x)), "post" becomes Norm(f(x))).
    """
    raise NotImplementedError("TODO: wire attention, FFN, norms and residuals for the three placements")


# --- placeholders used only in --smoke mode while a TODO is unfinished ---------------------
def identity_norm(x, gamma, beta, eps=1e-5):
    return x


def zero_ffn(x, w1, b1, w2, b2):
    return torch.zeros_like(x)


def identity_block(x, block, norm_placement, residual):  # the model degenerates to a bigram model
    return x


# --- the model (done for you) ----------------------------------------------------------------
class Block(nn.Module):
    def __init__(self, d: int, n_heads: int, n_layers: int):
        super().__init__()
        self.n_heads = n_heads
        self.ln1_g, self.ln1_b = nn.Parameter(torch.ones(d)), nn.Parameter(torch.zeros(d))
        self.ln2_g, self.ln2_b = nn.Parameter(torch.ones(d)), nn.Parameter(torch.zeros(d))
        self.w_qkv = nn.Parameter(torch.randn(d, 3 * d) / math.sqrt(d))
        # output projections scaled down so 2L residual updates do not blow up the stream at init
        out_scale = 1 / math.sqrt(d) / math.sqrt(2 * n_layers)
        self.w_o = nn.Parameter(torch.randn(d, d) * out_scale)
        self.w1, self.b1 = nn.Parameter(torch.randn(d, 4 * d) / math.sqrt(d)), nn.Parameter(torch.zeros(4 * d))
        self.w2, self.b2 = nn.Parameter(torch.randn(4 * d, d) * out_scale * 0.5), nn.Parameter(torch.zeros(d))

    def attn(self, h: torch.Tensor) -> torch.Tensor:
        b, n, d = h.shape
        q, k, v = (h @ self.w_qkv).split(d, dim=-1)
        q, k, v = (t.view(b, n, self.n_heads, d // self.n_heads).transpose(1, 2) for t in (q, k, v))
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return out.transpose(1, 2).reshape(b, n, d) @ self.w_o


class TinyGPT(nn.Module):
    def __init__(self, vocab: int, args):
        super().__init__()
        self.args = args
        self.tok = nn.Embedding(vocab, args.d_model)
        self.pos = nn.Embedding(args.seq_len, args.d_model)  # learned absolute positions; lesson 6 does better
        self.blocks = nn.ModuleList(Block(args.d_model, args.n_heads, args.n_layers) for _ in range(args.n_layers))
        self.lnf_g, self.lnf_b = nn.Parameter(torch.ones(args.d_model)), nn.Parameter(torch.zeros(args.d_model))
        self.head = nn.Linear(args.d_model, vocab, bias=False)
        self.stream_rms: list[float] = []

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        rms = [x.pow(2).mean().sqrt().item()]
        for block in self.blocks:
            x = call_todo(block_forward, x, block, self.args.norm_placement, self.args.residual, placeholder=identity_block)
            rms.append(x.pow(2).mean().sqrt().item())
        self.stream_rms = rms
        if self.args.norm_placement == "pre":  # pre-norm stacks end with one final norm
            x = call_todo(layer_norm, x, self.lnf_g, self.lnf_b, placeholder=identity_norm)
        return self.head(x)


# --- data, training and measurement (done for you) -------------------------------------------
def load_data(seq_len: int):
    chars = sorted(set(BUNDLED_TEXT))
    data = torch.tensor([chars.index(c) for c in BUNDLED_TEXT])
    split = int(0.9 * len(data))
    return chars, data[:split], data[split - seq_len:]  # validation overlaps by one window for context


def batch(data: torch.Tensor, args, gen: torch.Generator):
    starts = torch.randint(0, len(data) - args.seq_len - 1, (args.batch_size,), generator=gen)
    x = torch.stack([data[s:s + args.seq_len] for s in starts])
    y = torch.stack([data[s + 1:s + args.seq_len + 1] for s in starts])
    return x, y


def grad_norm(module: nn.Module) -> float:
    return math.sqrt(sum(float(p.grad.pow(2).sum()) for p in module.parameters() if p.grad is not None))


@torch.no_grad()
def evaluate(model, data, args, gen) -> float:
    losses = []
    for _ in range(4):
        x, y = batch(data, args, gen)
        losses.append(F.cross_entropy(model(x).flatten(0, 1), y.flatten()).item())
    return sum(losses) / len(losses)


def main() -> None:
    global SMOKE
    args = parse_args()
    SMOKE = args.smoke
    if args.smoke:  # tiny and fast; the variables keep their meaning
        args.n_layers, args.d_model, args.seq_len, args.batch_size, args.steps, args.eval_every = 2, 32, 32, 8, 12, 6
    torch.manual_seed(args.seed)
    torch.set_num_threads(min(4, os.cpu_count() or 1))
    gen = torch.Generator().manual_seed(args.seed)

    chars, train_data, val_data = load_data(args.seq_len)
    config = {"norm_placement": args.norm_placement, "residual": args.residual, "n_layers": args.n_layers,
              "d_model": args.d_model, "n_heads": args.n_heads, "seq_len": args.seq_len,
              "batch_size": args.batch_size, "lr": args.lr, "steps": args.steps, "vocab_size": len(chars),
              "torch": torch.__version__, "threads": torch.get_num_threads()}
    run_dir = start_run(args, config)

    model = TinyGPT(len(chars), args)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    curve, first_last, diverged, loss = [], [], False, float("nan")
    t0 = time.perf_counter()
    for step in range(args.steps):
        x, y = batch(train_data, args, gen)
        loss_t = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad()
        loss_t.backward()
        loss = loss_t.item()
        if not math.isfinite(loss):
            diverged = True
            break
        if step < 20:  # gradient flow early in training, where it matters most
            first, last = grad_norm(model.blocks[0]), grad_norm(model.blocks[-1])
            first_last.append(first / last if last > 0 else 0.0)
        opt.step()
        if step % args.eval_every == 0 or step == args.steps - 1:
            curve.append([step, round(loss, 4), round(evaluate(model, val_data, args, gen), 4)])
            print(f"step {step:4d}  train {curve[-1][1]:.4f}  val {curve[-1][2]:.4f}")

    metrics = {
        "initial_loss": curve[0][1] if curve else float("nan"),
        "final_train_loss": round(loss, 4) if math.isfinite(loss) else None,
        "val_loss": curve[-1][2] if curve and not diverged else None,
        "best_val_loss": min(c[2] for c in curve) if curve else None,  # the corpus is tiny: it overfits
        "grad_ratio_first_last": round(sum(first_last) / max(1, len(first_last)), 4),
        "stream_growth": round(model.stream_rms[-1] / model.stream_rms[0], 4) if model.stream_rms else None,
        "diverged": int(diverged),
        "train_seconds": round(time.perf_counter() - t0, 2),
        "n_params": sum(p.numel() for p in model.parameters()),
        "loss_curve": curve,  # [step, train loss, val loss]
        "uniform_loss": round(math.log(len(chars)), 4),
    }
    finish_run(run_dir, metrics, SKIPPED)
    print(f"run record: {run_dir}")
    for key in ("initial_loss", "final_train_loss", "val_loss", "best_val_loss", "grad_ratio_first_last", "stream_growth", "diverged"):
        print(f"{key:>24}: {metrics[key]}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))



# --- my implementations of the TODO functions ---------------------------------------------------------------
def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta

def feed_forward(x, w1, b1, w2, b2):
    return F.relu(x @ w1 + b1) @ w2 + b2

def block_forward(x, block, norm_placement, residual):
    attn = block.attn
    ffn = lambda h: F.gelu(h @ block.w1 + block.b1) @ block.w2 + block.b2
    n1 = lambda h: F.layer_norm(h, h.shape[-1:], block.ln1_g, block.ln1_b)
    n2 = lambda h: F.layer_norm(h, h.shape[-1:], block.ln2_g, block.ln2_b)
    keep = 1.0 if residual else 0.0

    if norm_placement == "pre":
        x = keep * x + attn(n1(x))
        return keep * x + ffn(n1(x))
    if norm_placement == "post":
        x = n1(keep * x + attn(x))
        return n2(keep * x + ffn(x))
    x = keep * x + attn(x)
    return keep * x + ffn(x)


if __name__ == "__main__":
    main()
