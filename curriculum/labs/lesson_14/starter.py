"""Lesson 14 lab: how much LoRA rank does a task need, what does a 4-bit base cost, and is
tuning worth it over prompting?

Controlled part (LAB_BACKEND=none, the default): a frozen "pretrained" linear layer W0 must
be adapted to a target W0 + dW where dW has a known rank (--true-rank) plus a little
full-rank noise. You train LoRA adapters of different ranks, a full fine-tuning baseline
(--method full), and adapters over a base stored in fewer bits (--base-bits).

Real-model part (LAB_BACKEND=transformers, LAB_MODEL=/path/to/small-causal-lm, with
HF_HUB_OFFLINE=1 so nothing is downloaded): lab 13's JSON arithmetic task on a local model.
--method lora wraps the Linear layers named by --targets with your adapters; --method full
trains every weight; --method zero_shot and few_shot change nothing in the weights and put
--shots solved training examples in the prompt instead. All four are scored on the same
held-out prompts, so prompting and tuning are compared on one task.

Run `python starter.py --smoke` first. Then, for example:

    for r in 1 2 4 8 32; do python starter.py --rank $r --seed 0; done
    python starter.py --method full --seed 0
    for b in 16 8 4; do python starter.py --rank 8 --base-bits $b --seed 0; done

The three functions marked TODO are your decisions; everything else is done for you.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np

LESSON = 14


# ---------------------------------------------------------------------------------------
# Your decisions
# ---------------------------------------------------------------------------------------
def init_lora(d_in: int, d_out: int, rank: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return the initial adapter matrices (A, B) with A: (rank, d_in) and B: (d_out, rank).

    Decide how each starts. Ask: what should the adapted model compute at step 0, and will
    both matrices receive a non-zero gradient on the first step?
    """
    raise NotImplementedError("TODO: init_lora - choose the initial A and B")


def lora_scale(alpha: float, rank: int) -> float:
    """Return the factor s in W = W0 + s * B @ A, given the hyperparameter alpha and the rank."""
    raise NotImplementedError("TODO: lora_scale - the scaling in front of B @ A")


def quantize_dequantize(w: np.ndarray, bits: int, block_size: int) -> np.ndarray:
    """Store w the way a quantised base would be stored, and return what the model computes with.

    Blockwise absmax: flatten w, cut it into blocks of block_size values, give each block
    one scale, round each value to one of the signed integer levels `bits` allows, then
    dequantise back to floats with the same shape as w. bits >= 16 means "keep as is".
    """
    raise NotImplementedError("TODO: quantize_dequantize - blockwise absmax round trip")


# ---------------------------------------------------------------------------------------
# The controlled task: done for you
# ---------------------------------------------------------------------------------------
def make_task(d: int, true_rank: int, n_train: int, n_eval: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    w0 = rng.normal(0, 1 / np.sqrt(d), (d, d))
    u, v = rng.normal(0, 1, (d, true_rank)), rng.normal(0, 1, (true_rank, d))
    delta = 0.5 * (u @ v) / np.sqrt(d * true_rank) + 0.01 * rng.normal(0, 1 / np.sqrt(d), (d, d))
    target = w0 + delta

    def sample(n):
        x = rng.normal(0, 1, (n, d))
        return x, x @ target.T + 0.01 * rng.normal(0, 1, (n, d))

    xtr, ytr = sample(n_train)
    xev, yev = sample(n_eval)
    return {"w0": w0, "delta": delta, "xtr": xtr, "ytr": ytr, "xev": xev, "yev": yev}


def mse(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((x @ w.T - y) ** 2))


def adam_step(param, grad, state, lr, t, b1=0.9, b2=0.999, eps=1e-8):
    m, v = state.setdefault(id(param), [np.zeros_like(param), np.zeros_like(param)])
    m[:] = b1 * m + (1 - b1) * grad
    v[:] = b2 * v + (1 - b2) * grad ** 2
    param -= lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)


