"""Run-time dependencies of the graph (LangGraph ``context_schema``): who the learner is,
the course and its contract, the progress store, retrieval, the embedder and the model.

Built once per session (``TutorContext.create``) and passed to every run; nodes read it from
``runtime.context``. Nothing here is checkpointed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from tutor.agent.course_view import CourseView, course_view

CAPABLE_PROVIDERS = ("vllm", "openai", "openai-compatible", "anthropic")


@dataclass
class TutorContext:
    settings: Any = field(metadata={"description": "tutor.config.Settings"})
    course: Any = field(metadata={"description": "the loaded course (lessons, labs, AGENTS.md contract)"})
    store: Any = field(metadata={"description": "tutor.store.ProgressStore for this learner's data"})
    retriever: Any = field(default=None, metadata={"description": "tutor.retrieval.Retriever, or None to skip retrieval"})
    embedder: Any = field(default=None, metadata={"description": "tutor.retrieval.Embedder, or None (patterns only)"})
    model: Any = field(default=None, metadata={"description": "a ChatModel, or None for the offline tutor"})
    learner_id: str = field(default="default", metadata={"description": "whose progress and thread this is"})
    wait_for_embedder: bool = field(default=True, metadata={
        "description": "False: while the embedding model is still loading, answer from keyword search and "
                       "patterns instead of waiting for it (the app, whose first question may come early)"})

    @property
    def policy(self):
        return self.course.contract.policy

    @cached_property
    def view(self) -> CourseView:
        return course_view(self.course)

    @property
    def embeddings_now(self) -> bool:
        """May this turn use embeddings? Always when it may wait; else only once the model is loaded."""
        return self.embedder is not None and (self.wait_for_embedder or bool(getattr(self.embedder, "loaded", True)))

    @property
    def log_text(self) -> bool:
        return bool(getattr(self.settings, "log_text", True)) and bool(self.policy.log_conversation_text)

    @property
    def model_name(self) -> str:
        return getattr(self.model, "name", "offline") if self.model is not None else "offline"

    @property
    def capable_model(self) -> bool:
        """A real provider that can refine classification (a replay model maps one line per reply)."""
        return self.model is not None and self.model_name.split(":", 1)[0] in CAPABLE_PROVIDERS

    @classmethod
    def create(cls, settings, learner_id: str = "default", *, course=None, model=None, store=None,
               retriever=None, embedder=None) -> "TutorContext":
        from tutor.agent import vector_cache
        from tutor.retrieval import get_embedder, get_retriever
        from tutor.store import open_store

        vector_cache.CACHE_DIR = settings.home_dir / "cache"
        course = course if course is not None else load_course_tolerantly(settings.course_dir)
        store = store if store is not None else open_store(settings)
        embedder = embedder if embedder is not None else get_embedder(settings)
        retriever = retriever if retriever is not None else get_retriever(settings)
        return cls(settings, course, store, retriever, embedder, model, learner_id)


def load_course_tolerantly(root):
    """The course, even while some lesson still has problems: one bad lesson must not stop
    the tutor (``tutor curriculum check`` reports them). Only a missing contract is fatal.
    The labs' files are not checked here (parsing every starter and checks.yaml costs a
    cold ``tutor ask`` about half a second); ``tutor curriculum check`` does."""
    from tutor.course.loader import CourseError, _Loader

    loader = _Loader(root, check_labs=False)
    course = loader.load()
    if course is None or not course.lessons:
        raise CourseError(loader.problems)
    return course
