"""Match what a learner says against the misconception catalogue.

Candidates are the current lesson's misconceptions and its prerequisites'. A match needs a
statement (a neutral question is never flagged: "does the KV cache store queries?" is
curiosity, "so the cache stores queries" is a belief), and either one of the entry's cue
phrases or an embedding close enough to the belief or a cue. The threshold was calibrated
on tests/agent/misconception_calibration.yaml (bench/agent_eval.py --misconceptions prints
precision and recall at it).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np

from tutor.agent.course_view import CatalogueEntry, CourseView
from tutor.agent.vector_cache import encode_cached

# Cosine to a belief or cue. A sentence-embedding model hardly sees negation ("attention is
# blind to order" sits close to "attention knows order"), so a match also has to be closer to
# the belief than to the catalogue's correction, and below STRONG it needs words that state a
# belief ("so", "always", "I think", ...). Chosen on tests/agent/misconception_calibration.yaml.
THRESHOLD = 0.60
STRONG = 0.72
CONTRAST = 0.05  # belief similarity minus correction similarity, at least
MARGIN = 0.02  # the best entry must beat the runner-up from another lesson by this much

# Words that turn a question into a stated belief ("the cache stores queries, right?").
HOLDS_BELIEF = re.compile(
    r"\b(?:i think|i thought|i believe|i assume|i guess|i'm pretty sure|i am sure|i read that|i heard|my understanding|"
    r"isn'?t it|doesn'?t it|don'?t they|aren'?t they|right\?|correct\?|surely|obviously)")
# Words that make a statement sound like a belief rather than a report or a paraphrase.
BELIEF_MARKERS = re.compile(
    r"\b(?:i think|i thought|i believe|i assume|i guess|i'm pretty sure|i am sure|i read that|i heard|my understanding|"
    r"so basically|basically|obviously|surely|clearly|which means|that means|so the|so it|so a|so we|so if|so with|"
    r"so i|so for|so my|must be|always|never|exactly|guaranteed|certainly|just|because|since|in every|"
    r"no (?:effect|cost|downside|difference)|doesn'?t matter|for free|simply)\b")
NEGATION = re.compile(r"\b(?:not|no|never|nothing|without|cannot|can'?t|doesn'?t|don'?t|isn'?t|aren'?t|won'?t|blind|neither)\b|n't\b")
REPORT = re.compile(r"^\s*(?:i (?:measured|ran|got|logged|recorded|am working|'m working|want to|plan to|will)|my (?:runs?|results?|numbers?|tokenizer|model) (?:reach|show|gave|got|is|are))\b", re.I)
QUESTION_START = re.compile(
    r"^\s*(?:what|whats|what's|why|how|when|where|which|who|whom|does|do|did|is|are|was|were|can|could|should|would|will|"
    r"explain|tell me|describe|show me|walk me|define|compare)\b", re.I)
GOT_IT = re.compile(r"^\W*(?:ok(?:ay)?|got it|makes sense|that makes sense|i see|i get it|understood|clear|"
                    r"thanks|thank you|yes|yep|right|cool|great|sure)\b", re.I)


# A statement that uses the opposite of a belief's key word agrees with the correction:
# "they can disagree" against "always agree", "a variable number" against "a fixed number".
OPPOSITES = {
    "same": ("different", "differ", "disagree", "vary", "varies", "variable"),
    "always": ("can", "sometimes", "depends", "depending", "unless", "still", "not always"),
    "fixed": ("variable", "varies", "depends", "depending"),
    "identical": ("different", "differ"),
    "agree": ("disagree", "differ"),
    "equally": ("worse", "degrade", "depends"),
    "ignores": ("changes", "different"),
    "costs the same": ("slower", "grows", "grow"),
    "no effect": ("cost", "costs", "lose", "loses"),
    "multiplies": ("same", "split", "stays"),
    "rid of": ("still needs", "needs"),
    "whole sequence": ("only counts", "only the response", "mask"),
    "one word": ("several tokens", "many tokens", "undercount"),
}


def _stems(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z][a-z0-9]+", text.lower()) if len(w) > 2}


def agrees_with_correction(text: str, entry, paraphrase: bool = True) -> bool:
    """The learner says what the correction says, in other words (not the belief). With
    ``paraphrase=False`` only an opposite word counts: a catalogued cue phrase is the belief in
    the learner's words, and sharing a few words with the correction does not undo it."""
    low = text.lower()
    belief = entry.belief.lower()
    for word, opposites in OPPOSITES.items():
        if re.search(rf"\b{word}\b", belief) and any(
                re.search(rf"\b{o}\b", low) and not re.search(rf"\b{o}\b", belief) for o in opposites):
            return True
    if not paraphrase:
        return False
    mine, said, true = _stems(text), _stems(entry.belief), _stems(entry.correction)
    return len(mine & (true - said)) >= 2 and len(mine & (true - said)) > len(mine & (said - true))


