"""Queries are embedded without torch, giving the same vectors and the same ranking as
sentence-transformers; the shipped vectors cover the shipped course."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from tests.retrieval.conftest import EVAL_SET, REPO
from tutor.retrieval import light_encoder, seed
from tutor.retrieval.embedder import Embedder
from tutor.retrieval.evaluation import first_relevant, load_eval_set


@pytest.fixture(scope="module")
def packaged():
    return Embedder(seed.packaged_model_path())


@pytest.fixture(scope="module")
def torch_vectors(packaged):
    questions = [item.question for item in load_eval_set(EVAL_SET)]
    return questions, packaged.encode_fresh(questions)  # a batch: sentence-transformers


def test_the_numpy_encoder_gives_sentence_transformers_vectors(packaged, torch_vectors):
    questions, expected = torch_vectors
    light = light_encoder.load(packaged.model_path)
    assert light is not None, "the packaged MiniLM is a model the numpy encoder reproduces"
    got = np.concatenate([light.encode([q]) for q in questions])
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-5
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    long_text = "attention " * 600  # truncated at the model's 256 word pieces, as sentence-transformers does
    assert np.abs(light.encode([long_text]) - packaged.encode_fresh([long_text, long_text, long_text, long_text,
                                                                       long_text])[0]).max() < 1e-5


def test_every_eval_question_ranks_the_same_with_either_encoder(real_retriever, torch_vectors):
    questions, expected = torch_vectors
    items = load_eval_set(EVAL_SET)
    for item, vector in zip(items, expected):
        by_torch = real_retriever.search(item.question, k=10, mode="dense", query_embedding=vector)
        real_retriever._query_vectors.clear()
        by_numpy = real_retriever.search(item.question, k=10, mode="dense")
        assert [h.file + str(h.lines) for h in by_numpy] == [h.file + str(h.lines) for h in by_torch], item.question
        assert first_relevant(by_numpy, item, "lesson") == first_relevant(by_torch, item, "lesson")


def test_a_model_it_cannot_reproduce_is_left_to_sentence_transformers(tmp_path):
    assert light_encoder.load(str(tmp_path)) is None
    (tmp_path / "config.json").write_text('{"model_type": "roberta", "hidden_act": "gelu"}')
    (tmp_path / "modules.json").write_text("[]")
    assert light_encoder.load(str(tmp_path)) is None


def test_a_search_in_a_new_process_imports_neither_torch_nor_sentence_transformers(real_retriever, real_home):
    code = ("import sys; from tutor.config import Settings; from tutor.retrieval import get_retriever\n"
            f"r = get_retriever(Settings(home={str(real_home)!r}, course={str(REPO)!r}))\n"
            "assert r.search('why does BPE merge frequent pairs', k=3, mode='hybrid')\n"
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_shipped_vectors_cover_every_text_of_the_shipped_course():
    shipped = seed.seed_for(seed.packaged_model_path())
    assert shipped is not None, "tutor/retrieval/seed_vectors.npz is missing or made with another model"
    texts = seed.shipped_texts(REPO)
    missing = [t[:60] for t, vec in zip(texts, shipped.lookup(texts)) if vec is None]
    assert not missing, (f"{len(missing)} of {len(texts)} texts of the course have no shipped vector "
                         f"(e.g. {missing[:3]}): run `python -m tutor.retrieval.seed` and commit the file")


def test_shipped_vectors_are_the_models_own(packaged):
    shipped = seed.seed_for(packaged.model_path)
    texts = seed.shipped_texts(REPO)[:3] + seed.shipped_texts(REPO)[-3:]
    stored = np.stack(shipped.lookup(texts))
    assert np.abs(stored - packaged.encode_fresh(texts)).max() < 1e-4


def test_another_model_does_not_use_the_shipped_vectors(tmp_path):
    assert seed.seed_for(str(tmp_path)) is None


def test_the_first_question_on_a_fresh_home_loads_no_torch(tmp_path):
    """A new install's first `tutor ask`: every course text (chunks, prototypes, catalogue,
    authored answers) comes from the shipped vectors, the question from the numpy encoder."""
    code = ("import sys\nfrom tutor.cli import app\n"
            "try:\n    app(['ask', 'why does BPE merge the most frequent pair first?'])\n"
            "except SystemExit as done:\n    assert not done.code, done.code\n"
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))")
    env = {**os.environ, "TUTOR_HOME": str(tmp_path / "home"), "TUTOR_MODEL": "offline", "HF_HUB_OFFLINE": "1"}
    env.pop("TUTOR_COURSE", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
