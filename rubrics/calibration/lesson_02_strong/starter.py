"""Lesson 2 lab: a tiny semantic search, and how the similarity function and the embedding
method change what it finds.

Read top to bottom. The documents, queries, relevance labels, the bag-of-words and LSA
embedders, the metrics and the run record are done for you. The three functions marked TODO
are the decisions you make.

    python starter.py --smoke                                  # offline, seconds
    python starter.py --embedder bow --similarity dot          # experiment 1: similarity
    python starter.py --embedder lsa --similarity cosine       # experiment 2: embedder

The sentence-transformer embedder (never in --smoke) needs the sentence-transformers package
and a model on disk or downloadable: LAB_EMBED_MODEL=<path or id> (default all-MiniLM-L6-v2).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

LESSON = 2

# 30 documents in 6 topics. A few are deliberately long and wordy: watch them under dot product.
DOCUMENTS = [
    ("cooking", "Simmer the tomato sauce slowly with garlic and basil."),
    ("cooking", "Knead the bread dough until it is smooth, then let it rise."),
    ("cooking", "Sear the steak in a hot pan and rest it before slicing."),
    ("cooking", "Whisk eggs and sugar until pale for a light sponge cake."),
    ("cooking", "A long recipe note: when you roast vegetables, cut them into even pieces, toss them "
                "in oil and salt, spread them out on the tray so they do not steam, roast them hot, turn "
                "them once, and taste them before serving because ovens and vegetables vary a lot."),
    ("astronomy", "The telescope captured faint light from a distant galaxy."),
    ("astronomy", "Mars has two small moons called Phobos and Deimos."),
    ("astronomy", "A supernova is the explosive death of a massive star."),
    ("astronomy", "Planets orbit the sun on nearly flat elliptical paths."),
    ("astronomy", "An observing log: on a clear night you set up the mount, align it on a bright star, "
                  "let the optics cool, and then you can follow the planets and the moon across the "
                  "sky for hours while you note what you see and how the seeing changes."),
    ("football", "The striker scored a late goal to win the match."),
    ("football", "The goalkeeper saved a penalty in the final minute."),
    ("football", "Both teams pressed high and the midfield was crowded."),
    ("football", "The referee showed a red card after a dangerous tackle."),
    ("football", "A season review: the club changed its coach in the winter, the players adapted to a "
                 "new system with more passing, the fans were patient, and by the spring the team was "
                 "winning at home and away and climbing the table week after week."),
    ("programming", "The function returns a list sorted by key."),
    ("programming", "A null pointer dereference crashed the server process."),
    ("programming", "Write unit tests before refactoring the parser module."),
    ("programming", "The compiler reported a type error on line twelve."),
    ("programming", "A code review comment: when you change the interface, update the callers, run the "
                    "tests, check the logs for warnings, and write down in the pull request what you "
                    "changed and why so that the next person can follow the reasoning."),
    ("gardening", "Water the tomato seedlings early in the morning."),
    ("gardening", "Prune the roses in late winter to encourage new growth."),
    ("gardening", "Compost adds nutrients and improves the structure of the soil."),
    ("gardening", "Slugs ate the young lettuce leaves overnight."),
    ("gardening", "A planting plan: in spring you dig the beds, add compost, sow the seeds in rows, keep "
                  "the soil moist, thin the seedlings when they come up, and in summer you water in the "
                  "evening and pick what is ripe every few days."),
    ("finance", "The central bank raised interest rates to curb inflation."),
    ("finance", "Diversify your portfolio across stocks and bonds."),
    ("finance", "The company reported higher quarterly revenue and profit."),
    ("finance", "Compound interest makes savings grow faster over time."),
    ("finance", "A budgeting guide: list what comes in and what goes out each month, set aside money "
                "for emergencies first, pay down the debts with the highest rates, and only then think "
                "about what to invest in and for how long."),
]
# Queries, mostly paraphrases with little word overlap. Relevant = every document of the topic.
QUERIES = [
    ("cooking", "how do I make a pasta sauce"),
    ("cooking", "baking a fluffy dessert"),
    ("astronomy", "what happens when a huge star dies"),
    ("astronomy", "moons of the red planet"),
    ("football", "keeper stops a spot kick"),
    ("football", "player sent off for a foul"),
    ("programming", "my program crashed with a segfault"),
    ("programming", "testing code before restructuring it"),
    ("gardening", "looking after young plants"),
    ("gardening", "pests eating my salad greens"),
    ("finance", "why did borrowing costs go up"),
    ("finance", "spreading investments to lower risk"),
]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny offline CPU run that skips unfinished TODOs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs-dir", default="runs", help="where run records go (TUTOR_RUN_DIR wins when set)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON at the end")
    p.add_argument("--embedder", default="bow", choices=["random", "bow", "tfidf", "lsa", "sentence-transformer"])
    p.add_argument("--similarity", default="cosine", choices=["dot", "cosine", "euclidean"])
    p.add_argument("--k", type=int, default=3, help="cut-off for precision@k and hit rate@k")
    p.add_argument("--lsa-dim", type=int, default=12, help="dimensions kept by LSA")
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
def idf_weights(doc_counts: np.ndarray) -> np.ndarray:
    """Inverse document frequency of every word, from a (documents x words) count matrix.

    Return a vector of shape (n_words,). The plain formula is idf(w) = log(N / df(w)) with N
    documents and df(w) the number of documents where w occurs at least once. Choose your
    variant (plain, or smoothed: log((1 + N) / (1 + df)) + 1) and write it down in notes.md.
    TF-IDF is then counts * idf (done for you), for documents and queries alike.
    Check: a word present in every document gets weight 0 with the plain formula.
    """
    raise NotImplementedError("TODO: inverse document frequency of every word")


def similarity_matrix(queries: np.ndarray, docs: np.ndarray, kind: str) -> np.ndarray:
    """Score every query against every document: shape (n_queries, n_docs), higher = closer.

    kind is "dot", "cosine" or "euclidean". For euclidean return the NEGATIVE distance so
    that higher still means closer. Guard against zero-length vectors in cosine.
    Check: cosine of a vector with itself is 1.0; euclidean of a vector with itself is 0.0.
    """
    raise NotImplementedError("TODO: dot product, cosine similarity and negative Euclidean distance")


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores in each row, best first: shape (n_queries, k).

    Decide how ties are broken and make it deterministic (np.argsort with kind="stable" helps).
    Check: top_k(np.array([[0.1, 0.9, 0.5]]), 2) -> [[1, 2]].
    """
    raise NotImplementedError("TODO: rank documents by score and keep the best k")


