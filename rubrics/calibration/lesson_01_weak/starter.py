"""Lesson 1 lab: train a byte-level BPE tokenizer and measure how compression changes with
the number of merges.

Read top to bottom. Data loading, the train/held-out split, seeding, config and metrics
logging are done for you. The three functions marked TODO are the decisions you make.

    python starter.py --smoke                  # offline, seconds, skips unfinished TODOs
    python starter.py --num-merges 200         # a real run on the bundled corpus
    python starter.py --num-merges 800 --corpus my_book.txt

Optional comparison with a production tokenizer (never in --smoke):
    LAB_BACKEND=transformers LAB_MODEL=<local path or model id> python starter.py ...
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

LESSON = 1

# A small bundled corpus so the lab runs anywhere. For the real experiment, a larger text
# (a public-domain book, your own notes) makes the curves smoother: pass --corpus PATH.
BUNDLED_TEXT = """\
The tokenizer turns text into a list of integers before the model sees anything.
Each integer is the id of an entry in a fixed vocabulary learned from training text.
Frequent words such as the, and, of and to usually become a single token.
Rare words are spelled out of smaller pieces, so a long word can cost several tokens.
Byte pair encoding starts from the two hundred and fifty six byte values.
It counts every pair of adjacent symbols and merges the most frequent pair into a new symbol.
Then it counts again, merges again, and keeps going until it has made enough merges.
The list of merges, in the order they were learned, is the tokenizer.
Encoding new text replays the merges in that order, one after another.
Decoding joins the bytes of every token and reads them as UTF-8 text.
A model with a larger vocabulary reads shorter sequences but stores a larger embedding table.
The cost of a request is counted in tokens, for the prompt and for the answer.
A prompt of six hundred words might be close to eight hundred tokens in English.
The same prompt in another language can need twice as many tokens or more.
Numbers are split into digits or into small groups of digits, depending on the tokenizer.
The year 2024, the price 19.99 and the code 4815162342 are all split in different ways.
Upper case text such as THIS SENTENCE IS SHOUTING is rarer and splits into more pieces.
Spaces matter too: a word after a space is usually a different token from the same word at the start.
Punctuation, newlines and indentation are tokens as well, which is why code can be expensive.
Measuring beats guessing: count the tokens with the tokenizer of the model you will call.
The lower the number of tokens per word, the more text fits into the context window.
A context window of one hundred thousand tokens holds a long book, but fewer words of code.
Training the tokenizer happens once, before the model is trained, and then it is frozen.
Changing the tokenizer later would mean retraining the embeddings of the model.
The newest and widest models still use sub-word tokens learned from frequency.
Lower, lowest, newer, newest, wider, widest: suffixes are shared and often merged early.
Tokenization decides what counts as one step of generation.
A model that writes one token per step writes long words in several steps.
Chat models wrap every message in special tokens that mark the speaker and the turn.
Reasoning models may write many thinking tokens before the final answer appears.
"""

# Pre-tokenization: letters with an optional leading space, digit runs, other symbols, whitespace.
# Merges never cross these boundaries. Held fixed across runs; record it in the config.
PRETOKENIZE_PATTERN = r" ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--num-merges", type=int, default=200, help="the experiment's variable")
    p.add_argument("--corpus", default="bundled", help="path to a UTF-8 text file, or 'bundled'")
    p.add_argument("--held-out-fraction", type=float, default=0.2)
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


# --- data ------------------------------------------------------------------------------------
def load_sentences(corpus: str) -> list[str]:
    text = BUNDLED_TEXT if corpus == "bundled" else Path(corpus).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def split_train_held_out(sentences: list[str], fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """Shuffle with the seed, then hold out a fraction. Compression is measured on held-out text only."""
    shuffled = sentences[:]
    random.Random(seed).shuffle(shuffled)
    n_held = max(1, int(len(shuffled) * fraction))
    return shuffled[n_held:], shuffled[:n_held]


def pretokenize(text: str) -> list[bytes]:
    return [piece.encode("utf-8") for piece in re.findall(PRETOKENIZE_PATTERN, text)]


# --- TODO 1-3: the heart of BPE ------------------------------------------------------------
Word = tuple[int, ...]  # one pre-token as a sequence of token ids (bytes at the start)
Pair = tuple[int, int]


def count_pairs(words: dict[Word, int]) -> Counter:
    """Count every adjacent pair of ids inside each word, weighted by how often the word occurs.

    words maps a pre-token (as a tuple of ids) to its frequency in the training text.
    Return a Counter {(a, b): count}. Pairs never span two different words.
    Check: for {(108, 111, 119): 5} ("low" x5) you should get {(108, 111): 5, (111, 119): 5}.
    """
    raise NotImplementedError("TODO: count adjacent pairs, weighted by word frequency")


def merge_pair(word: Word, pair: Pair, new_id: int) -> Word:
    """Return word with every non-overlapping occurrence of pair replaced by new_id.

    Scan left to right. Decide what happens with overlapping matches such as (a, a) in
    (a, a, a): write your choice in notes.md.
    Check: merge_pair((1, 2, 3, 1, 2), (1, 2), 9) == (9, 3, 9).
    """
    raise NotImplementedError("TODO: replace each occurrence of pair by new_id")


def encode(text: str, merges: list[tuple[Pair, int]]) -> list[int]:
    """Encode text with the learned merges: pre-tokenize, start from bytes, apply merges IN ORDER.

    merges is the list [((a, b), new_id), ...] in the order training learned them.
    Return the flat list of ids for the whole text. You may reuse merge_pair.
    Think about why "apply the longest vocabulary match" would be a different tokenizer.
    """
    raise NotImplementedError("TODO: encode text by replaying the merges in order")


# --- placeholders used only in --smoke mode while a TODO is unfinished ---------------------
def no_pairs(words):  # no pairs means training stops at the byte vocabulary
    return Counter()


def unchanged(word, pair, new_id):
    return word


def raw_bytes(text, merges):
    return list(text.encode("utf-8"))


# --- training (done for you) -----------------------------------------------------------------
def choose_pair(pairs: Counter) -> Pair:
    """The most frequent pair; ties go to the pair with the smallest ids, so runs are reproducible."""
    return max(pairs.items(), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))[0]


def train_bpe(train_sentences: list[str], num_merges: int, smoke: bool) -> list[tuple[Pair, int]]:
    words: Counter = Counter()
    for sentence in train_sentences:
        for piece in pretokenize(sentence):
            words[tuple(piece)] += 1
    merges: list[tuple[Pair, int]] = []
    for step in range(num_merges):
        pairs = call_todo(count_pairs, dict(words), placeholder=no_pairs, smoke=smoke)
        if not pairs:
            break
        pair, new_id = choose_pair(pairs), 256 + step
        merged: Counter = Counter()
        for word, count in words.items():
            merged[call_todo(merge_pair, word, pair, new_id, placeholder=unchanged, smoke=smoke)] += count
        words = merged
        merges.append((pair, new_id))
    return merges


def token_bytes(merges: list[tuple[Pair, int]]) -> dict[int, bytes]:
    """The byte string behind every id, for printing merges readably."""
    table = {i: bytes([i]) for i in range(256)}
    for (a, b), new_id in merges:
        table[new_id] = table[a] + table[b]
    return table


# --- metrics (done for you) ------------------------------------------------------------------
def measure(held_out: list[str], merges, smoke: bool) -> dict:
    text = "\n".join(held_out)
    ids = call_todo(encode, text, merges, placeholder=raw_bytes, smoke=smoke)
    n_words = len(text.split())
    upper_ids = call_todo(encode, text.upper(), merges, placeholder=raw_bytes, smoke=smoke)
    rng = random.Random(1234)  # fixed probe numbers: the same digits in every run
    numbers = " ".join(str(rng.randrange(10**6, 10**9)) for _ in range(50))
    digit_ids = call_todo(encode, numbers, merges, placeholder=raw_bytes, smoke=smoke)
    n_digits = sum(ch.isdigit() for ch in numbers)
    return {
        "vocab_size": 256 + len(merges),
        "merges_learned": len(merges),
        "held_out_tokens": len(ids),
        "bytes_per_token": round(len(text.encode("utf-8")) / max(1, len(ids)), 4),
        "tokens_per_word": round(len(ids) / max(1, n_words), 4),
        "uppercase_token_ratio": round(len(upper_ids) / max(1, len(ids)), 4),
        # spaces between the numbers are tokens too; subtract them so this is about digits
        "tokens_per_digit": round(max(0, len(digit_ids) - 49) / n_digits, 4),
    }


def reference_tokenizer_metrics(held_out: list[str]) -> dict:
    """Counts from a production tokenizer, when LAB_BACKEND=transformers (never in --smoke)."""
    if os.environ.get("LAB_BACKEND") != "transformers" or not os.environ.get("LAB_MODEL"):
        return {}
    from transformers import AutoTokenizer  # heavy and optional: imported only when asked for

    tok = AutoTokenizer.from_pretrained(os.environ["LAB_MODEL"])
    text = "\n".join(held_out)
    ids = tok.encode(text, add_special_tokens=False)
    return {
        "reference_vocab_size": len(tok),
        "reference_bytes_per_token": round(len(text.encode("utf-8")) / max(1, len(ids)), 4),
        "reference_tokens_per_word": round(len(ids) / max(1, len(text.split())), 4),
    }


def main() -> None:
    args = parse_args()
    random.seed(args.seed)
    config = {
        "num_merges": args.num_merges,
        "corpus": args.corpus,
        "held_out_fraction": args.held_out_fraction,
        "pretokenize_pattern": PRETOKENIZE_PATTERN,
        "backend": "none" if args.smoke else os.environ.get("LAB_BACKEND", "none"),
        "model": None if args.smoke else os.environ.get("LAB_MODEL"),
    }
    run_dir = start_run(args, config)
    sentences = load_sentences(args.corpus)
    train, held_out = split_train_held_out(sentences, args.held_out_fraction, args.seed)

    t0 = time.perf_counter()
    merges = train_bpe(train, args.num_merges, args.smoke)
    train_seconds = time.perf_counter() - t0

    metrics = measure(held_out, merges, args.smoke)
    metrics["train_seconds"] = round(train_seconds, 4)
    if not args.smoke:
        metrics.update(reference_tokenizer_metrics(held_out))

    table = token_bytes(merges)
    lines = [f"{i + 1:4d}  {table[a]!r} + {table[b]!r} -> {table[new]!r}" for i, ((a, b), new) in enumerate(merges)]
    (run_dir / "merges.txt").write_text("\n".join(lines) + "\n")
    finish_run(run_dir, metrics, SKIPPED)

    print(f"run record: {run_dir}")
    print("first merges:", *lines[:10], sep="\n  ") if lines else print("no merges learned")
    for key in ("vocab_size", "bytes_per_token", "tokens_per_word", "uppercase_token_ratio", "tokens_per_digit"):
        print(f"{key:>24}: {metrics[key]}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))



# --- my implementations of the TODO functions ---------------------------------------------------------------
def merge_pair(word, pair, new_id):
    out, i = [], 0
    while i < len(word):
        if word[i:i + 2] == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)

def encode(text, merges):
    word = tuple(text.encode("utf-8"))
    for pair, new_id in merges:
        word = merge_pair(word, pair, new_id)
    return list(word)

def count_pairs(words):
    counts = Counter()
    for word in words:
        for pair in zip(word, word[1:]):
            counts[pair] += 1
    return counts

def merge_pair(word, pair, new_id):
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(new_id)
        else:
            out.append(word[i])
        i += 1
    return tuple(out)


if __name__ == "__main__":
    main()
