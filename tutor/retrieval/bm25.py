"""Keyword scoring with BM25 (``rank-bm25``) over a light, deterministic analyser."""

from __future__ import annotations

import re

import numpy as np

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")

# Function words and question words a learner types that say nothing about the topic.
STOPWORDS = frozenset("""
a an and are as at be been being but by can could did do does doing done for from had has have
how i if in into is it its just me more most my no not of on or our so some such than that the
their them then there these they this those to too up us was we were what when where which
while who whom why will with would you your yours am very much many also any each should shall
may might must about after before again over under between out off via per vs get gets got
one ones way ways thing things really actually something explain tell mean means happen happens
""".split())


def stem(word: str) -> str:
    """Fold common English endings so 'merges', 'merged' and 'merging' meet at 'merg'."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ness", ""), ("ments", ""), ("ment", ""),
                         ("ings", ""), ("ing", ""), ("edly", ""), ("ed", ""), ("es", ""), ("s", ""),
                         ("ly", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: -len(suffix)] + keep
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def analyse(text: str) -> list[str]:
    """Lower-cased, stop words out, stemmed; hyphenated terms also give their parts."""
    terms: list[str] = []
    for token in _WORD.findall(text.lower()):
        parts = re.split(r"[-']", token)
        for part in ([token.replace("'", "")] if len(parts) > 1 else []) + parts:
            if part and part not in STOPWORDS and (len(part) > 1 or part.isdigit()):
                terms.append(stem(part))
    return terms


class KeywordIndex:
    """BM25 (Okapi, as ``rank-bm25`` computes it) over a fixed list of documents.

    ``rank-bm25`` fits the statistics (IDF, lengths); its per-term weights are then laid out
    once as a sparse term x document matrix, so scoring a query is a sum of a few sparse
    rows instead of a Python loop over every document.
    """

    def __init__(self, documents: list[str]):
        from rank_bm25 import BM25Okapi
        from scipy.sparse import csr_matrix

        self.size = len(documents)
        self._terms: dict[str, int] = {}
        self._weights = None
        if not documents:
            return
        corpus = [analyse(d) or ["\0"] for d in documents]
        bm25 = BM25Okapi(corpus)
        rows, cols, vals = [], [], []
        for doc, (freqs, length) in enumerate(zip(bm25.doc_freqs, bm25.doc_len)):
            norm = bm25.k1 * (1 - bm25.b + bm25.b * length / bm25.avgdl)
            for term, tf in freqs.items():
                row = self._terms.setdefault(term, len(self._terms))
                rows.append(row)
                cols.append(doc)
                vals.append(bm25.idf.get(term, 0.0) * tf * (bm25.k1 + 1) / (tf + norm))
        self._weights = csr_matrix((vals, (rows, cols)), shape=(len(self._terms), self.size), dtype=np.float64)

    def scores(self, query: str) -> np.ndarray:
        """One score per document; a query term repeated counts again, as in rank-bm25."""
        rows = [self._terms[t] for t in analyse(query) if t in self._terms]
        if self._weights is None or not rows:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._weights[rows].sum(axis=0), dtype=np.float32).ravel()
