"""Lesson 15 lab: DPO on a tiny policy. What does beta trade between winning preferences,
drifting from the reference and keeping other abilities?

The world (all synthetic, built here): prompts "Q: 3 + 4 =" are answered in one of four
styles ("7", "the answer is 7 .", "hmm i think it is 7", "well let me see it is 7 i guess"),
sometimes with a wrong number. A hidden reward r*(answer) scores the style only (polite
best, rambling worst): the labellers judge tone and never check the sum.
Preference pairs are two answers drawn from the reference behaviour, labelled by the
Bradley-Terry model P(a preferred to b) = sigmoid(r*(a) - r*(b)), so labels are noisy the
way human labels are. A second ability, counting ("count: 3 4 5 6 7"), is never in the
preference data: its held-out likelihood tells you what preference tuning did to it.

Steps: (1) SFT a small word-level policy on answers in all styles plus counting: this is
the reference. (2) DPO a copy on the preference pairs with --beta. (3) Measure: win rate of
the policy's samples against the reference's under r*, mean r*, DPO reward margin and
preference accuracy on held-out pairs, KL(policy || reference) on the policy's own samples,
held-out negative log-likelihood on counting, and how often the sums are still right.

    python starter.py --smoke                    # offline, CPU, a few seconds
    for b in 0.03 0.1 0.3 1.0 3.0; do python starter.py --beta $b --seed 0; done

Backends: `none` (default, the tiny torch policy on CPU). `transformers` (optional): the
same world as text on a small local causal LM (LAB_MODEL=/path, HF_HUB_OFFLINE=1): a short SFT
on the styles (--sft-steps) makes the reference, then DPO runs on a copy of it.
The three functions marked TODO are your decisions; everything else is done for you.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

LESSON = 15


# ---------------------------------------------------------------------------------------
# Your decisions
# ---------------------------------------------------------------------------------------
def sequence_logprob(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Return one log-probability per row: log pi(response | prompt), shape (B,).

    logits (B, T, V) are already aligned with targets (B, T): logits[:, t] scores
    targets[:, t]. mask (B, T) is 1.0 on response tokens (end token included), 0.0 on the
    prompt and on padding. Decide how per-token log-probs combine into one number per row.
    """
    raise NotImplementedError("TODO: sequence_logprob - log-probability of each response")


