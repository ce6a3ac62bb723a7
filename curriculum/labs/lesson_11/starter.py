"""Lesson 11 lab: long-context probing with needles in a haystack.

Question: how does a model's accuracy at retrieving facts placed in a long input change with
the input's length and with the depth at which the facts sit, and what do those inputs cost in
tokens, time to first token and memory?

Read top to bottom. The filler text, the needles and distractors, the question, the backends,
timing, cost and the run record are done for you. The three functions marked TODO are your
decisions. Run `python starter.py --smoke` first (offline, seconds). One run is one context
length, probed at every depth in --depths with --trials different haystacks:

    python starter.py --context-tokens 2000 --seed 0
    python starter.py --context-tokens 16000 --seed 0
    python starter.py --context-tokens 16000 --n-needles 4 --seed 0     # multi-fact variant

Backends (LAB_BACKEND; never used by --smoke):
  none                a toy attention reader (default; see ToyReader: a mechanism you can read)
  transformers        a local causal LM: LAB_MODEL=/path/to/model (set HF_HUB_OFFLINE=1)
  vllm                an OpenAI-compatible vLLM server, e.g. Nemotron 3 Nano started with a
                      --max-model-len that fits your longest input: LAB_BASE_URL (or
                      OPENAI_BASE_URL / TUTOR_BASE_URL) and LAB_MODEL; reasoning is sent off
  openai-compatible   any other OpenAI-compatible endpoint (standard parameters only)
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

LESSON = 11
COLOURS = ["red", "blue", "green", "yellow", "purple", "orange", "silver", "black"]
OBJECTS = ["door", "gate", "box", "locker", "safe", "cabinet", "vault", "drawer"]
SUBJECTS = ["The committee", "A small team", "The new manager", "Our neighbour", "The museum guide",
            "A local baker", "The night shift", "The research group", "An old friend", "The council"]
VERBS = ["reviewed", "discussed", "painted", "repaired", "described", "measured", "photographed",
         "catalogued", "planned", "visited"]
THINGS = ["the harbour wall", "a wooden bridge", "the quarterly report", "the orchard by the river",
          "a set of maps", "the train timetable", "the village hall", "a box of letters",
          "the garden path", "the weather station", "a long fence", "the library roof"]
TAILS = ["before lunch.", "on a rainy Tuesday.", "with great care.", "for the third time this year.",
         "while the tea went cold.", "as the sun came up.", "without much fuss.", "after a short delay."]


def filler_sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(THINGS)} {rng.choice(TAILS)}"


def needle_sentence(colour: str, obj: str, code: str) -> str:
    return f"The access code for the {colour} {obj} is {code}."


# ---------------------------------------------------------------------------------------
# Your decisions
# ---------------------------------------------------------------------------------------
def place_needles(filler: list[str], needles: list[str], depth: float, count_tokens) -> list[str]:
    """Insert the needle sentences into the filler sentences at the given depth.

    depth is in [0, 1]: 0 = at the very start of the haystack, 1 = at its very end. Define
    depth precisely (fraction of haystack TOKENS before the first needle? before each needle?)
    and insert only between sentences, never inside one. With several needles, decide whether
    they sit together at that depth or spread around it; multi-fact results depend on it.
    count_tokens(text) gives the backend's token count. Return the new list of sentences;
    every needle must appear exactly once.
    """
    raise NotImplementedError("TODO: place_needles - what 'depth' means, and where the needles go")


def score_answer(answer: str, expected_codes: list[str]) -> float:
    """Return the fraction of expected codes the answer got right, in [0, 1].

    The question asks for the codes in a given order. Decide: does order matter, how to read
    codes written with spaces or commas ("4 817"), what a reasoning block does, and whether an
    answer that lists extra codes (perhaps a distractor's) earns the same credit as a clean one.
    """
    raise NotImplementedError("TODO: score_answer - how an answer is scored against the codes")


def lost_in_middle_gap(accuracy_by_depth: dict[float, float]) -> float:
    """One number for how much worse the middle of the context is than its edges.

    accuracy_by_depth maps each probed depth (e.g. 0.0, 0.25, 0.5, 0.75, 1.0) to accuracy.
    Decide which depths count as edges and which as the middle, and mean or worst case. A
    positive value should mean the middle is worse. Write the definition in notes.md.
    """
    raise NotImplementedError("TODO: lost_in_middle_gap - summarise the position effect")


# ---------------------------------------------------------------------------------------
# Backends: each `answer(prompt, question_keys, seed)` returns (text, prompt_tokens, ttft_s).
# ---------------------------------------------------------------------------------------
class ToyReader:
    """A toy attention reader, NOT a language model. For each question key it attends over the
    sentences it can see with softmax weights and reads the code of the sentence it lands on:
      score = 2 x (words shared with the key) - DECAY x (thousands of tokens from the end)
              + SINK_BONUS for sentences in the first SINK tokens
    Three mechanisms you can read off the formula: dilution (every filler sentence takes some
    weight, so longer inputs spread it thinner), a distance penalty (like ALiBi's linear bias,
    recent text is favoured), and an attention sink (the first tokens keep weight). Beyond
    WINDOW tokens it keeps only the first SINK and the last WINDOW - SINK tokens, like a model
    run past the length it handles: it accepts any length, but does not use all of it."""

    name = "toy-attention-reader"
    WINDOW, SINK, DECAY, SINK_BONUS = 8192, 64, 0.35, 2.5

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def answer(self, prompt: str, keys: list[tuple[str, str]], seed: int) -> tuple[str, int, float]:
        t0 = time.perf_counter()
        document = prompt.split("QUESTION:")[0]  # it reads the document, not the question
        sentences = re.findall(r"[^.?!]*[.?!]", document)
        lengths = np.array([len(s.split()) for s in sentences])
        ends = np.cumsum(lengths)
        total = int(ends[-1]) if len(ends) else 0
        starts = ends - lengths
        visible = (starts < self.SINK) | (ends > total - (self.WINDOW - self.SINK))
        from_end = (total - ends) / 1000.0
        rng = np.random.default_rng(seed)
        words = [set(re.findall(r"[a-z]+", s.lower())) for s in sentences]
        codes = [re.search(r"\b(\d{4})\b", s) for s in sentences]
        found = []
        for colour, obj in keys:
            key = {"access", "code", colour, obj}
            overlap = np.array([len(key & w) for w in words], dtype=float)
            score = 2.0 * overlap - self.DECAY * from_end + self.SINK_BONUS * (starts < self.SINK)
            score[~visible] = -np.inf
            weights = np.exp(score - score[visible].max())
            pick = rng.choice(len(sentences), p=weights / weights.sum())
            found.append(codes[pick].group(1) if codes[pick] else "unknown")
        return ", ".join(found), len(prompt.split()), time.perf_counter() - t0


class HFBackend:
    """A local Hugging Face causal LM: timed prefill (TTFT), then greedy decoding with the cache."""

    def __init__(self, path: str, max_new_tokens: int):
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            sys.exit("LAB_BACKEND=transformers needs torch and transformers: pip install torch transformers")
        self.torch, self.name, self.max_new = torch, path, max_new_tokens
        self.tok = AutoTokenizer.from_pretrained(path)
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = torch.bfloat16 if self.device == "cuda" else torch.float32
        self.model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(self.device).eval()

    def count_tokens(self, text: str) -> int:
        return len(self.tok(text, add_special_tokens=False)["input_ids"])

    def answer(self, prompt: str, keys, seed: int) -> tuple[str, int, float]:
        torch = self.torch
        messages = [{"role": "user", "content": prompt}]
        if getattr(self.tok, "chat_template", None):
            text = self.tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True, enable_thinking=False)
        else:
            text = prompt + "\nAnswer:"
        ids = torch.tensor([self.tok(text, add_special_tokens=False)["input_ids"]], device=self.device)
        out_ids, past, t0 = [], None, time.perf_counter()
        ttft = None
        with torch.no_grad():
            step = ids
            for _ in range(self.max_new):
                out = self.model(input_ids=step, past_key_values=past, use_cache=True)
                past = out.past_key_values
                nxt = int(out.logits[0, -1].argmax())
                ttft = ttft if ttft is not None else time.perf_counter() - t0
                if nxt == self.tok.eos_token_id:
                    break
                out_ids.append(nxt)
                step = torch.tensor([[nxt]], device=self.device)
        return self.tok.decode(out_ids, skip_special_tokens=True), int(ids.shape[1]), ttft or 0.0


class ServerBackend:
    """An OpenAI-compatible endpoint, streamed so that the time to first token is measured."""

    def __init__(self, kind: str, max_new_tokens: int):
        try:
            from openai import OpenAI
        except ImportError:
            sys.exit(f"LAB_BACKEND={kind} needs the openai package: pip install openai")
        base = os.environ.get("LAB_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or os.environ.get("TUTOR_BASE_URL")
        if not base or not os.environ.get("LAB_MODEL"):
            sys.exit(f"LAB_BACKEND={kind} needs LAB_BASE_URL (or OPENAI_BASE_URL) and LAB_MODEL")
        key = os.environ.get("LAB_API_KEY") or os.environ.get("OPENAI_API_KEY") or os.environ.get("TUTOR_API_KEY") or "EMPTY"
        self.client, self.kind, self.name = OpenAI(base_url=base, api_key=key), kind, os.environ["LAB_MODEL"]
        self.max_new, self.tokens_per_char = max_new_tokens, None

    def _request(self, prompt: str, seed: int, max_tokens: int):
        extra = {"extra_body": {"chat_template_kwargs": {"enable_thinking": False}}} if self.kind == "vllm" else {}
        return self.client.chat.completions.create(
            model=self.name, messages=[{"role": "user", "content": prompt}], temperature=0.0, seed=seed,
            max_tokens=max_tokens, stream=True, stream_options={"include_usage": True}, **extra)

    def count_tokens(self, text: str) -> int:
        """Estimated from characters, calibrated once against the server's own count."""
        if self.tokens_per_char is None:
            sample = " ".join(filler_sentence(random.Random(i)) for i in range(150))
            usage = None
            for chunk in self._request(sample, 0, 1):
                usage = chunk.usage or usage
            self.tokens_per_char = (usage.prompt_tokens / len(sample)) if usage else 0.25
        return round(len(text) * self.tokens_per_char)

    def answer(self, prompt: str, keys, seed: int) -> tuple[str, int, float]:
        t0, ttft, pieces, prompt_tokens = time.perf_counter(), None, [], 0
        for chunk in self._request(prompt, seed, self.max_new):
            if chunk.usage:
                prompt_tokens = chunk.usage.prompt_tokens
            if chunk.choices and chunk.choices[0].delta.content:
                ttft = ttft if ttft is not None else time.perf_counter() - t0
                pieces.append(chunk.choices[0].delta.content)
        return "".join(pieces), prompt_tokens, ttft if ttft is not None else time.perf_counter() - t0


# ---------------------------------------------------------------------------------------
# Plumbing shared by every lab: arguments, run record, TODO skipping in smoke mode.
# ---------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0, help="base seed; trial t uses seed + t")
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--context-tokens", type=int, default=2000, help="target prompt length in the backend's tokens")
    p.add_argument("--depths", default="0,0.25,0.5,0.75,1", help="comma-separated depths in [0, 1]")
    p.add_argument("--n-needles", type=int, default=1, help="facts to retrieve per question (multi-fact > 1)")
    p.add_argument("--distractors", type=int, default=2, help="look-alike facts with other keys")
    p.add_argument("--trials", type=int, default=3, help="different haystacks per depth")
    p.add_argument("--max-new-tokens", type=int, default=32)
    p.add_argument("--price-in-per-mtok", type=float, default=0.0, help="price per million prompt tokens")
    p.add_argument("--price-out-per-mtok", type=float, default=0.0, help="price per million output tokens")
    p.add_argument("--kv-bytes-per-token", type=float, default=0.0, help="from lesson 7's formula for your model")
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


def placeholder_place(filler, needles, depth, count_tokens):
    at = round(depth * len(filler))  # PLACEHOLDER: sentence count, not tokens; needles together
    return filler[:at] + list(needles) + filler[at:]


def placeholder_score(answer, expected_codes):
    return float(all(code in answer for code in expected_codes))  # PLACEHOLDER: all-or-nothing substring


def placeholder_gap(accuracy_by_depth):
    return 0.0  # PLACEHOLDER: no summary


# ---------------------------------------------------------------------------------------
# The experiment
# ---------------------------------------------------------------------------------------
def make_backend(name: str, max_new: int):
    if name == "none":
        return ToyReader()
    if name == "transformers":
        if not os.environ.get("LAB_MODEL"):
            sys.exit("LAB_BACKEND=transformers needs LAB_MODEL (a local model path; set HF_HUB_OFFLINE=1)")
        return HFBackend(os.environ["LAB_MODEL"], max_new)
    if name in ("vllm", "openai-compatible"):
        return ServerBackend(name, max_new)
    sys.exit(f"LAB_BACKEND={name!r} is not supported (use none, transformers, vllm or openai-compatible)")


def make_trial(seed: int, n_needles: int, n_distractors: int):
    """Keys, codes, needles and distractors for one trial; every key is a distinct (colour, object)."""
    rng = random.Random(seed)
    pairs = rng.sample([(c, o) for c in COLOURS for o in OBJECTS], n_needles + n_distractors)
    codes = [str(rng.randrange(1000, 10000)) for _ in pairs]
    keys, distract = pairs[:n_needles], pairs[n_needles:]
    needles = [needle_sentence(c, o, code) for (c, o), code in zip(keys, codes)]
    decoys = [needle_sentence(c, o, code) for (c, o), code in zip(distract, codes[n_needles:])]
    question = ("What is the access code for " + ", then ".join(f"the {c} {o}" for c, o in keys) +
                "? Answer with the code" + ("s in that order, separated by commas" if n_needles > 1 else "") +
                " and nothing else.")
    return keys, codes[:n_needles], needles, decoys, question, rng


def build_haystack(target_tokens: int, rng: random.Random, count_tokens, reserve: int) -> list[str]:
    """Filler sentences whose total length is about target_tokens - reserve tokens."""
    per_sentence = count_tokens(" ".join(filler_sentence(random.Random(i)) for i in range(20))) / 20
    n = max(1, int((target_tokens - reserve) / max(per_sentence, 1e-9)))
    return [filler_sentence(rng) for _ in range(n)]


def main() -> None:
    global ARGS
    ARGS = args = parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    backend_name = "none" if args.smoke else os.environ.get("LAB_BACKEND", "none")
    depths = [0.0, 0.5, 1.0] if args.smoke else [float(d) for d in args.depths.split(",")]
    if any(not 0.0 <= d <= 1.0 for d in depths):
        sys.exit(f"--depths must lie in [0, 1], got {args.depths}")
    context_tokens = min(args.context_tokens, 600) if args.smoke else args.context_tokens
    trials = 2 if args.smoke else args.trials
    backend = make_backend(backend_name, args.max_new_tokens)
    seeds = [args.seed + t for t in range(trials)]
    run_dir = start_run(args, {"backend": backend_name, "model": backend.name, "context_tokens": context_tokens,
                               "depths": depths, "n_needles": args.n_needles, "distractors": args.distractors,
                               "trials": trials, "seeds_used": seeds, "max_new_tokens": args.max_new_tokens,
                               "price_in_per_mtok": args.price_in_per_mtok, "price_out_per_mtok": args.price_out_per_mtok,
                               "kv_bytes_per_token": args.kv_bytes_per_token})
    results, log = [], []
    for seed in seeds:
        keys, codes, needles, decoys, question, rng = make_trial(seed, args.n_needles, args.distractors)
        reserve = backend.count_tokens(" ".join(needles + decoys) + " " + question) + 20
        filler = build_haystack(context_tokens, rng, backend.count_tokens, reserve)
        for decoy in decoys:  # distractors sit at random places, the same for every depth
            filler.insert(rng.randrange(len(filler) + 1), decoy)
        for depth in depths:  # same haystack, same needles: only the position changes
            sentences = call_todo(place_needles, placeholder_place, list(filler), needles, depth, backend.count_tokens)
            assert all(sentences.count(n) == 1 for n in needles), "every needle must appear exactly once"
            prompt = ("Read the document and answer the question at the end.\n\nDOCUMENT:\n" + " ".join(sentences) +
                      "\n\nQUESTION: " + question)
            t0 = time.perf_counter()
            text, prompt_tokens, ttft = backend.answer(prompt, keys, seed)
            latency = time.perf_counter() - t0
            score = call_todo(score_answer, placeholder_score, text, codes)
            results.append({"seed": seed, "depth": depth, "score": score, "prompt_tokens": prompt_tokens,
                            "ttft_s": ttft, "latency_s": latency, "output_chars": len(text)})
            log.append({"seed": seed, "depth": depth, "codes": codes, "answer": text, "score": score})
        print(f"seed {seed}: " + "  ".join(f"d={r['depth']:.2f}:{r['score']:.2f}" for r in results if r["seed"] == seed))

    by_depth = {d: float(np.mean([r["score"] for r in results if r["depth"] == d])) for d in depths}
    per_trial = [float(np.mean([r["score"] for r in results if r["seed"] == s])) for s in seeds]
    prompt_tokens = float(np.mean([r["prompt_tokens"] for r in results]))
    out_tokens = args.max_new_tokens  # an upper bound; short answers use fewer
    metrics = {
        "accuracy": float(np.mean([r["score"] for r in results])),
        "accuracy_std": float(np.std(per_trial, ddof=1)) if len(per_trial) > 1 else 0.0,
        "accuracy_by_depth": {str(d): a for d, a in by_depth.items()},
        "lost_in_middle_gap": call_todo(lost_in_middle_gap, placeholder_gap, by_depth),
        "worst_depth_accuracy": min(by_depth.values()),
        "prompt_tokens_mean": prompt_tokens,
        "ttft_ms_mean": 1000 * float(np.mean([r["ttft_s"] for r in results])),
        "latency_ms_mean": 1000 * float(np.mean([r["latency_s"] for r in results])),
        "cost_usd_per_query": (prompt_tokens * args.price_in_per_mtok + out_tokens * args.price_out_per_mtok) / 1e6,
        "kv_cache_mib_estimate": prompt_tokens * args.kv_bytes_per_token / 2**20,
        "n_requests": len(results),
        "per_trial_accuracy": per_trial,
    }
    with (run_dir / "answers.jsonl").open("w") as fh:
        fh.writelines(json.dumps(entry) + "\n" for entry in log)
    finish_run(run_dir, metrics, SKIPPED)
    print(f"{context_tokens} tokens: accuracy {metrics['accuracy']:.3f} ± {metrics['accuracy_std']:.3f}  "
          f"by depth {by_depth}  prompt tokens {prompt_tokens:.0f}  TTFT {metrics['ttft_ms_mean']:.1f} ms")
    print(f"run record: {run_dir}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))


if __name__ == "__main__":
    main()
