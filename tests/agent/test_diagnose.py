"""Misconception matching: calibrated on tests/agent/misconception_calibration.yaml."""

from pathlib import Path

import pytest
import yaml

from tutor.agent.diagnose import Catalogue, is_neutral_question

DATA = yaml.safe_load((Path(__file__).parent / "misconception_calibration.yaml").read_text())


@pytest.fixture(scope="module")
def catalogue(view, embedder):
    return Catalogue.for_view(view, embedder)


def match(catalogue, embedder, text, lesson):
    return catalogue.match(text, embedder.encode([text])[0], lesson)


def test_the_threshold_keeps_precision_high_and_recall_useful(catalogue, embedder):
    right = sum(1 for h in DATA["holds"] if (m := match(catalogue, embedder, h["text"], h["lesson"])) and m.entry.id == h["id"])
    flagged = [c["text"] for c in DATA["clean"] if match(catalogue, embedder, c["text"], c["lesson"])]
    assert right / len(DATA["holds"]) >= 0.6
    assert len(flagged) <= 1, flagged


def test_a_cue_phrase_matches_and_a_neutral_question_never_does(catalogue, embedder):
    assert match(catalogue, embedder, "so basically the cache stores queries too", 7).entry.id == "cache-stores-queries"
    assert match(catalogue, embedder, "does the cache store queries too?", 7) is None
    assert is_neutral_question("why do we divide by the square root of d_k?")
    assert not is_neutral_question("the cache stores the queries, right?")


def test_a_prerequisite_belief_is_marked_as_such(catalogue, embedder):
    found = match(catalogue, embedder, "I think higher temperature makes it smarter", 7)
    assert found.entry.lesson == 3 and found.prerequisite
    assert match(catalogue, embedder, "I think higher temperature makes it smarter", 1) is None  # not a prerequisite of 1