def stored_bytes(n_values: int, bits: int, block: int) -> float:
    """Bytes to store n_values at `bits` per value, plus one fp32 scale per block when quantised."""
    if bits >= 16:
        return n_values * 2.0
    return n_values * bits / 8 + -(-n_values // block) * 4


def train_controlled(task: dict, method: str, rank: int, alpha: float, bits: int, block: int, steps: int,
                     lr: float, seed: int) -> dict:
    d = task["w0"].shape[0]
    rng = np.random.default_rng(seed + 1)
    base = np.asarray(call_todo(quantize_dequantize, lambda w, b, k: w.copy(), task["w0"], bits, block), dtype=float)
    quant_error = float(np.linalg.norm(base - task["w0"]) / np.linalg.norm(task["w0"]))
    x, y, state = task["xtr"], task["ytr"], {}
    started = time.perf_counter()
    if method == "full":  # every weight trains, starting from the pretrained weights
        w = base.copy()
        for t in range(1, steps + 1):
            adam_step(w, 2 * (x @ w.T - y).T @ x / len(x) / d, state, lr, t)
        final, trainable = w, d * d
    else:
        a, b = call_todo(init_lora, lambda di, do, r, g: (np.zeros((r, di)), np.zeros((do, r))), d, d, rank, rng)
        a, b = np.array(a, dtype=float), np.array(b, dtype=float)
        s = float(call_todo(lora_scale, lambda al, r: 1.0, alpha, rank))
        for t in range(1, steps + 1):
            w = base + s * b @ a
            g = 2 * (x @ w.T - y).T @ x / len(x) / d  # dLoss/dW, shape (d_out, d_in)
            ga, gb = s * b.T @ g, s * g @ a.T
            adam_step(a, ga, state, lr, t)
            adam_step(b, gb, state, lr, t)
        final, trainable = base + s * b @ a, rank * (d + d)
    seconds = time.perf_counter() - started
    # The reference every method is measured against: the least-squares weight on the training
    # set, which is where full fine-tuning converges. gap_closed = 1 means "as good as that".
    oracle = np.linalg.lstsq(x, y, rcond=None)[0].T
    base_eval, oracle_eval = mse(task["w0"], task["xev"], task["yev"]), mse(oracle, task["xev"], task["yev"])
    eval_loss = mse(final, task["xev"], task["yev"])
    learned = final - task["w0"]
    frozen = 0 if method == "full" else d * d
    return {
        "train_loss": mse(final, x, y),
        "eval_loss": eval_loss,
        "base_eval_loss": base_eval,
        "oracle_eval_loss": oracle_eval,
        "gap_closed": (base_eval - eval_loss) / (base_eval - oracle_eval),
        "trainable_params": trainable,
        "trainable_fraction": trainable / (d * d),
        "adapter_bytes": 0 if method == "full" else trainable * 2,  # bf16
        "base_bytes": stored_bytes(d * d, bits, block),
        # lesson 13's rule: 16 bytes per trainable parameter (weights, grads, fp32 master, Adam)
        # plus the frozen base as stored; activations are not included
        "train_state_bytes": trainable * 16 + (stored_bytes(frozen, bits, block) if frozen else 0),
        "quant_error": quant_error,
        "seconds_per_step": seconds / max(steps, 1),
        "update_error": float(np.linalg.norm(learned - task["delta"]) / np.linalg.norm(task["delta"])),
        "update_top_singular_values": [float(v) for v in np.linalg.svd(learned, compute_uv=False)[:8]],
    }


# ---------------------------------------------------------------------------------------
# The real-model part: the same task for prompting and for tuning a local model
# ---------------------------------------------------------------------------------------
TEMPLATES = ["What is {a} plus {b}?", "Add {a} and {b}.", "Compute {a}+{b}.", "Give the sum of {a} and {b}.",
             "{a} and {b} added together make what?", "Tell me {a} plus {b}."]
TRAIN_TEMPLATES = {0, 1, 2, 3}  # templates 4-5 are held out: no paraphrase of an eval prompt is trained on
ANSWER_PATTERN = re.compile(r'\s*\{"answer":\s*(-?\d+)\}')


def json_task(seed: int, n: int) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    """(prompt, response, answer) rows. The prompt ends at 'A:' and the response starts with a
    space, because most tokenizers attach a leading space to the next word's token."""
    rng = random.Random(seed)
    train, held = [], []
    for _ in range(n):
        tid, a, b = rng.randrange(len(TEMPLATES)), rng.randrange(50), rng.randrange(50)
        row = ("Q: " + TEMPLATES[tid].format(a=a, b=b) + "\nA:", " " + json.dumps({"answer": a + b}) + "\n", a + b)
        (train if tid in TRAIN_TEMPLATES else held).append(row)
    return train, held


def train_real(args, method: str, steps: int, lr: float) -> dict:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(args.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    name = os.environ["LAB_MODEL"]
    tok = AutoTokenizer.from_pretrained(name)
    model = AutoModelForCausalLM.from_pretrained(name, dtype=torch.float32)
    for p in model.parameters():
        p.requires_grad_(method == "full")
    rng = np.random.default_rng(args.seed)
    targets = tuple(args.targets.split(","))

    class LoRALinear(torch.nn.Module):
        def __init__(self, base: torch.nn.Linear, s: float):
            super().__init__()
            self.base, self.s = base, s
            a, b = init_lora(base.in_features, base.out_features, args.rank, rng)
            self.a = torch.nn.Parameter(torch.tensor(np.asarray(a), dtype=torch.float32))
            self.b = torch.nn.Parameter(torch.tensor(np.asarray(b), dtype=torch.float32))

        def forward(self, x):
            return self.base(x) + self.s * (x @ self.a.T) @ self.b.T

    linears = [(parent, child_name, child) for _, parent in model.named_modules()
               for child_name, child in parent.named_children() if isinstance(child, torch.nn.Linear)]
    quant_errors = []
    if args.base_bits < 16:  # simulated: weights are rounded the 4-bit way but kept in fp32 memory
        for _, child_name, child in linears:
            if child_name != "lm_head":
                w = child.weight.detach().numpy()
                q = np.asarray(quantize_dequantize(w, args.base_bits, args.block_size), dtype=np.float32)
                quant_errors.append(float(np.linalg.norm(q - w) / np.linalg.norm(w)))
                child.weight.data = torch.from_numpy(q)
    wrapped = 0
    if method == "lora":
        s = float(lora_scale(args.alpha, args.rank))
        for parent, child_name, child in linears:
            if child_name in targets:
                setattr(parent, child_name, LoRALinear(child, s))
                wrapped += 1
        if not wrapped:
            sys.exit(f"no nn.Linear named {targets} in {name}; pass --targets with this model's projection names")
    model.to(device)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    total = sum(p.numel() for p in model.parameters())
    trainable = [p for p in model.parameters() if p.requires_grad]
    train, held = json_task(args.seed, 400)
    held = held[: args.n_eval]
    shots = args.shots if method == "few_shot" else 0
    context = "".join(p + r for p, r, _ in train[:shots])  # the same solved examples for every query

    def ids_of(text):
        return tok(text, add_special_tokens=False)["input_ids"]

    def nll(prompt, response):
        p_ids, r_ids = ids_of(prompt), ids_of(response)
        ids = torch.tensor([p_ids + r_ids], device=device)
        labels = ids.clone()
        labels[0, : len(p_ids)] = -100  # loss on the response tokens only (lesson 13)
        return model(ids, labels=labels).loss

    started = time.perf_counter()
    if trainable and steps:
        opt = torch.optim.AdamW(trainable, lr=lr, weight_decay=0.0)
        model.train()
        for step in range(steps):
            i = (step * args.batch_size) % len(train)
            opt.zero_grad()
            loss = sum(nll(p, r) for p, r, _ in train[i:i + args.batch_size]) / args.batch_size
            loss.backward()
            opt.step()
    train_seconds = time.perf_counter() - started
    model.eval()
    losses, formatted, correct = [], 0, 0
    with torch.no_grad():
        for prompt, response, answer in held:
            losses.append(float(nll(context + prompt, response)))
            x = torch.tensor([ids_of(context + prompt)], device=device)
            out = model.generate(x, max_new_tokens=12, do_sample=False,
                                 pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id)
            m = ANSWER_PATTERN.match(tok.decode(out[0, x.shape[1]:], skip_special_tokens=True))
            formatted += bool(m)
            correct += bool(m) and int(m.group(1)) == answer
    if device == "cuda":
        peak_mb, memory_source = torch.cuda.max_memory_allocated() / 2**20, "cuda_max_memory_allocated"
    else:
        peak_mb, memory_source = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "process_max_rss"
    n_train = sum(p.numel() for p in trainable)
    return {
        "eval_loss": float(np.mean(losses)), "format_rate": formatted / len(held), "exact_match": correct / len(held),
        "prompt_tokens": float(np.mean([len(ids_of(context + p)) for p, _, _ in held])),
        "trainable_params": n_train, "trainable_fraction": n_train / total,
        "adapter_bytes": n_train * 2 if method == "lora" else 0, "wrapped_layers": wrapped,
        "quant_error": float(np.mean(quant_errors)) if quant_errors else 0.0,
        "train_seconds": train_seconds, "seconds_per_step": train_seconds / steps if trainable and steps else 0.0,
        "peak_memory_mb": peak_mb, "memory_source": memory_source, "n_eval": len(held), "device": device,
    }


# ---------------------------------------------------------------------------------------
# Plumbing shared by every lab
# ---------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--method", choices=["lora", "full", "zero_shot", "few_shot"], default="lora",
                   help="zero_shot and few_shot need the transformers backend")
    p.add_argument("--rank", type=int, default=4, help="LoRA rank (method lora)")
    p.add_argument("--alpha", type=float, default=8.0)
    p.add_argument("--base-bits", type=int, default=16, choices=[2, 3, 4, 8, 16])
    p.add_argument("--block-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=None, help="default 400 (controlled), 100 (real model)")
    p.add_argument("--learning-rate", type=float, default=None,
                   help="default 0.02 (controlled); real model: 2e-4 lora, 2e-5 full")
    p.add_argument("--true-rank", type=int, default=4, help="rank of the task's true update")
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--n-train", type=int, default=512, help="controlled part: training examples")
    p.add_argument("--targets", default="q_proj,v_proj", help="real model: names of the Linear layers to adapt")
    p.add_argument("--shots", type=int, default=5, help="real model, method few_shot: examples in the prompt")
    p.add_argument("--batch-size", type=int, default=8, help="real model: examples per step")
    p.add_argument("--n-eval", type=int, default=40, help="real model: held-out prompts scored")
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


def usage_error(message: str) -> None:
    print(f"starter.py: {message}", file=sys.stderr)
    sys.exit(2)


def main() -> None:
    global ARGS
    ARGS = args = parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    backend = "none" if args.smoke else os.environ.get("LAB_BACKEND", "none")
    method = args.method
    if args.smoke and method in ("zero_shot", "few_shot"):
        print(f"SMOKE: --method {method} needs a real model; running the controlled lora method instead")
        method = "lora"
    if method == "lora" and args.rank < 1:
        usage_error("--rank must be >= 1; the full fine-tuning baseline is --method full")
    if method == "full" and args.base_bits < 16:
        usage_error("--base-bits applies to a frozen base under adapters; full fine-tuning updates the weights themselves")
    config = {"backend": backend, "method": method, "rank": args.rank if method == "lora" else 0,
              "alpha": args.alpha, "base_bits": args.base_bits, "block_size": args.block_size,
              "shots": args.shots if method == "few_shot" else 0}
    if backend == "transformers":
        if not os.environ.get("LAB_MODEL"):
            usage_error("LAB_BACKEND=transformers needs LAB_MODEL=/path/to/a/local/causal-lm")
        steps = 0 if method in ("zero_shot", "few_shot") else (args.steps or 100)
        lr = args.learning_rate or (2e-5 if method == "full" else 2e-4)
        config.update(model=os.environ["LAB_MODEL"], targets=args.targets, steps=steps, learning_rate=lr,
                      batch_size=args.batch_size, n_eval=args.n_eval)
        run_dir = start_run(args, config)
        metrics = train_real(args, method, steps, lr)
    elif backend == "none":
        if method in ("zero_shot", "few_shot"):
            usage_error(f"--method {method} needs a real model: set LAB_BACKEND=transformers and LAB_MODEL")
        steps = min(args.steps or 400, 40) if args.smoke else (args.steps or 400)
        n_train = 64 if args.smoke else args.n_train
        lr = args.learning_rate or 0.02
        config.update(model="controlled-linear", steps=steps, learning_rate=lr, true_rank=args.true_rank,
                      d_model=args.d_model, n_train=n_train)
        run_dir = start_run(args, config)
        task = make_task(args.d_model, args.true_rank, n_train, 64 if args.smoke else 512, args.seed)
        metrics = train_controlled(task, method, args.rank, args.alpha, args.base_bits, args.block_size, steps, lr,
                                   args.seed)
    else:
        usage_error(f"LAB_BACKEND={backend!r} is not supported by this lab (use none or transformers)")
    finish_run(run_dir, metrics, SKIPPED)
    print(f"{method} rank {config['rank']} bits {args.base_bits}: eval_loss {metrics['eval_loss']:.4g}  "
          f"trainable {metrics['trainable_params']}  run record: {run_dir}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))


if __name__ == "__main__":
    main()
