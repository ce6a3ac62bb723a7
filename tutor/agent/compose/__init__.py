"""The offline composers: one per action, each building a reply only from the course.

Each takes a ``Turn`` (what the graph knows this turn) and returns a ``Draft`` (reply text,
citations and any thread-state changes, such as a quiz question now pending).
"""

from tutor.agent.compose.base import Draft, Turn

__all__ = ["Draft", "Turn"]
