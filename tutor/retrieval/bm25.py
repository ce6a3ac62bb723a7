"""Keyword scoring with BM25 (``rank-bm25``) over a light, deterministic analyser."""

from __future__ import annotations

import json
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


def searchable(metadatas: list[dict], documents: list[str]) -> list[str]:
    """What BM25 sees of each chunk: the section path and the text, not the lesson title (a
    title repeated in every chunk of a lesson would make its words worthless, IDF ~ 0, in a
    small course)."""
    return [f"{m['section']}.\n{doc}" for m, doc in zip(metadatas, documents)]


class KeywordIndex:
    """BM25 (Okapi, as ``rank-bm25`` computes it) over a fixed list of documents.

    ``rank-bm25`` fits the statistics (IDF, lengths); its per-term weights are then laid out
    once as a term x document matrix in compressed-row form (three numpy arrays), so scoring a
    query is a sum of a few rows instead of a Python loop over every document. The arrays are
    saved with the index snapshot (``arrays`` / ``from_arrays``), so a cold process scores
    without refitting and without importing rank-bm25.
    """

    def __init__(self, documents: list[str] | None = None):
        self.size = len(documents or ())
        self._terms: dict[str, int] = {}
        self._data = np.zeros(0, dtype=np.float32)
        self._indices = np.zeros(0, dtype=np.int32)
        self._indptr = np.zeros(1, dtype=np.int64)
        if documents:
            self._fit(documents)

    def _fit(self, documents: list[str]) -> None:
        from rank_bm25 import BM25Okapi

        corpus = [analyse(d) or ["\0"] for d in documents]
        bm25 = BM25Okapi(corpus)
        rows, cols, vals = [], [], []
        for doc, (freqs, length) in enumerate(zip(bm25.doc_freqs, bm25.doc_len)):
            norm = bm25.k1 * (1 - bm25.b + bm25.b * length / bm25.avgdl)
            for term, tf in freqs.items():
                rows.append(self._terms.setdefault(term, len(self._terms)))
                cols.append(doc)
                vals.append(bm25.idf.get(term, 0.0) * tf * (bm25.k1 + 1) / (tf + norm))
        order = np.lexsort((np.asarray(cols), np.asarray(rows)))
        self._indices = np.asarray(cols, dtype=np.int32)[order]
        self._data = np.asarray(vals, dtype=np.float32)[order]
        counts = np.bincount(np.asarray(rows, dtype=np.int64), minlength=len(self._terms))
        self._indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)

    def arrays(self) -> dict[str, np.ndarray]:
        """The fitted index as plain arrays (no pickling) for ``np.savez``."""
        terms = sorted(self._terms, key=self._terms.__getitem__)
        return {"bm25_terms": np.array(json.dumps(terms, ensure_ascii=False)),
                "bm25_size": np.array(self.size, dtype=np.int64),
                "bm25_data": self._data, "bm25_indices": self._indices, "bm25_indptr": self._indptr}

    @classmethod
    def from_arrays(cls, arrays) -> "KeywordIndex":
        """The index ``arrays`` describes; ValueError when they do not form one."""
        index = cls()
        terms = json.loads(str(arrays["bm25_terms"]))
        index.size = int(arrays["bm25_size"])
        index._data = np.ascontiguousarray(arrays["bm25_data"], dtype=np.float32)
        index._indices = np.ascontiguousarray(arrays["bm25_indices"], dtype=np.int32)
        index._indptr = np.ascontiguousarray(arrays["bm25_indptr"], dtype=np.int64)
        ptr = index._indptr
        if (not isinstance(terms, list) or len(ptr) != len(terms) + 1 or ptr[0] != 0
                or ptr[-1] != len(index._data) or len(index._data) != len(index._indices)
                or np.any(np.diff(ptr) < 0)
                or (len(index._indices) and (index._indices.min() < 0 or index._indices.max() >= index.size))):
            raise ValueError("not a BM25 index")
        index._terms = {str(t): i for i, t in enumerate(terms)}
        return index

    def scores(self, query: str) -> np.ndarray:
        """One score per document; a query term repeated counts again, as in rank-bm25."""
        out = np.zeros(self.size, dtype=np.float32)
        for term in analyse(query):
            row = self._terms.get(term)
            if row is not None:
                start, end = self._indptr[row], self._indptr[row + 1]
                out[self._indices[start:end]] += self._data[start:end]  # a row names each doc once
        return out