# --- placeholders used only in --smoke mode while a TODO is unfinished ---------------------
def uniform_idf(doc_counts):  # every word weighted 1: TF-IDF degenerates to bag of words
    return np.ones(doc_counts.shape[1])


def raw_dot(queries, docs, kind):
    return queries @ docs.T


def first_k(scores, k):  # ignores the scores entirely: a deliberately useless ranking
    return np.tile(np.arange(k), (scores.shape[0], 1))


# --- embedders (done for you, except the TF-IDF weighting) ---------------------------------
def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def count_matrix(texts: list[str], vocab: dict[str, int]) -> np.ndarray:
    m = np.zeros((len(texts), len(vocab)))
    for i, text in enumerate(texts):
        for w, c in Counter(words(text)).items():
            if w in vocab:
                m[i, vocab[w]] = c
    return m


def embed(embedder: str, docs: list[str], queries: list[str], args, smoke: bool) -> tuple[np.ndarray, np.ndarray]:
    """Document and query vectors for one embedding method. Vocabulary comes from the documents."""
    vocab = {w: i for i, w in enumerate(sorted({w for d in docs for w in words(d)}))}
    d_counts, q_counts = count_matrix(docs, vocab), count_matrix(queries, vocab)
    if embedder == "random":  # the baseline: vectors unrelated to the text
        rng = np.random.default_rng(args.seed)
        return rng.normal(size=(len(docs), 64)), rng.normal(size=(len(queries), 64))
    if embedder == "bow":
        return d_counts, q_counts
    # idf comes from the documents only: queries must not change the weights of the index
    idf = call_todo(idf_weights, d_counts, placeholder=uniform_idf, smoke=smoke)
    d_w, q_w = d_counts * idf, q_counts * idf
    if embedder == "tfidf":
        return d_w, q_w
    if embedder == "lsa":  # truncated SVD of the document TF-IDF matrix; queries are folded in
        u, s, vt = np.linalg.svd(d_w, full_matrices=False)
        r = min(args.lsa_dim, len(s))
        return d_w @ vt[:r].T, q_w @ vt[:r].T
    if embedder == "sentence-transformer":
        from sentence_transformers import SentenceTransformer  # heavy and optional

        model = SentenceTransformer(os.environ.get("LAB_EMBED_MODEL", "sentence-transformers/all-MiniLM-L6-v2"))
        return model.encode(docs), model.encode(queries)
    raise ValueError(f"unknown embedder {embedder}")