def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
             ref_rejected: torch.Tensor, beta: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return (loss, chosen_rewards, rejected_rewards) for a batch of preference pairs.

    Inputs are sequence log-probs (B,) under the policy and under the frozen reference. The
    loss is a scalar to minimise; the rewards (B,) are DPO's implicit rewards, which the
    starter uses for the reward margin and preference accuracy.
    """
    raise NotImplementedError("TODO: dpo_loss - the DPO objective and its implicit rewards")


def kl_estimate(logp_policy: torch.Tensor, logp_ref: torch.Tensor) -> float:
    """Estimate KL(policy || reference) in nats per response from samples of the policy.

    logp_policy and logp_ref (N,) are the log-probs of N responses that were sampled from
    the policy, under the policy and under the reference. Choose an estimator and know its
    bias and variance.
    """
    raise NotImplementedError("TODO: kl_estimate - KL from the reference, from samples")


# ---------------------------------------------------------------------------------------
# The synthetic world: prompts, answer styles, the hidden reward, counting
# ---------------------------------------------------------------------------------------
STYLES = {"direct": ("{v}", 0.5), "polite": ("the answer is {v} .", 1.0),
          "hedged": ("hmm i think it is {v}", 0.0), "rambling": ("well let me see it is {v} i guess", -0.5)}
EOS = "<eos>"


def prompt_text(a: int, b: int) -> str:
    return f"Q: {a} + {b} ="


def sample_answer(a: int, b: int, rng: random.Random, p_correct: float = 0.9) -> str:
    """The reference behaviour SFT teaches: any style, right 90% of the time."""
    v = a + b if rng.random() < p_correct else rng.choice([d for d in range(10) if d != a + b])
    return STYLES[rng.choice(sorted(STYLES))][0].format(v=v)


def parse_answer(answer: str) -> tuple[str, int | None]:
    """(style, number) of an answer, or ("other", None) if it fits no style."""
    answer = " ".join(answer.split())
    for style, (template, _) in STYLES.items():
        head, _, tail = template.partition("{v}")
        middle = answer[len(head):len(answer) - len(tail)] if len(answer) >= len(head) + len(tail) else ""
        if answer.startswith(head) and answer.endswith(tail) and middle.isdigit():
            return style, int(middle)
    return "other", None


def true_reward(a: int, b: int, answer: str) -> float:
    """r*, what the labellers value: the style's score, -1 for anything that fits no style.
    They judge tone only and never check the sum, as raters who cannot verify an answer do."""
    style, v = parse_answer(answer)
    return -1.0 if v is None else STYLES[style][1]


def is_correct(a: int, b: int, answer: str) -> bool:
    return parse_answer(answer)[1] == a + b


def counting_text(rng: random.Random) -> str:
    start = rng.randrange(0, 5)
    return "count: " + " ".join(str(start + i) for i in range(5))


def make_pairs(prompts: list[tuple[int, int]], per_prompt: int, rng: random.Random) -> list[dict]:
    pairs = []
    for a, b in prompts:
        for _ in range(per_prompt):
            y1, y2 = sample_answer(a, b, rng), sample_answer(a, b, rng)
            r1, r2 = true_reward(a, b, y1), true_reward(a, b, y2)
            if y1 == y2:
                continue
            first = rng.random() < 1 / (1 + np.exp(-(r1 - r2)))  # Bradley-Terry label
            chosen, rejected = (y1, y2) if first else (y2, y1)
            pairs.append({"a": a, "b": b, "chosen": chosen, "rejected": rejected,
                          "agrees_with_r": (r1 > r2) == first if r1 != r2 else None})
    return pairs


# ---------------------------------------------------------------------------------------
# The tiny policy: a word-level neural n-gram model (the last 12 words predict the next)
# ---------------------------------------------------------------------------------------
class TinyLM(torch.nn.Module):
    def __init__(self, vocab: list[str], context: int = 12, d: int = 16, hidden: int = 128):
        super().__init__()
        self.vocab, self.index, self.context = vocab, {w: i for i, w in enumerate(vocab)}, context
        self.emb = torch.nn.Embedding(len(vocab), d)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(context * d, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, len(vocab)))

    def encode(self, text: str) -> list[int]:
        return [self.index[w] for w in text.split()]

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (B, T) -> logits (B, T, V); logits[:, t] predicts token t + 1."""
        padded = torch.nn.functional.pad(ids, (self.context - 1, 0), value=self.index["<pad>"])
        windows = padded.unfold(1, self.context, 1)  # (B, T, context)
        return self.mlp(self.emb(windows).flatten(2))


def build_vocab() -> list[str]:
    words = {"<pad>", EOS, "Q:", "+", "=", "count:"} | {str(d) for d in range(10)}
    for template, _ in STYLES.values():
        words |= set(template.replace("{v}", "").split())
    return sorted(words)


class ToyBackend:
    name, sep = "tiny-word-mlp", ""  # sep: what goes between prompt and response text

    def __init__(self, seed: int):
        torch.manual_seed(seed)
        self.model = TinyLM(build_vocab())
        self.eos = self.model.index[EOS]

    def ids(self, text: str) -> list[int]:
        return self.model.encode(text)

    def decode(self, ids: list[int]) -> str:
        return " ".join(self.model.vocab[i] for i in ids if i != self.eos)


class HFBackend:
    """Optional: a local causal LM as policy and reference; responses are scored as text."""

    def __init__(self, path: str):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.tok = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
        eos = self.tok.eos_token_id if self.tok.eos_token_id is not None else self.tok.sep_token_id
        self.name, self.eos, self.sep = path, eos, " "

    def ids(self, text: str) -> list[int]:
        return self.tok(text, add_special_tokens=False)["input_ids"]

    def decode(self, ids: list[int]) -> str:
        return self.tok.decode(ids, skip_special_tokens=True)


