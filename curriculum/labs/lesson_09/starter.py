"""Lesson 9 lab: controlled decoding experiments.

Question: when you change ONE decoding setting (temperature, top-p, top-k, or reasoning on/off)
and hold the seed, prompts and everything else fixed, how do diversity, a quality proxy,
latency and throughput move, and is the change bigger than the run-to-run noise?

Read top to bottom. The prompts, the backends, seeding, the sampling loop, the text metrics,
timing and the run record are done for you. The three functions marked TODO are your
decisions. Run `python starter.py --smoke` first (a built-in toy model, offline, seconds).

    python starter.py --temperature 0.7 --seed 0                 # toy model, one point
    python starter.py --temperature 0.7 --top-p 0.9 --seed 0     # change one thing only
    python starter.py --enable-thinking true --seed 0            # reasoning on vs off

Backends (LAB_BACKEND; never used by --smoke):
  none                the toy trigram model below (default)
  transformers        a local causal LM: LAB_MODEL=/path/to/model (set HF_HUB_OFFLINE=1)
  vllm                an OpenAI-compatible vLLM server, e.g. Nemotron 3 Nano:
                      LAB_BASE_URL (or OPENAI_BASE_URL / TUTOR_BASE_URL) and LAB_MODEL; sends
                      top_k and chat_template_kwargs.enable_thinking as vLLM extras
  openai-compatible   any other OpenAI-compatible endpoint; only standard parameters are sent
API keys come from LAB_API_KEY, OPENAI_API_KEY or TUTOR_API_KEY (a local vLLM needs none).
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

LESSON = 9

# ---------------------------------------------------------------------------------------
# Prompts. "open" prompts have many good answers: we measure diversity on them.
# "checkable" prompts have one right first word: we measure a quality proxy on them.
# ---------------------------------------------------------------------------------------
TOY_OPEN = ["the cat", "the old man", "in the morning"]
TOY_CHECKABLE = [("the capital of france is", "paris"), ("the capital of italy is", "rome"),
                 ("the sky at noon is", "blue"), ("most cats like to eat", "fish")]
REAL_OPEN = ["Write one sentence about a cat.", "Describe a rainy morning in one sentence.",
             "Suggest a name for a small coffee shop and say in one sentence why."]
REAL_CHECKABLE = [("What is the capital of France? Answer with one word.", "paris"),
                  ("What is 17 + 25? Answer with the number only.", "42"),
                  ("Which planet is called the Red Planet? Answer with one word.", "mars"),
                  ("How many legs does a spider have? Answer with the number only.", "8")]

TOY_TEXT = """\
the cat sat on the mat and the dog sat on the rug .
the cat saw the bird and the cat ran up the tree .
the cat slept in the sun all day long .
the cat wanted milk and the man gave it some .
the old man walked his dog to the river every morning .
the old man sat on a bench and read the paper .
the old man made tea and looked at the hills .
in the morning the man made tea and the cat wanted milk .
in the morning the sun rose over the hills and the birds began to sing .
in the morning the children ran to the park to play .
in the morning the river was cold and quiet .
the dog slept on the rug and the cat slept on the mat .
the children played in the park until the sun went down .
the bird sang in the tree and the cat looked up at the bird .
the capital of france is paris .
the capital of france is paris and it is a big city .
the capital of france is paris , said the old man .
the capital of france is lyon , said the child , but that was wrong .
the capital of france is a long way from here .
the capital of italy is rome .
the capital of italy is rome and it is very old .
the capital of italy is milan , said the bird , but that was wrong .
the sky at noon is blue .
the sky at noon is blue and bright .
the sky at noon is grey when it rains .
most cats like to eat fish .
most cats like to eat fish and drink milk .
most cats like to eat mice .
most cats like to eat in the morning .
"""


# ---------------------------------------------------------------------------------------
# Your decisions
# ---------------------------------------------------------------------------------------
def truncate_distribution(probs: np.ndarray, top_k: int, top_p: float) -> np.ndarray:
    """Cut the tail off a next-token distribution and renormalise it.

    probs: a probability vector (already tempered). top_k: keep the k most likely tokens
    (0 means no top-k). top_p: keep the smallest set of most likely tokens whose total
    probability reaches top_p (1.0 means no top-p). Return a vector of the same shape that
    sums to 1, with zeros outside the kept set.
    Decide: the boundary of the nucleus (is the token that crosses top_p kept?), the order
    when both are set, ties, and that at least one token always survives.
    Check: probs [0.5, 0.3, 0.15, 0.05] with top_p 0.8 keeps the first two (0.5 + 0.3
    reaches 0.8) and returns [0.625, 0.375, 0, 0]; top_k 1 returns [1, 0, 0, 0].
    """
    raise NotImplementedError("TODO: truncate_distribution - top-k and top-p (nucleus) filtering")


def self_bleu(samples: list[list[str]], max_n: int = 4) -> float:
    """Diversity between samples: mean BLEU of each sample against all the others.

    samples: word lists generated for ONE prompt. For each sample, treat every other sample
    as a reference, compute BLEU (clipped n-gram precisions for n = 1..max_n, their
    geometric mean, times a brevity penalty), then average over samples. High self-BLEU means
    the samples repeat each other (low diversity); identical samples give 1.0.
    Decide: smoothing when an n-gram precision is zero (short samples!), the brevity
    penalty's reference length, and what to return with fewer than two samples.
    """
    raise NotImplementedError("TODO: self_bleu - n-gram overlap between samples of one prompt")


def latency_summary(t_start: float, token_times: list[float]) -> dict:
    """Turn one request's timestamps into latency numbers.

    t_start: time.perf_counter() just before the request; token_times: perf_counter() at
    each streamed token (or chunk) in order, reasoning tokens included. Return a dict with
    `ttft_s` (time to first token), `itl_mean_s` and `itl_p95_s` (inter-token latency), and
    `decode_tokens_per_s` (tokens after the first, per second of decoding).
    Decide: which gaps count as inter-token (is the first one prefill?), the percentile
    method, and what to return when there are fewer than two tokens.
    """
    raise NotImplementedError("TODO: latency_summary - TTFT, inter-token latency, decode rate")


# ---------------------------------------------------------------------------------------
# Sampling, shared by the toy and the transformers backends (a server samples for itself).
# ---------------------------------------------------------------------------------------
def softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits / temperature
    z = z - z.max()
    p = np.exp(z)
    return p / p.sum()


def sample_next(logits: np.ndarray, cfg: dict, rng: np.random.Generator) -> int:
    """Temperature 0 is greedy (top-k/top-p then change nothing); otherwise temper, truncate, draw."""
    if cfg["temperature"] == 0:
        return int(np.argmax(logits))
    probs = softmax(np.asarray(logits, dtype=np.float64), cfg["temperature"])
    probs = call_todo(truncate_distribution, placeholder_truncate, probs, cfg["top_k"], cfg["top_p"])
    u = rng.random()  # one draw per step, always, so the same seed lines up across settings
    return int(min(np.searchsorted(np.cumsum(probs), u, side="right"), len(probs) - 1))


# ---------------------------------------------------------------------------------------
# Backends. Each `stream(prompt, cfg, seed)` yields (text_piece, kind), kind "reasoning" or
# "answer", and finally returns the finish reason; the harness timestamps every piece.
# ---------------------------------------------------------------------------------------
class ToyModel:
    """A word trigram model with interpolated backoff over TOY_TEXT. Not an LLM: a stand-in
    whose next-token distribution you can read, so each setting's effect is visible."""

    name = "toy-trigram"
    THINK_DRAFTS = 4

    def __init__(self):
        words = TOY_TEXT.split()
        self.vocab = sorted(set(words))
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self.c1 = Counter(words)
        self.c2, self.c3 = defaultdict(Counter), defaultdict(Counter)
        for line in TOY_TEXT.splitlines():
            toks = line.split()
            for a, b in zip(toks, toks[1:]):
                self.c2[a][b] += 1
            for a, b, c in zip(toks, toks[1:], toks[2:]):
                self.c3[(a, b)][c] += 1

    def logits(self, context: list[str]) -> np.ndarray:
        V, total = len(self.vocab), sum(self.c1.values())
        p = np.array([(self.c1[w] + 0.1) / (total + 0.1 * V) for w in self.vocab])
        parts = [(0.1, p)]
        for weight, counts in ((0.25, self.c2.get(context[-1]) if context else None),
                               (0.65, self.c3.get(tuple(context[-2:])) if len(context) > 1 else None)):
            if counts:
                n = sum(counts.values())
                parts.append((weight, np.array([counts[w] / n for w in self.vocab])))
        mix = sum(w * q for w, q in parts) / sum(w for w, _ in parts)
        return np.log(mix)

    def stream(self, prompt: str, cfg: dict, seed: int):
        rng = np.random.default_rng(seed)
        context = prompt.split()
        if cfg["enable_thinking"]:
            # Toy "reasoning": draft a few candidate next words, then answer with the most
            # common one. It spends tokens to answer more reliably; a real model's reasoning
            # is learned text, not a vote, but the cost side is the same kind of thing.
            yield "<think>", "reasoning"
            drafts = []
            for _ in range(self.THINK_DRAFTS):
                drafts.append(self.vocab[sample_next(self.logits(context), cfg, rng)])
                yield " " + drafts[-1], "reasoning"
            yield " </think>", "reasoning"
            first = Counter(drafts).most_common(1)[0][0]
            context.append(first)
            yield " " + first, "answer"
        for _ in range(cfg["max_new_tokens"] - (1 if cfg["enable_thinking"] else 0)):
            word = self.vocab[sample_next(self.logits(context), cfg, rng)]
            context.append(word)
            yield " " + word, "answer"
            if word == ".":
                return "stop"
        return "length"