# --- metrics (done for you) ------------------------------------------------------------------
def evaluate(ranked: np.ndarray, scores: np.ndarray, doc_topics, query_topics, doc_lengths, k: int) -> dict:
    relevant = np.array([[dt == qt for dt in doc_topics] for qt in query_topics])
    top = ranked[:, :k]
    hits = np.take_along_axis(relevant, top, axis=1)
    full_order = np.argsort(-scores, axis=1, kind="stable")  # for MRR we need the first relevant rank
    first_rel = [next((r + 1 for r, d in enumerate(row) if relevant[q, d]), None) for q, row in enumerate(full_order)]
    long_docs = set(np.argsort(doc_lengths)[-max(1, len(doc_lengths) // 4):].tolist())
    irrelevant_scores = scores[~relevant]
    return {
        "precision_at_k": round(float(hits.mean()), 4),
        "hit_rate_at_k": round(float(hits.any(axis=1).mean()), 4),
        "mrr": round(float(np.mean([1 / r if r else 0.0 for r in first_rel])), 4),
        "random_precision_baseline": round(float(relevant.mean()), 4),
        "long_doc_top1_share": round(float(np.mean([int(t) in long_docs for t in ranked[:, 0]])), 4),
        "mean_irrelevant_score": round(float(irrelevant_scores.mean()), 4),
        "per_query_first_relevant_rank": [r or 0 for r in first_rel],
    }


def main() -> None:
    args = parse_args()
    np.random.seed(args.seed)
    embedder = "bow" if args.smoke and args.embedder == "sentence-transformer" else args.embedder
    config = {"embedder": embedder, "similarity": args.similarity, "k": args.k, "lsa_dim": args.lsa_dim,
              "n_documents": len(DOCUMENTS), "n_queries": len(QUERIES),
              "embed_model": os.environ.get("LAB_EMBED_MODEL") if embedder == "sentence-transformer" else None}
    run_dir = start_run(args, config)

    doc_texts, query_texts = [d for _, d in DOCUMENTS], [q for _, q in QUERIES]
    doc_vecs, query_vecs = embed(embedder, doc_texts, query_texts, args, args.smoke)
    scores = call_todo(similarity_matrix, np.asarray(query_vecs, float), np.asarray(doc_vecs, float),
                       args.similarity, placeholder=raw_dot, smoke=args.smoke)
    ranked = call_todo(top_k, scores, len(doc_texts), placeholder=first_k, smoke=args.smoke)
    metrics = evaluate(np.asarray(ranked), scores, [t for t, _ in DOCUMENTS], [t for t, _ in QUERIES],
                       np.array([len(words(d)) for d in doc_texts]), args.k)
    finish_run(run_dir, metrics, SKIPPED)

    print(f"run record: {run_dir}")
    print(f"embedder={embedder} similarity={args.similarity} k={args.k}")
    for key in ("precision_at_k", "hit_rate_at_k", "mrr", "random_precision_baseline", "long_doc_top1_share",
                "mean_irrelevant_score"):
        print(f"{key:>26}: {metrics[key]}")
    for (topic, q), row in zip(QUERIES, np.asarray(ranked)[:, : args.k]):
        print(f"  [{topic:>11}] {q!r:45} -> {[DOCUMENTS[i][0] for i in row]}")
    if args.json:
        print(json.dumps({**metrics, "todo_skipped": SKIPPED}))



# --- my implementations of the TODO functions ---------------------------------------------------------------
def idf_weights(doc_counts):
    n_docs = doc_counts.shape[0]
    df = (doc_counts > 0).sum(axis=0)
    return np.log((1 + n_docs) / (1 + df)) + 1.0


def similarity_matrix(queries, docs, kind):
    if kind == "dot":
        return queries @ docs.T
    if kind == "cosine":
        qn = np.linalg.norm(queries, axis=1, keepdims=True)
        dn = np.linalg.norm(docs, axis=1, keepdims=True)
        return (queries / np.maximum(qn, 1e-12)) @ (docs / np.maximum(dn, 1e-12)).T
    if kind == "euclidean":
        diff = queries[:, None, :] - docs[None, :, :]
        return -np.sqrt((diff ** 2).sum(axis=-1))
    raise ValueError(kind)


def top_k(scores, k):
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


if __name__ == "__main__":
    main()