# ---------------------------------------------------------------------------------------
# Batching, scoring and sampling: shared by both backends
# ---------------------------------------------------------------------------------------
def encode(backend, prompts: list[str], responses: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad prompt + response + EOS rows once; return ids (B, T) and the response mask aligned
    with the targets ids[:, 1:] (1.0 on response tokens and the EOS, 0.0 elsewhere)."""
    rows = [(backend.ids(p), backend.ids(backend.sep + r) + [backend.eos]) for p, r in zip(prompts, responses)]
    width = max(len(p) + len(r) for p, r in rows)
    ids = torch.full((len(rows), width), backend.eos, dtype=torch.long)
    mask = torch.zeros((len(rows), width))
    for i, (p, r) in enumerate(rows):
        ids[i, : len(p) + len(r)] = torch.tensor(p + r)
        mask[i, len(p): len(p) + len(r)] = 1.0
    return ids, mask[:, 1:]


def logits_of(model, ids: torch.Tensor) -> torch.Tensor:
    out = model(ids)
    return out.logits if hasattr(out, "logits") else out


def logprobs(model, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Sequence log-probs of the responses in pre-encoded rows, through your TODO."""
    return call_todo(sequence_logprob, placeholder_logprob, logits_of(model, ids)[:, :-1], ids[:, 1:], mask)


def placeholder_logprob(logits, targets, mask):
    # PLACEHOLDER: the mean (not your choice) of every token's log-prob, prompt included
    return torch.log_softmax(logits, -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1).mean(1)


def placeholder_dpo(pc, pr, rc, rr, beta):
    # PLACEHOLDER: a zero loss (the policy never moves) and zero implicit rewards
    return (pc * 0.0).sum(), torch.zeros_like(pc), torch.zeros_like(pr)


@torch.no_grad()
def sample(model, backend, prompts: list[str], gen: torch.Generator, max_new: int = 12) -> list[str]:
    """Sample one response per prompt at temperature 1 (prompts of equal token length are batched)."""
    out = {}
    by_len: dict[int, list[int]] = {}
    for i, p in enumerate(prompts):
        by_len.setdefault(len(backend.ids(p)), []).append(i)
    for idx in by_len.values():
        ids = torch.tensor([backend.ids(prompts[i]) for i in idx])
        start = ids.shape[1]
        for _ in range(max_new):
            nxt = torch.multinomial(torch.softmax(logits_of(model, ids)[:, -1], -1), 1, generator=gen)
            ids = torch.cat([ids, nxt], dim=1)
        for row, i in zip(ids[:, start:].tolist(), idx):
            out[i] = backend.decode(row[: row.index(backend.eos)] if backend.eos in row else row).strip()
    return [out[i] for i in range(len(prompts))]


def sft_reference(backend, seed: int, steps: int, n_rows: int, lr: float) -> None:
    """Train the policy on answers in every style plus counting: it becomes the reference."""
    rng, model = random.Random(seed), backend.model
    rows = [(prompt_text(a, b), sample_answer(a, b, rng)) for a, b in
            ((rng.randrange(5), rng.randrange(5)) for _ in range(n_rows))]
    rows += [("count:", counting_text(rng)[len("count: "):]) for _ in range(n_rows // 3)]
    ids, mask = encode(backend, [p for p, _ in rows], [r for _, r in rows])
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        pick = torch.randint(0, len(rows), (64,))
        logp = torch.log_softmax(logits_of(model, ids[pick])[:, :-1], -1).gather(-1, ids[pick, 1:].unsqueeze(-1)).squeeze(-1)
        loss = -(logp * mask[pick]).sum() / mask[pick].sum()
        opt.zero_grad()
        loss.backward()
        opt.step()


# ---------------------------------------------------------------------------------------
# Plumbing shared by every lab
# ---------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--beta", type=float, default=0.1, help="DPO's beta: the strength of the pull toward the reference")
    p.add_argument("--steps", type=int, default=200, help="DPO optimiser steps")
    p.add_argument("--learning-rate", type=float, default=None, help="default 1e-4 (toy), 5e-6 (transformers)")
    p.add_argument("--batch-size", type=int, default=32, help="preference pairs per step")
    p.add_argument("--pairs-per-prompt", type=int, default=32, help="preference pairs drawn per training prompt")
    p.add_argument("--sft-steps", type=int, default=600, help="SFT steps that make the reference (fewer suit a real model)")
    p.add_argument("--eval-samples", type=int, default=32, help="samples per held-out prompt for win rate and KL")
    return p.parse_args()


def start_run(args, config: dict) -> Path:
    """Create the run directory and write config.json (everything needed to rerun)."""
    run_dir = Path(os.environ.get("TUTOR_RUN_DIR") or Path(args.runs_dir) / (time.strftime("%Y%m%d-%H%M%S-") + f"{args.seed}-{os.getpid()}"))
    run_dir.mkdir(parents=True, exist_ok=True)
    config = {"lesson": LESSON, "seed": args.seed, "smoke": args.smoke, "argv": sys.argv[1:],
              "python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__, **config}
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
    global ARGS
    ARGS = args = parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # tiny tensors: one thread is faster than several fighting
    backend_name = "none" if args.smoke else os.environ.get("LAB_BACKEND", "none")
    steps, sft_steps = (min(args.steps, 20), min(args.sft_steps, 60)) if args.smoke else (args.steps, args.sft_steps)
    if backend_name == "none":
        backend, lr, sft_lr = ToyBackend(args.seed), args.learning_rate or 1e-4, 3e-3
    elif backend_name == "transformers":
        if not os.environ.get("LAB_MODEL"):
            sys.exit("starter.py: LAB_BACKEND=transformers needs LAB_MODEL=/path/to/a/local/causal-lm")
        backend, lr, sft_lr = HFBackend(os.environ["LAB_MODEL"]), args.learning_rate or 5e-6, 5e-5
    else:
        sys.exit(f"starter.py: LAB_BACKEND={backend_name!r} is not supported by this lab (use none or transformers)")
    sft_reference(backend, args.seed, sft_steps, 600 if args.smoke else 3000, sft_lr)
    policy, reference = backend.model, copy.deepcopy(backend.model).eval()
    for p in reference.parameters():
        p.requires_grad_(False)

    rng = random.Random(args.seed)
    all_prompts = [(a, b) for a in range(5) for b in range(5)]
    rng.shuffle(all_prompts)
    train_prompts, eval_prompts = all_prompts[:18], all_prompts[18:]
    train_pairs = make_pairs(train_prompts, args.pairs_per_prompt, rng)
    eval_pairs = make_pairs(eval_prompts, args.pairs_per_prompt, rng)
    counting = [counting_text(random.Random(1000 + i)) for i in range(40)]  # never in the preference data
    run_dir = start_run(args, {"backend": backend_name, "model": backend.name, "beta": args.beta, "steps": steps,
                               "learning_rate": lr, "batch_size": args.batch_size, "sft_steps": sft_steps,
                               "pairs_per_prompt": args.pairs_per_prompt, "n_train_pairs": len(train_pairs),
                               "n_eval_pairs": len(eval_pairs), "eval_samples": args.eval_samples})

    def encode_pairs(pairs):
        prompts = [prompt_text(p["a"], p["b"]) for p in pairs]
        return encode(backend, prompts, [p["chosen"] for p in pairs]), encode(backend, prompts, [p["rejected"] for p in pairs])

    (tc_ids, tc_mask), (tr_ids, tr_mask) = encode_pairs(train_pairs)
    (ec_ids, ec_mask), (er_ids, er_mask) = encode_pairs(eval_pairs)
    count_ids, count_mask = encode(backend, ["count:"] * len(counting), [c[len("count: "):] for c in counting])
    with torch.no_grad():  # the reference never changes: score it once
        ref_c, ref_r = logprobs(reference, tc_ids, tc_mask), logprobs(reference, tr_ids, tr_mask)
        nll_before = float(-logprobs(reference, count_ids, count_mask).mean())

    opt = torch.optim.Adam([p for p in policy.parameters() if p.requires_grad], lr=lr)
    policy.train()
    for step in range(steps):
        pick = torch.randperm(len(train_pairs), generator=torch.Generator().manual_seed(args.seed * 100003 + step))[: args.batch_size]
        pc, pr = logprobs(policy, tc_ids[pick], tc_mask[pick]), logprobs(policy, tr_ids[pick], tr_mask[pick])
        loss, _, _ = call_todo(dpo_loss, placeholder_dpo, pc, pr, ref_c[pick], ref_r[pick], args.beta)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % max(steps // 5, 1) == 0 or step == steps - 1:
            print(f"step {step}: dpo loss {float(loss.detach()):.4f}")
    policy.eval()

    with torch.no_grad():
        pc, pr = logprobs(policy, ec_ids, ec_mask), logprobs(policy, er_ids, er_mask)
        rc, rr = logprobs(reference, ec_ids, ec_mask), logprobs(reference, er_ids, er_mask)
        _, chosen_r, rejected_r = call_todo(dpo_loss, placeholder_dpo, pc, pr, rc, rr, args.beta)
        nll_after = float(-logprobs(policy, count_ids, count_mask).mean())
        gen = torch.Generator().manual_seed(args.seed)
        prompts = [(a, b) for a, b in eval_prompts for _ in range(args.eval_samples)]
        texts = [prompt_text(a, b) for a, b in prompts]
        pol_out, ref_out = sample(policy, backend, texts, gen), sample(reference, backend, texts, gen)
        s_ids, s_mask = encode(backend, texts, pol_out)
        kl = call_todo(kl_estimate, lambda lp, lr_: 0.0, logprobs(policy, s_ids, s_mask), logprobs(reference, s_ids, s_mask))
    r_pol = np.array([true_reward(a, b, y) for (a, b), y in zip(prompts, pol_out)])
    r_ref = np.array([true_reward(a, b, y) for (a, b), y in zip(prompts, ref_out)])
    agree = [p["agrees_with_r"] for p in train_pairs if p["agrees_with_r"] is not None]
    metrics = {
        "win_rate": float(np.mean((r_pol > r_ref) + 0.5 * (r_pol == r_ref))),
        "mean_true_reward": float(r_pol.mean()), "reference_true_reward": float(r_ref.mean()),
        "reward_margin": float((chosen_r - rejected_r).mean()),
        "preference_accuracy": float((chosen_r > rejected_r).float().mean()),
        "chosen_logp_change": float((pc - rc).mean()), "rejected_logp_change": float((pr - rr).mean()),
        "kl_from_reference": float(kl),
        "heldout_nll_before": nll_before, "heldout_nll_after": nll_after, "heldout_nll_change": nll_after - nll_before,
        "correct_rate": float(np.mean([is_correct(a, b, y) for (a, b), y in zip(prompts, pol_out)])),
        "reference_correct_rate": float(np.mean([is_correct(a, b, y) for (a, b), y in zip(prompts, ref_out)])),
        "style_counts": dict(Counter(parse_answer(y)[0] for y in pol_out)),
        "label_agreement_with_true_reward": float(np.mean(agree)) if agree else None,
        "sample_outputs": pol_out[:6],
    }
    finish_run(run_dir, metrics, SKIPPED)
    print(f"beta {args.beta}: win rate {metrics['win_rate']:.3f}  KL {metrics['kl_from_reference']:.3f}  "
          f"held-out NLL change {metrics['heldout_nll_change']:+.3f}  run record: {run_dir}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))


if __name__ == "__main__":
    main()