class HFBackend:
    """A local Hugging Face causal LM, decoded token by token with its KV cache, so the
    sampling rules above (and your truncation) are the ones applied."""

    def __init__(self, path: str):
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            sys.exit("LAB_BACKEND=transformers needs torch and transformers: pip install torch transformers")
        self.torch, self.name = torch, path
        self.tok = AutoTokenizer.from_pretrained(path)
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = torch.bfloat16 if self.device == "cuda" else torch.float32
        self.model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(self.device).eval()

    def render(self, prompt: str, enable_thinking: bool) -> list[int]:
        if getattr(self.tok, "chat_template", None):
            text = self.tok.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                                add_generation_prompt=True, enable_thinking=enable_thinking)
            return self.tok(text, add_special_tokens=False)["input_ids"]
        return self.tok(prompt)["input_ids"]

    def stream(self, prompt: str, cfg: dict, seed: int):
        torch = self.torch
        rng = np.random.default_rng(seed)
        prompt_ids = self.render(prompt, cfg["enable_thinking"])
        ids = torch.tensor([prompt_ids], device=self.device)
        # Some chat templates open the reasoning block themselves when thinking is on.
        opened = self.tok.decode(prompt_ids[-4:]).rstrip().endswith("<think>")
        past, kind = None, "reasoning" if opened else "answer"
        with torch.no_grad():
            for _ in range(cfg["max_new_tokens"]):
                out = self.model(input_ids=ids, past_key_values=past, use_cache=True)
                past = out.past_key_values
                nxt = sample_next(out.logits[0, -1].float().cpu().numpy(), cfg, rng)
                if nxt == self.tok.eos_token_id:
                    return "stop"
                piece = self.tok.decode([nxt])
                if "<think>" in piece:
                    kind = "reasoning"
                yield piece, kind
                if "</think>" in piece:
                    kind = "answer"
                ids = torch.tensor([[nxt]], device=self.device)
        return "length"


