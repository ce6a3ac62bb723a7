"""A question asked while the embedding model is still loading (the app's first seconds) is
answered at once from keyword search and the catalogue's cue phrases, never by waiting."""

from __future__ import annotations


class LoadingEmbedder:
    """An embedder whose model has not finished loading: any use would block, so it fails."""

    model_path = "still-loading"
    loaded = False

    def encode(self, texts, batch_size=32):
        raise AssertionError("the turn waited for the embedding model")

    @property
    def dim(self):
        raise AssertionError("the turn waited for the embedding model")


def _session(agent_settings, learner, lesson):
    from tutor.agent.context import TutorContext
    from tutor.agent.session import TutorSession
    from tutor.retrieval import get_retriever

    settings = agent_settings()
    retriever = get_retriever(settings)
    retriever.ensure_index()  # the index on disk is loaded into memory without the model
    ctx = TutorContext.create(settings, learner, embedder=LoadingEmbedder(), retriever=retriever)
    ctx.wait_for_embedder = False
    return TutorSession(settings, learner, lesson, model=None, context=ctx)


async def test_a_concept_question_is_explained_from_keyword_search(agent_settings, turn):
    session = _session(agent_settings, "early", 7)
    result, tokens, _ = await turn(session, "what is a KV cache and why does GQA shrink it?")
    assert result.action == "explain" and tokens
    assert any(c["lesson"] == 7 for c in result.citations)


async def test_a_cue_phrase_still_catches_a_misconception(agent_settings, turn):
    session = _session(agent_settings, "early2", 7)
    result, _, _ = await turn(session, "I'm fairly sure we cache the attention scores for every old token")
    assert result.misconceptions == ["cache-stores-queries"]


async def test_outsourcing_is_still_coached(agent_settings, turn):
    session = _session(agent_settings, "early3", 7)
    result, _, _ = await turn(session, "just write the code for my lesson 7 lab")
    assert result.action == "coach"


def test_the_course_vocabulary_does_not_import_heavy_libraries():
    """The first turn builds the course vocabulary; importing scikit-learn for its stop words
    cost ~2 s there once."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from tutor.course.loader import load_course\n"
        "from tutor.paths import course_root\n"
        "from tutor.agent.course_view import CourseView\n"
        "words = CourseView(load_course(course_root())).vocabulary\n"
        "assert 'attention' in words and 'which' not in words, sorted(words)[:20]\n"
        "heavy = sorted(m for m in ('sklearn', 'torch', 'sentence_transformers', 'chromadb') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
