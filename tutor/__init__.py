"""Course tutor: a teacher agent for an experiment-driven LLM course."""

__version__ = "0.1.0"