class ServerBackend:
    """An OpenAI-compatible chat endpoint, streamed; the server does the sampling."""

    def __init__(self, kind: str):
        try:
            from openai import OpenAI
        except ImportError:
            sys.exit(f"LAB_BACKEND={kind} needs the openai package: pip install openai")

        base = os.environ.get("LAB_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or os.environ.get("TUTOR_BASE_URL")
        if not base or not os.environ.get("LAB_MODEL"):
            sys.exit(f"LAB_BACKEND={kind} needs LAB_BASE_URL (or OPENAI_BASE_URL) and LAB_MODEL")
        key = os.environ.get("LAB_API_KEY") or os.environ.get("OPENAI_API_KEY") or os.environ.get("TUTOR_API_KEY") or "EMPTY"
        self.client, self.kind, self.name = OpenAI(base_url=base, api_key=key), kind, os.environ["LAB_MODEL"]
        self.last_usage: dict = {}

    def request_args(self, cfg: dict, seed: int) -> dict:
        args = {"temperature": cfg["temperature"], "top_p": cfg["top_p"], "seed": seed,
                "max_tokens": cfg["max_new_tokens"], "stream": True, "stream_options": {"include_usage": True}}
        if self.kind == "vllm":
            extra = {"chat_template_kwargs": {"enable_thinking": cfg["enable_thinking"]}}
            if cfg["top_k"] > 0:
                extra["top_k"] = cfg["top_k"]
            args["extra_body"] = extra
        return args

    def stream(self, prompt: str, cfg: dict, seed: int):
        finish = "unknown"
        response = self.client.chat.completions.create(
            model=self.name, messages=[{"role": "user", "content": prompt}], **self.request_args(cfg, seed))
        for chunk in response:
            if chunk.usage:
                self.last_usage = {"completion_tokens": chunk.usage.completion_tokens}
            if not chunk.choices:
                continue
            delta = chunk.choices[0].delta
            reasoning = getattr(delta, "reasoning_content", None) or getattr(delta, "reasoning", None)
            if reasoning:
                yield reasoning, "reasoning"
            if delta.content:
                yield delta.content, "answer"
            finish = chunk.choices[0].finish_reason or finish
        return finish


# ---------------------------------------------------------------------------------------
# Text metrics (done for you; self-BLEU is yours above)
# ---------------------------------------------------------------------------------------
def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+|[.,!?]", text.lower())


def distinct_n(samples: list[list[str]], n: int) -> float:
    grams = [tuple(s[i:i + n]) for s in samples for i in range(len(s) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def repetition_rate(sample: list[str]) -> float:
    """Share of bigrams in one sample that already occurred earlier in it (looping)."""
    grams = list(zip(sample, sample[1:]))
    return (len(grams) - len(set(grams))) / len(grams) if grams else 0.0


def first_word(text: str) -> str:
    found = re.findall(r"[a-z0-9]+", re.sub(r"<think>.*?</think>", " ", text, flags=re.S).lower())
    return found[0] if found else ""


# ---------------------------------------------------------------------------------------
# Plumbing shared by every lab: arguments, run record, TODO skipping in smoke mode.
# ---------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0, help="base seed; repeat r uses seed + r")
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--temperature", type=float, default=0.7, help="0 means greedy")
    p.add_argument("--top-p", type=float, default=1.0, help="1.0 means no nucleus truncation")
    p.add_argument("--top-k", type=int, default=0, help="0 means no top-k truncation")
    p.add_argument("--enable-thinking", choices=["true", "false"], default="false")
    p.add_argument("--n-samples", type=int, default=6, help="samples per prompt per repeat")
    p.add_argument("--repeats", type=int, default=3, help="whole-experiment repeats (seeds seed..seed+repeats-1)")
    p.add_argument("--max-new-tokens", type=int, default=None, help="default: 20 toy, 64 real (raise it with thinking on)")
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


def placeholder_truncate(probs, top_k, top_p):
    return probs  # PLACEHOLDER: no truncation at all, whatever top-k and top-p say


def placeholder_self_bleu(samples, max_n=4):
    return 1.0 - distinct_n(samples, 2)  # PLACEHOLDER: not BLEU, just "1 - distinct-2"


def placeholder_latency(t_start, token_times):
    per = (token_times[-1] - t_start) / len(token_times) if token_times else 0.0  # PLACEHOLDER: one average for all
    return {"ttft_s": per, "itl_mean_s": per, "itl_p95_s": per, "decode_tokens_per_s": 1.0 / per if per else 0.0}


# ---------------------------------------------------------------------------------------
# The experiment
# ---------------------------------------------------------------------------------------
def request_seed(seed: int, prompt_idx: int, sample_idx: int) -> int:
    """Same (seed, prompt, sample) -> same random stream, whatever the decoding settings."""
    return seed * 100_000 + prompt_idx * 1_000 + sample_idx


def run_one(backend, prompt: str, cfg: dict, seed: int) -> dict:
    t_start, times, pieces = time.perf_counter(), [], []
    gen = backend.stream(prompt, cfg, seed)
    while True:
        try:
            piece, kind = next(gen)
        except StopIteration as stop:
            finish = stop.value or "unknown"
            break
        times.append(time.perf_counter())
        pieces.append((piece, kind))
    answer = "".join(p for p, k in pieces if k == "answer").strip()
    first_answer = next((t for t, (_, k) in zip(times, pieces) if k == "answer"), None)
    lat = call_todo(latency_summary, placeholder_latency, t_start, times)
    return {"answer": answer, "n_tokens": len(pieces), "n_reasoning": sum(k == "reasoning" for _, k in pieces),
            "finish": finish, "time_to_answer_s": (first_answer - t_start) if first_answer else None,
            "wall_s": (times[-1] if times else time.perf_counter()) - t_start, **lat}


def run_repeat(backend, cfg: dict, seed: int, open_prompts, checkable, n_samples: int, log) -> dict:
    requests, bleu, d1, d2, reps, correct = [], [], [], [], [], []
    for pi, prompt in enumerate(open_prompts):
        outs = [run_one(backend, prompt, cfg, request_seed(seed, pi, s)) for s in range(n_samples)]
        toks = [words(o["answer"]) for o in outs]
        bleu.append(call_todo(self_bleu, placeholder_self_bleu, toks))
        d1.append(distinct_n(toks, 1))
        d2.append(distinct_n(toks, 2))
        reps += [repetition_rate(t) for t in toks]
        requests += outs
        log += [{"seed": seed, "prompt": prompt, "sample": s, "answer": o["answer"]} for s, o in enumerate(outs)]
    for pj, (prompt, expected) in enumerate(checkable, start=len(open_prompts)):
        outs = [run_one(backend, prompt, cfg, request_seed(seed, pj, s)) for s in range(n_samples)]
        correct += [first_word(o["answer"]) == expected for o in outs]
        requests += outs
        log += [{"seed": seed, "prompt": prompt, "sample": s, "answer": o["answer"], "expected": expected}
                for s, o in enumerate(outs)]
    mean = lambda xs: float(np.mean(xs)) if xs else 0.0  # noqa: E731
    timed = [r for r in requests if r["n_tokens"]]
    return {
        "self_bleu": mean(bleu), "distinct_1": mean(d1), "distinct_2": mean(d2), "repetition_rate": mean(reps),
        "exact_match": mean(correct),
        "ttft_ms": 1000 * mean([r["ttft_s"] for r in timed]),
        "time_to_answer_ms": 1000 * mean([r["time_to_answer_s"] for r in timed if r["time_to_answer_s"] is not None]),
        "itl_ms_mean": 1000 * mean([r["itl_mean_s"] for r in timed]),
        "itl_ms_p95": 1000 * mean([r["itl_p95_s"] for r in timed]),
        "decode_tokens_per_s": mean([r["decode_tokens_per_s"] for r in timed]),
        "throughput_tokens_per_s": sum(r["n_tokens"] for r in requests) / max(sum(r["wall_s"] for r in requests), 1e-9),
        "output_tokens_mean": mean([r["n_tokens"] for r in requests]),
        "reasoning_tokens_mean": mean([r["n_reasoning"] for r in requests]),
        "truncated_rate": mean([r["finish"] == "length" for r in requests]),
    }


def make_backend(name: str):
    if name == "none":
        return ToyModel()
    if name == "transformers":
        if not os.environ.get("LAB_MODEL"):
            sys.exit("LAB_BACKEND=transformers needs LAB_MODEL (a local model path; set HF_HUB_OFFLINE=1)")
        return HFBackend(os.environ["LAB_MODEL"])
    if name in ("vllm", "openai-compatible"):
        return ServerBackend(name)
    sys.exit(f"LAB_BACKEND={name!r} is not supported (use none, transformers, vllm or openai-compatible)")


def main() -> None:
    global ARGS
    ARGS = args = parse_args()
    np.random.seed(args.seed)
    backend_name = "none" if args.smoke else os.environ.get("LAB_BACKEND", "none")
    toy = backend_name == "none"
    cfg = {"temperature": args.temperature, "top_p": args.top_p, "top_k": args.top_k,
           "enable_thinking": args.enable_thinking == "true",
           "max_new_tokens": args.max_new_tokens or (12 if args.smoke else 20 if toy else 64)}
    n_samples, repeats = (3, 2) if args.smoke else (args.n_samples, args.repeats)
    open_prompts, checkable = (TOY_OPEN, TOY_CHECKABLE) if toy else (REAL_OPEN, REAL_CHECKABLE)
    if args.smoke:
        open_prompts, checkable = open_prompts[:2], checkable[:2]
    backend = make_backend(backend_name)
    seeds = [args.seed + r for r in range(repeats)]
    run_dir = start_run(args, {"backend": backend_name, "model": backend.name, **cfg, "n_samples": n_samples,
                               "repeats": repeats, "seeds_used": seeds, "open_prompts": open_prompts,
                               "checkable_prompts": [p for p, _ in checkable],
                               "sent_to_server": backend.request_args(cfg, args.seed) if isinstance(backend, ServerBackend) else None})

    log: list[dict] = []
    per_repeat = []
    for seed in seeds:
        per_repeat.append(run_repeat(backend, cfg, seed, open_prompts, checkable, n_samples, log))
        r = per_repeat[-1]
        print(f"seed {seed}: distinct-2 {r['distinct_2']:.3f}  self-BLEU {r['self_bleu']:.3f}  exact {r['exact_match']:.2f}  "
              f"TTFT {r['ttft_ms']:.2f} ms  ITL {r['itl_ms_mean']:.2f} ms  {r['decode_tokens_per_s']:.0f} tok/s")

    # Repeatability: the first open prompt again, same seeds, same settings. Identical text
    # is expected from a local model on one machine; a batching server may differ.
    again = [run_one(backend, open_prompts[0], cfg, request_seed(seeds[0], 0, s))["answer"] for s in range(n_samples)]
    first = [e["answer"] for e in log if e["seed"] == seeds[0] and e["prompt"] == open_prompts[0]]
    agreement = sum(a == b for a, b in zip(again, first)) / len(first)

    metrics = {k: float(np.mean([r[k] for r in per_repeat])) for k in per_repeat[0]}
    for k in ("distinct_2", "self_bleu", "exact_match", "ttft_ms", "itl_ms_mean", "decode_tokens_per_s"):
        metrics[f"{k}_std"] = float(np.std([r[k] for r in per_repeat], ddof=1)) if repeats > 1 else 0.0
    metrics["same_seed_agreement"] = agreement
    metrics["per_repeat"] = {k: [r[k] for r in per_repeat] for k in per_repeat[0]}
    with (run_dir / "samples.jsonl").open("w") as fh:
        fh.writelines(json.dumps(entry) + "\n" for entry in log)
    finish_run(run_dir, metrics, SKIPPED)
    print(f"mean over {repeats} repeats: distinct-2 {metrics['distinct_2']:.3f} ± {metrics['distinct_2_std']:.3f}  "
          f"exact {metrics['exact_match']:.2f} ± {metrics['exact_match_std']:.2f}  same-seed agreement {agreement:.2f}")
    print(f"run record: {run_dir}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))


if __name__ == "__main__":
    main()
