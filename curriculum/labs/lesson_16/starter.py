"""Lesson 16 lab: GRPO on a toy reasoning task, on a CPU.

Question: how do the group size and the KL coefficient change the reward curve, the final
accuracy, the length of the "reasoning" and the tokens spent to get there?

The task: a problem is a list of 1 to 5 digits and the answer is their sum mod 10. The policy
writes a sequence of tokens. Token THINK is one reasoning step: it adds the next digit to a
running total (one step of computation per token, as in a chain of thought). Tokens 0-9 answer
and end the episode. A policy that answers before it has added every digit can only guess, so
reasoning longer pays, up to the point where nothing is left to add. The reward is verifiable:
the answer is checked exactly, no judge needed.

Read top to bottom. Problems, the policy, sampling, the GRPO training loop, evaluation and the
run record are done for you. The four functions marked TODO are your decisions. Run
`python starter.py --smoke` first (seconds), then the experiments, e.g.

    for g in 2 4 8 16; do python starter.py --group-size $g --seed 0; done
    for b in 0 0.05 0.5; do python starter.py --kl-coef $b --seed 0; done

The inference-time counterpart (needs a served model; nothing is trained):

    LAB_BACKEND=vllm LAB_BASE_URL=http://127.0.0.1:8000/v1 LAB_MODEL=<served name> \\
        python starter.py --mode probe --enable-thinking true

asks the model the same kind of sums with Nemotron's reasoning switched on or off and records
accuracy, completion tokens and latency.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

LESSON = 16
THINK = 10          # action ids 0-9 answer that digit; action 10 is a reasoning token
N_ACTIONS = 11
EVAL_SEED = 12345   # the evaluation problems are the same for every run, whatever --seed is
PROBE_SAMPLING = {"temperature": 0.6, "top_p": 0.95, "max_tokens": 4096}   # probe mode; check the model card


# ---------------------------------------------------------------------------------------
# Problems: digits whose sum mod 10 is the answer. Harder problems have more digits.
# ---------------------------------------------------------------------------------------
def make_problems(n: int, max_terms: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randrange(10) for _ in range(rng.randint(1, max_terms))] for _ in range(n)]


def target_of(problem: list[int]) -> int:
    return sum(problem) % 10


# ---------------------------------------------------------------------------------------
# Your decisions
# ---------------------------------------------------------------------------------------
def verifiable_reward(answer: int | None, target: int, length: int, truncated: bool) -> float:
    """Return the scalar reward of one sampled episode.

    `answer` is the digit the policy wrote (None when it ran out of tokens: `truncated`),
    `target` the correct digit and `length` the number of tokens it produced, answer token
    included. Decide what earns reward: exact correctness only, a penalty for truncation,
    a cost per token? Whatever you choose is what the policy will learn to maximise, so
    write down in notes.md what a policy could do to game it.
    """
    raise NotImplementedError("TODO: verifiable_reward - decide what one episode is worth")


def group_advantages(rewards: np.ndarray) -> np.ndarray:
    """Turn the rewards of the G episodes sampled for ONE prompt into G advantages.

    This is the group-relative baseline that replaces PPO's critic. Decide the centring,
    whether to divide by a spread (and which std: population or sample), and what happens
    when every episode in the group got the same reward.
    """
    raise NotImplementedError("TODO: group_advantages - the group-relative advantage of each episode")


def clipped_surrogate(logp_new: torch.Tensor, logp_old: torch.Tensor, advantages: torch.Tensor,
                      clip_eps: float) -> torch.Tensor:
    """Per-token policy loss to MINIMISE (same shape as the inputs).

    logp_new: log-probability of each sampled token under the policy being trained (has grad);
    logp_old: the same under the policy that sampled it (no grad); advantages: the advantage
    of the episode each token belongs to. Use the probability ratio and the PPO-style clip at
    1 +/- clip_eps, and mind the sign: optimisers minimise.
    """
    raise NotImplementedError("TODO: clipped_surrogate - the clipped per-token policy loss")


def kl_penalty(logp_new: torch.Tensor, logp_ref: torch.Tensor) -> torch.Tensor:
    """Per-token estimate of KL(policy || reference) at the sampled tokens (same shape).

    Only the sampled token's log-probabilities are available, so this is an estimator, not
    the exact KL. Choose one (the plain log-ratio, or a non-negative one) and say why; the
    run also logs the exact KL for comparison.
    """
    raise NotImplementedError("TODO: kl_penalty - estimate the KL to the reference policy per token")


# ---------------------------------------------------------------------------------------
# The policy: logits = R[digits remaining] + S[running total] + b. Small enough to read.
# ---------------------------------------------------------------------------------------
class Policy(torch.nn.Module):
    def __init__(self, max_terms: int, init_think_prob: float):
        super().__init__()
        self.remaining = torch.nn.Embedding(max_terms, N_ACTIONS)
        self.running = torch.nn.Embedding(10, N_ACTIONS)
        torch.nn.init.zeros_(self.remaining.weight)
        torch.nn.init.zeros_(self.running.weight)
        bias = torch.zeros(N_ACTIONS)
        # Start as a policy that mostly answers at once: P(THINK) = init_think_prob everywhere.
        bias[THINK] = math.log(init_think_prob / (1 - init_think_prob) * (N_ACTIONS - 1))
        self.bias = torch.nn.Parameter(bias)

    def forward(self, remaining: torch.Tensor, running: torch.Tensor) -> torch.Tensor:
        return torch.log_softmax(self.remaining(remaining) + self.running(running) + self.bias, dim=-1)


def sample_episodes(policy: Policy, problems: list[list[int]], max_len: int, gen: torch.Generator,
                    greedy: bool = False, think: bool = True) -> dict:
    """Run every problem as one episode, all in parallel. Returns per-token and per-episode arrays.

    think=False forbids the THINK token: reasoning switched off, the policy must answer at once.
    """
    b = len(problems)
    width = max(len(p) for p in problems)
    digits = torch.tensor([p + [0] * (width - len(p)) for p in problems])
    n_terms = torch.tensor([len(p) for p in problems])
    prefix = torch.cumsum(digits, dim=1) % 10                 # running total after k+1 digits
    thinks, length = torch.zeros(b, dtype=torch.long), torch.zeros(b, dtype=torch.long)
    answer, done = torch.full((b,), -1), torch.zeros(b, dtype=torch.bool)
    tokens = {"episode": [], "remaining": [], "running": [], "action": [], "logp": []}
    with torch.no_grad():
        for _ in range(max_len):
            idx = torch.nonzero(~done).flatten()
            if len(idx) == 0:
                break
            added = torch.minimum(thinks[idx], n_terms[idx] - 1)
            remaining = n_terms[idx] - 1 - added
            running = prefix[idx, added]
            logp = policy(remaining, running)
            if not think:
                logp = torch.log_softmax(logp.masked_fill(torch.arange(N_ACTIONS) == THINK, -math.inf), dim=-1)
            action = logp.argmax(-1) if greedy else torch.multinomial(logp.exp(), 1, generator=gen).flatten()
            for key, value in zip(tokens, (idx, remaining, running, action, logp.gather(1, action[:, None]).flatten())):
                tokens[key].append(value)
            length[idx] += 1
            answered = action != THINK
            answer[idx[answered]] = action[answered]
            done[idx[answered]] = True
            thinks[idx[~answered]] += 1
    tokens = {k: torch.cat(v) for k, v in tokens.items()}
    return {"tokens": tokens, "answer": answer, "length": length, "truncated": ~done,
            "target": torch.tensor([target_of(p) for p in problems]), "n_terms": n_terms}


# ---------------------------------------------------------------------------------------
# Plumbing shared by every lab: arguments, run record, TODO skipping in smoke mode.
# ---------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action=argparse.BooleanOptionalAction, default=False,
                   help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--mode", choices=["train", "probe"], default="train",
                   help="train: GRPO on the toy task; probe: reasoning on/off against a served model")
    p.add_argument("--group-size", type=int, default=4, help="G: episodes sampled per prompt (experiment 1)")
    p.add_argument("--kl-coef", type=float, default=0.05, help="beta: weight of the KL penalty (experiment 2)")
    p.add_argument("--prompts-per-step", type=int, default=16, help="distinct problems per update")
    p.add_argument("--steps", type=int, default=150, help="GRPO updates")
    p.add_argument("--learning-rate", type=float, default=0.05, help="Adam learning rate")
    p.add_argument("--clip-eps", type=float, default=0.2, help="ratio clip: 1 +/- clip_eps")
    p.add_argument("--inner-epochs", type=int, default=2, help="gradient steps on each sampled batch")
    p.add_argument("--loss-agg", choices=["seq-mean-token-mean", "token-mean"], default="seq-mean-token-mean",
                   help="how per-token losses are averaged (see the lesson on length bias)")
    p.add_argument("--max-len", type=int, default=8, help="token budget per episode (reasoning + answer)")
    p.add_argument("--max-terms", type=int, default=5, help="problems have 1..max_terms digits")
    p.add_argument("--init-think-prob", type=float, default=0.3, help="P(THINK) of the initial policy")
    p.add_argument("--eval-size", type=int, default=500)
    p.add_argument("--enable-thinking", choices=["true", "false"], default="true", help="probe mode only")
    p.add_argument("--probe-size", type=int, default=40, help="probe mode only: questions asked")
    return p.parse_args()


def start_run(args, config: dict) -> Path:
    """Create the run directory and write config.json (everything needed to rerun)."""
    run_dir = Path(os.environ.get("TUTOR_RUN_DIR") or Path(args.runs_dir) / (time.strftime("%Y%m%d-%H%M%S-") + f"{args.seed}-{os.getpid()}"))
    run_dir.mkdir(parents=True, exist_ok=True)
    config = {"lesson": LESSON, "seed": args.seed, "smoke": args.smoke, "mode": args.mode, "argv": sys.argv[1:],
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


# Placeholders: deliberately naive (no baseline, no clip, no KL), only so --smoke can run.
def placeholder_reward(answer, target, length, truncated) -> float:
    return float(answer == target)


def placeholder_advantages(rewards: np.ndarray) -> np.ndarray:
    return np.asarray(rewards, dtype=float)


def placeholder_surrogate(logp_new, logp_old, advantages, clip_eps):
    return -(logp_new * advantages)


def placeholder_kl(logp_new, logp_ref):
    return torch.zeros_like(logp_new)


# ---------------------------------------------------------------------------------------
# One GRPO update, evaluation, and the training loop
# ---------------------------------------------------------------------------------------
def aggregate(per_token: torch.Tensor, episode: torch.Tensor, lengths: torch.Tensor, mode: str) -> torch.Tensor:
    if mode == "token-mean":
        return per_token.mean()
    per_episode = torch.zeros(len(lengths)).index_add(0, episode, per_token) / lengths.clamp(min=1)
    return per_episode.mean()


def grpo_step(policy, reference, opt, problems, args, gen) -> dict:
    g = args.group_size
    batch = [p for p in problems for _ in range(g)]            # each prompt G times, groups contiguous
    ep = sample_episodes(policy, batch, args.max_len, gen)
    tok = ep["tokens"]
    answers = [None if t else int(a) for a, t in zip(ep["answer"], ep["truncated"])]
    rewards = np.array([call_todo(verifiable_reward, placeholder_reward, a, int(y), int(n), bool(t))
                        for a, y, n, t in zip(answers, ep["target"], ep["length"], ep["truncated"])], dtype=float)
    adv = np.zeros(len(batch))
    zero_spread = 0
    for start in range(0, len(batch), g):
        group = rewards[start:start + g]
        zero_spread += bool(np.all(group == group[0]))
        adv[start:start + g] = call_todo(group_advantages, placeholder_advantages, group)
    adv_tok = torch.tensor(adv, dtype=torch.float32)[tok["episode"]]
    with torch.no_grad():
        logp_ref = reference(tok["remaining"], tok["running"]).gather(1, tok["action"][:, None]).flatten()
    clipped = 0.0
    for _ in range(args.inner_epochs):
        logp_new = policy(tok["remaining"], tok["running"]).gather(1, tok["action"][:, None]).flatten()
        loss_tok = call_todo(clipped_surrogate, placeholder_surrogate, logp_new, tok["logp"], adv_tok, args.clip_eps)
        if args.kl_coef > 0:
            loss_tok = loss_tok + args.kl_coef * call_todo(kl_penalty, placeholder_kl, logp_new, logp_ref)
        loss = aggregate(loss_tok, tok["episode"], ep["length"], args.loss_agg)
        opt.zero_grad()
        loss.backward()
        opt.step()
        ratio = (logp_new.detach() - tok["logp"]).exp()
        clipped = float(((ratio - 1).abs() > args.clip_eps).float().mean())
    correct = [a == int(y) for a, y in zip(answers, ep["target"])]
    return {"reward": float(rewards.mean()), "accuracy": float(np.mean(correct)),
            "length": float(ep["length"].float().mean()), "zero_spread": zero_spread / len(problems),
            "clip_fraction": clipped, "tokens": int(ep["length"].sum())}


def exact_kl(policy, reference, tok) -> float:
    """Exact KL(policy || reference), averaged over the states the policy visits."""
    with torch.no_grad():
        lp, lr = policy(tok["remaining"], tok["running"]), reference(tok["remaining"], tok["running"])
        return float((lp.exp() * (lp - lr)).sum(-1).mean())


def evaluate(policy, reference, problems, max_len, gen) -> dict:
    greedy = sample_episodes(policy, problems, max_len, gen, greedy=True)
    sampled = sample_episodes(policy, problems, max_len, gen)
    off = sample_episodes(policy, problems, max_len, gen, greedy=True, think=False)
    right = (greedy["answer"] == greedy["target"]) & ~greedy["truncated"]
    by_terms = {str(k): float(right[greedy["n_terms"] == k].float().mean())
                for k in sorted(set(greedy["n_terms"].tolist()))}
    return {
        "eval_accuracy": float(right.float().mean()),
        "eval_accuracy_sampled": float(((sampled["answer"] == sampled["target"]) & ~sampled["truncated"]).float().mean()),
        "eval_mean_length": float(greedy["length"].float().mean()),
        "eval_truncation_rate": float(greedy["truncated"].float().mean()),
        "accuracy_by_terms": by_terms,
        "thinking_off_accuracy": float((off["answer"] == off["target"]).float().mean()),
        "thinking_off_mean_length": float(off["length"].float().mean()),
        "kl_to_ref": exact_kl(policy, reference, sampled["tokens"]),
    }


def train(args, run_dir: Path) -> dict:
    gen = torch.Generator().manual_seed(args.seed)
    policy = Policy(args.max_terms, args.init_think_prob)
    reference = Policy(args.max_terms, args.init_think_prob)
    reference.load_state_dict(policy.state_dict())             # frozen copy of the starting policy
    opt = torch.optim.Adam(policy.parameters(), lr=args.learning_rate)
    eval_problems = make_problems(args.eval_size, args.max_terms, EVAL_SEED)
    before = evaluate(policy, reference, eval_problems, args.max_len, gen)
    history = {k: [] for k in ("reward", "accuracy", "length", "zero_spread", "clip_fraction")}
    tokens_total, threshold_step, threshold_tokens = 0, None, None
    rng = random.Random(args.seed)
    started = time.perf_counter()
    for step in range(args.steps):
        problems = make_problems(args.prompts_per_step, args.max_terms, rng.randrange(2**31))
        stats = grpo_step(policy, reference, opt, problems, args, gen)
        tokens_total += stats["tokens"]
        for key in history:
            history[key].append(round(stats[key], 4))
        recent = history["accuracy"][-10:]
        if threshold_step is None and len(recent) == 10 and np.mean(recent) >= 0.8:
            threshold_step, threshold_tokens = step + 1, tokens_total
        if step % max(1, args.steps // 10) == 0 or step == args.steps - 1:
            print(f"step {step:4d}: reward {stats['reward']:.3f}  accuracy {stats['accuracy']:.2f}  "
                  f"length {stats['length']:.2f}  zero-spread groups {stats['zero_spread']:.2f}")
    after = evaluate(policy, reference, eval_problems, args.max_len, gen)
    return {
        **after,
        "baseline_eval_accuracy": before["eval_accuracy"], "baseline_eval_accuracy_sampled": before["eval_accuracy_sampled"],
        "baseline_eval_mean_length": before["eval_mean_length"],
        "final_train_reward": float(np.mean(history["reward"][-10:])),
        "zero_spread_fraction": float(np.mean(history["zero_spread"])),
        "tokens_sampled": tokens_total,
        "steps_to_accuracy_0_8": threshold_step, "tokens_to_accuracy_0_8": threshold_tokens,
        "train_seconds": round(time.perf_counter() - started, 3),
        "history": history,
    }


# ---------------------------------------------------------------------------------------
# Probe mode: the same kind of question to a served model, reasoning on or off
# ---------------------------------------------------------------------------------------
def probe(args) -> dict:
    from openai import OpenAI  # only needed here

    base_url = os.environ.get("LAB_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or os.environ.get("TUTOR_BASE_URL")
    model = os.environ.get("LAB_MODEL")
    if not base_url or not model:
        sys.exit("probe mode needs LAB_BASE_URL (or OPENAI_BASE_URL / TUTOR_BASE_URL) and LAB_MODEL; "
                 "see the README, or run without --mode probe")
    key = os.environ.get("LAB_API_KEY") or os.environ.get("OPENAI_API_KEY") or os.environ.get("TUTOR_API_KEY") or "EMPTY"
    client = OpenAI(base_url=base_url, api_key=key)
    thinking = args.enable_thinking == "true"
    right, tokens, seconds = [], [], []
    for problem in make_problems(args.probe_size, args.max_terms + 3, EVAL_SEED):
        question = (f"What is ({' + '.join(map(str, problem))}) mod 10? "
                    "End your reply with the single digit answer.")
        t0 = time.perf_counter()
        reply = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": question}], seed=args.seed, **PROBE_SAMPLING,
            extra_body={"chat_template_kwargs": {"enable_thinking": thinking}})
        seconds.append(time.perf_counter() - t0)
        text = reply.choices[0].message.content or ""
        digits = [c for c in text if c.isdigit()]
        right.append(bool(digits) and int(digits[-1]) == target_of(problem))
        tokens.append(reply.usage.completion_tokens if reply.usage else 0)
    return {"eval_accuracy": float(np.mean(right)), "eval_mean_length": float(np.mean(tokens)),
            "mean_latency_s": float(np.mean(seconds)), "p95_latency_s": float(np.percentile(seconds, 95)),
            "model": model, "n_questions": len(right)}


def main() -> None:
    global ARGS
    ARGS = args = parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    if args.smoke:
        args.mode, args.steps, args.prompts_per_step, args.eval_size = "train", 5, 4, 60
    if args.mode == "probe":
        run_dir = start_run(args, {"backend": os.environ.get("LAB_BACKEND", "openai-compatible"),
                                   "model": os.environ.get("LAB_MODEL"), "enable_thinking": args.enable_thinking == "true",
                                   "probe_size": args.probe_size, "max_terms": args.max_terms + 3,
                                   "temperature": PROBE_SAMPLING["temperature"], "top_p": PROBE_SAMPLING["top_p"]})
        metrics = probe(args)
    else:
        keys = ("group_size", "kl_coef", "prompts_per_step", "steps", "learning_rate", "clip_eps", "inner_epochs",
                "loss_agg", "max_len", "max_terms", "init_think_prob", "eval_size")
        run_dir = start_run(args, {"backend": "none", **{k: getattr(args, k) for k in keys}})
        metrics = train(args, run_dir)
        print(f"eval accuracy {metrics['baseline_eval_accuracy']:.3f} -> {metrics['eval_accuracy']:.3f}, "
              f"mean length {metrics['baseline_eval_mean_length']:.2f} -> {metrics['eval_mean_length']:.2f} tokens, "
              f"thinking off {metrics['thinking_off_accuracy']:.3f}, tokens sampled {metrics['tokens_sampled']}")
    finish_run(run_dir, metrics, SKIPPED)
    print(f"run record: {run_dir}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))


if __name__ == "__main__":
    main()
