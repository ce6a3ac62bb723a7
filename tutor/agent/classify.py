"""Which intent a learner turn has: deterministic patterns, then nearest prototypes.

The outsourcing detector (``outsourcing.py``) runs first and wins: a model can be talked
around, a pattern cannot. Then strong patterns (a traceback is a debug turn whatever else it
says), then the nearest example messages from ``intent_prototypes.yaml`` by embedding, the
same vector that retrieval and misconception matching use (the message is embedded once).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from tutor.agent.outsourcing import Detection, detect_outsourcing
from tutor.agent.vector_cache import encode_cached

PROTOTYPES_FILE = Path(__file__).with_name("intent_prototypes.yaml")

# In priority order: the first intent whose pattern matches wins.
PATTERNS: list[tuple[str, str]] = [
    ("debug", r"traceback \(most recent call last\)|^\s*file \".+\", line \d+|\b\w+(?:error|exception)\b\s*:|"
              r"\b(?:nan|inf)\b|out of memory|\boom\b|\bcrash(?:es|ed|ing)?\b|\bsegfault|\bkilled\b|"
              r"\bstack ?trace\b|\bwarning:|\bdoesn'?t (?:work|run|converge|match)\b|\bnot (?:working|converging|decreasing|matching)\b|"
              r"\b(?:is|are|looks?|comes? out|seems?) (?:wrong|off|broken)\b|\bwrong (?:shape|result|answer|output|number|values?)\b|"
              r"\bcan'?t be right\b|\bexplod|\bdiverg|\bhangs?\b|\bstuck at\b|\bbug\b|\bdebug\b|\berror\b|\bfails?\b|\bfailing\b|"
              r"\bwhy (?:does|is) my\b|\bmy \w+ (?:is|are|returns?|gives?) \w+|\bgives? different\b|"
              r"\bdifferent (?:ids|results|numbers|values|outputs?)\b|\bstill (?:says|shows|fails|gives|returns|prints)\b|"
              r"\bwrong place\b|\bdon'?t (?:sum|add up)\b|\bdoesn'?t (?:sum|add up)\b"),
    ("progress", r"\bprogress\b|\bwhere (?:am i|are we|was i|were we|did we (?:leave|stop))\b|\bwhat'?s next\b|"
                 r"\bwhat (?:did|have) (?:we|i) (?:do|done|cover|covered|finish|finished)\b|\blast time\b|"
                 r"\bwhich lessons? (?:have|did) i\b|\bhow far\b|\bmy status\b|\bnext steps\b|\bleft off\b|"
                 r"\bopen misconceptions\b|\bwhat (?:should|do) i do next\b"),
    ("assess", r"\bquiz\b|\btest me\b|\btest my (?:understanding|knowledge)\b|\bcheck my understanding\b|"
               r"\bself-?check\b|\bask me (?:a|some|another)\b|\bhow (?:will|is|would) (?:my|the) .{0,30}\bgrad(?:ed|ing)\b|"
               r"\brubric\b|\breview my (?:approach|answer|understanding|reasoning|explanation)\b|"
               r"\bis my (?:answer|explanation|reasoning|understanding) (?:right|correct)\b|\bgrade my\b|"
               r"\bcheck my (?:reasoning|answer|explanation)\b"),
    ("experiment_design", r"\bexperiments?\b|\bbaseline\b|\bcontrol (?:run|group|condition)\b|\bcontrols?\b(?= (?:should|for|to|next))|"
                          r"\bhold(?:ing)? fixed\b|\bheld fixed\b|\bhow many (?:runs|seeds|repeats|repetitions|trials)\b|"
                          r"\bseeds?\b|\brepeats?\b|\bablation\b|\bconfound|\bsweep\b|\bhypothes[ie]s\b|"
                          r"\bplan (?:my|the) runs\b|\bwhat should i (?:log|record|measure)\b|\bfair (?:comparison|test)\b|"
                          r"\bcontrolled comparison\b|\bcomparison (?:is )?fair\b|\bwhich (?:values|temperatures|ranks|settings) should i\b|"
                          r"\bheld? fixed\b|\bwhat else should be held\b|\bfair(?:ly)? (?:way to )?compar|"
                          r"\bmy plan\b|\bplan:"),
    ("scaffold", r"\bwhere (?:do|should) i (?:start|begin)\b|\bstart(?:ing)? (?:with )?the lab\b|\bchecklist\b|\bskeleton\b|"
                 r"\btemplate\b|\btable layout\b|\bhints?\b|\btodos?\b|\binputs? and outputs?\b|\bsupposed to do\b|"
                 r"\b(?:need|have) to (?:do|return|take)\b|\bshould (?:it|\w+_\w+) return\b|\bnotes(?:\.md)? (?:say|headings|structure|sections?)\b|"
                 r"\bstructure my\b|\bheadings\b|\bwhat (?:kind of )?(?:things )?goes? in\b|\bhow do i write a test\b|"
                 r"\boutline\b|\bscaffold\b|\bsignatures?\b|\bwhat are the steps\b|\bfirst step\b|\bhow should i write\b|"
                 r"\bwhat does (?:the )?(?:next|first) todo\b|\btake and return\b|"
                 r"\bwhat does \w+_\w+ (?:take|return|do|need|expect)\b|\bsteps\b.{0,40}\b(?:follow|implement)\b"),
    ("concept", r"\bwhat (?:is|are|'s|does|do)\b|\bwhat's\b|\bwhy\b|\bhow (?:does|do|is|are|can|would)\b|\bexplain\b|"
                r"\bdifference\b|\btell me about\b|\bmeaning of\b|\bintuition\b|\bformula\b|\bexample of\b|\bshow me how\b|"
                r"\bconfused\b|\bi don'?t (?:get|understand)\b|\bwhen do\b|\bis it true\b|\bwalk me through\b"),
]
FOLLOW_UP = re.compile(r"^\W*(?:and\s+)?(?:continue|go on|tell me more|more|more please|why|how so|how|really|"
                       r"an? example|example|e\.g\.|what else|and then|such as|like what|elaborate)\W*$", re.I)
DEBUG_STRONG = re.compile(r"traceback \(most recent call last\)|^\s*file \".+\", line \d+|\b\w+(?:error|exception)\s*:", re.M)


@dataclass
class Classification:
    intent: str
    source: str  # outsourcing | pattern | prototype | model | context | fallback
    outsourcing: Detection | None = None
    prototype: tuple[str, float] | None = None
    notes: list[str] = field(default_factory=list)


class IntentPrototypes:
    """The example messages of ``intent_prototypes.yaml``, embedded once per embedder."""

    _cache: dict[str, "IntentPrototypes"] = {}
    _lock = threading.Lock()

    def __init__(self, embedder, path: Path = PROTOTYPES_FILE):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.labels = [intent for intent, examples in data.items() for _ in examples]
        self.texts = [text for examples in data.values() for text in examples]
        self.vectors = encode_cached(embedder, self.texts)

    @classmethod
    def for_embedder(cls, embedder) -> "IntentPrototypes":
        key = getattr(embedder, "model_path", str(id(embedder)))
        with cls._lock:
            if key not in cls._cache:
                cls._cache[key] = cls(embedder)
            return cls._cache[key]

    def nearest(self, vector: np.ndarray, k: int = 3) -> tuple[str, float]:
        """The intent with the highest mean similarity over its k nearest examples."""
        sims = self.vectors @ np.asarray(vector, dtype=np.float32)
        best: dict[str, float] = {}
        for intent in set(self.labels):
            mine = np.sort(sims[[i for i, label in enumerate(self.labels) if label == intent]])[::-1][:k]
            best[intent] = float(mine.mean())
        intent = max(best, key=best.get)
        return intent, best[intent]


def pattern_intent(message: str) -> str | None:
    text = message.lower()
    if DEBUG_STRONG.search(text):
        return "debug"
    for intent, pattern in PATTERNS:
        if re.search(pattern, text, re.M):
            return intent
    return None


def _names_stub(message: str, stubs) -> bool:
    return bool(set(re.findall(r"\w+", message.lower())) & {s.lower() for s in stubs})


def course_words_in(message: str, vocabulary: frozenset[str] | set[str]) -> int:
    return sum(1 for w in set(re.findall(r"[a-z][a-z0-9_\-]{2,}", message.lower())) if w in vocabulary)


def classify(
    message: str,
    *,
    stubs: set[str] | frozenset = frozenset(),
    extra_phrases: list[str] | tuple = (),
    previous_outsourcing: bool = False,
    vector: np.ndarray | None = None,
    prototypes: IntentPrototypes | None = None,
    vocabulary: frozenset[str] | set[str] | None = None,
    quiz_pending: bool = False,
    has_history: bool = False,
) -> Classification:
    """The intent of one learner turn, without any model."""
    detection = detect_outsourcing(message, stubs=stubs, extra_phrases=extra_phrases,
                                   previous_outsourcing=previous_outsourcing)
    if detection:
        return Classification(detection.kind, "outsourcing", detection)
    nearest = prototypes.nearest(vector) if prototypes is not None and vector is not None else None
    on_course = vocabulary is None or course_words_in(message, vocabulary) > 0 or bool(
        set(re.findall(r"\w+", message.lower())) & {s.lower() for s in stubs})
    intent = pattern_intent(message)
    if has_history and FOLLOW_UP.match(message):
        return Classification("concept", "context", prototype=nearest, notes=["follow-up to the last topic"])
    if nearest is not None and nearest[0] == "off_topic" and nearest[1] >= 0.45 and intent not in ("debug", "progress"):
        strong = course_words_in(message, vocabulary) if vocabulary is not None else 0
        if strong <= 1 and not _names_stub(message, stubs):
            return Classification("off_topic", "prototype", prototype=nearest)
    if quiz_pending and intent in (None, "concept") and not message.rstrip().endswith("?"):
        return Classification("assess", "context", prototype=nearest, notes=["answer to the pending quiz question"])
    if intent == "concept" and nearest is not None and nearest[0] not in ("concept", "off_topic") and nearest[1] >= 0.5:
        # the concept patterns are the loosest ("what", "why", "formula"): a confident prototype wins
        return Classification(nearest[0], "prototype", prototype=nearest)
    if intent and (on_course or intent in ("progress", "debug", "assess")):
        return Classification(intent, "pattern", prototype=nearest)
    if nearest is not None:
        label, score = nearest
        if not on_course:
            return Classification("off_topic", "prototype", prototype=nearest)
        if label != "off_topic" and score >= 0.30:
            return Classification(label, "prototype", prototype=nearest)
    if not on_course:
        return Classification("off_topic", "fallback", prototype=nearest)
    return Classification("concept", "fallback", prototype=nearest)