@dataclass(frozen=True)
class Match:
    entry: CatalogueEntry
    score: float
    how: str  # "cue" | "embedding" | "model"
    prerequisite: bool


def is_neutral_question(message: str) -> bool:
    text = message.strip().lower()
    asks = text.endswith("?") or bool(QUESTION_START.match(text))
    return asks and not HOLDS_BELIEF.search(text)


def _cue_usable(cue: str) -> bool:
    """Cues phrased as questions ("why is B zero") describe curiosity, not a belief."""
    return not QUESTION_START.match(cue) and not cue.strip().endswith("?")


def _could_state_a_belief(message: str) -> bool:
    return not (is_neutral_question(message) or len(message.split()) < 4 or REPORT.match(message))


def cue_match(view: CourseView, message: str, lesson: int) -> Match | None:
    """A catalogue cue phrase ("cache the attention") of this lesson or a prerequisite, said
    verbatim; needs no embedding."""
    if not _could_state_a_belief(message):
        return None
    return _cued(view, " ".join(message.lower().split()), lesson, [lesson, *view.prerequisites(lesson)])


def _cued(view: CourseView, text: str, lesson: int, lessons: list[int]) -> Match | None:
    for entry in view.catalogue:
        if entry.lesson in lessons:
            for cue in entry.cues:
                if _cue_usable(cue) and cue.lower() in text and not agrees_with_correction(text, entry, paraphrase=False):
                    return Match(entry, 1.0, "cue", entry.lesson != lesson)
    return None


class Catalogue:
    """Belief and cue embeddings of the whole course, computed once per course and embedder."""

    _cache: dict[tuple[int, str], "Catalogue"] = {}
    _lock = threading.Lock()

    def __init__(self, view: CourseView, embedder):
        self.view = view
        self.rows: list[tuple[CatalogueEntry, str]] = []
        for entry in view.catalogue:
            self.rows.append((entry, entry.belief))
            self.rows.extend((entry, cue) for cue in entry.cues if _cue_usable(cue))
        self.corrections = {entry.id: i for i, entry in enumerate(view.catalogue)}
        texts = [text for _, text in self.rows] + [entry.correction for entry in view.catalogue]
        vectors = encode_cached(embedder, texts) if texts else np.zeros((0, 1), np.float32)
        self.vectors = vectors[: len(self.rows)]
        self.correction_vectors = vectors[len(self.rows):]

    @classmethod
    def for_view(cls, view: CourseView, embedder) -> "Catalogue":
        key = (id(view.course), getattr(embedder, "model_path", str(id(embedder))))
        with cls._lock:
            if key not in cls._cache:
                cls._cache[key] = cls(view, embedder)
            return cls._cache[key]

    def match(self, message: str, vector: np.ndarray | None, lesson: int, threshold: float = THRESHOLD) -> Match | None:
        if not _could_state_a_belief(message):
            return None
        lessons = [lesson, *self.view.prerequisites(lesson)]
        text = " ".join(message.lower().split())
        cued = _cued(self.view, text, lesson, lessons)
        if cued is not None:
            return cued
        if vector is None or not len(self.rows):
            return None
        vector = np.asarray(vector, dtype=np.float32)
        sims = self.vectors @ vector
        best: dict[str, tuple[float, CatalogueEntry]] = {}
        for (entry, _), sim in zip(self.rows, sims):
            if entry.lesson in lessons and sim > best.get(entry.id, (-1.0, entry))[0]:
                best[entry.id] = (float(sim), entry)
        if not best:
            return None
        ranked = sorted(best.values(), key=lambda t: -t[0])
        score, entry = ranked[0]
        if score < threshold:
            return None
        if len(ranked) > 1 and ranked[1][1].id != entry.id and score - ranked[1][0] < MARGIN and ranked[1][1].lesson != entry.lesson:
            return None
        correction = float(self.correction_vectors[self.corrections[entry.id]] @ vector)
        if score - correction < CONTRAST:
            return None
        if score < max(STRONG, threshold) and not BELIEF_MARKERS.search(text):
            return None
        if bool(NEGATION.search(text)) != bool(NEGATION.search(entry.belief.lower())):
            return None  # "attention is blind to order" is the correction, not the belief
        if agrees_with_correction(text, entry):
            return None  # "we mask the prompt so the loss counts the response" says the correction
        return Match(entry, score, "embedding", entry.lesson != lesson)

    def scores(self, message_vectors: np.ndarray, lessons: list[int] | None = None) -> np.ndarray:
        """Best belief/cue cosine per message (for calibration)."""
        keep = [i for i, (entry, _) in enumerate(self.rows) if lessons is None or entry.lesson in lessons]
        return (message_vectors @ self.vectors[keep].T).max(axis=1)


def answered_or_acknowledged(message: str) -> bool:
    return bool(GOT_IT.match(message)) or (not is_neutral_question(message) and len(message.split()) >= 3)
