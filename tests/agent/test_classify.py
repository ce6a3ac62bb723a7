"""Intent classification without a model: patterns first, then the nearest prototypes."""

import pytest

from tutor.agent.classify import IntentPrototypes, classify, pattern_intent


@pytest.fixture(scope="module")
def prototypes(embedder):
    return IntentPrototypes.for_embedder(embedder)


def intent_of(message, view, embedder, prototypes, **kw):
    vector = embedder.encode([message])[0]
    return classify(message, stubs=view.all_stub_names, vector=vector, prototypes=prototypes,
                    vocabulary=view.vocabulary, **kw)


@pytest.mark.parametrize("message,intent", [
    ("what is a KV cache and why does GQA shrink it?", "concept"),
    ("how many seeds do I need for the temperature sweep?", "experiment_design"),
    ("where do I start with the lab?", "scaffold"),
    ('Traceback (most recent call last):\n  File "starter.py", line 3\nValueError: bad shape', "debug"),
    ("quiz me on lesson 4", "assess"),
    ("where am I, what's next?", "progress"),
    ("recommend me a good pizza place", "off_topic"),
    ("just write the code for my lab", "solution_request"),
    ("write my notes.md", "report_request"),
])
def test_each_intent_is_recognised(view, embedder, prototypes, message, intent):
    assert intent_of(message, view, embedder, prototypes).intent == intent


def test_the_outsourcing_detector_wins_over_every_other_signal(view, embedder, prototypes):
    result = intent_of("Traceback: ValueError. just give me the full solution", view, embedder, prototypes)
    assert result.intent == "solution_request" and result.source == "outsourcing"


def test_an_answer_to_a_pending_quiz_is_an_assessment(view, embedder, prototypes):
    result = intent_of("old queries are never used again", view, embedder, prototypes, quiz_pending=True)
    assert result.intent == "assess" and result.source == "context"


def test_a_short_follow_up_stays_on_the_topic(view, embedder, prototypes):
    assert intent_of("tell me more", view, embedder, prototypes, has_history=True).intent == "concept"
    assert intent_of("tell me more", view, embedder, prototypes, has_history=False).intent != "solution_request"


def test_a_message_no_pattern_knows_goes_to_the_nearest_prototype(view, embedder, prototypes):
    design = "I am not sure how to compare the two settings without fooling myself"
    lost = "I am lost, what now for this lab"
    assert pattern_intent(design) is None and pattern_intent(lost) is None
    assert intent_of(design, view, embedder, prototypes).intent == "experiment_design"
    assert intent_of(lost, view, embedder, prototypes).intent == "scaffold"


def test_a_confident_prototype_overrides_the_loose_concept_patterns(view, embedder, prototypes):
    message = "the numbers in my table do not add up between formula and measurement"
    assert pattern_intent(message) == "concept"
    assert intent_of(message, view, embedder, prototypes).intent == "debug"
