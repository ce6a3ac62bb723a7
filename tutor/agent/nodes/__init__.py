"""Graph nodes: small async functions ``(state, runtime) -> dict`` returning only what they change."""

from tutor.agent.nodes.check import check_code
from tutor.agent.nodes.finish import guard_output, record
from tutor.agent.nodes.respond import RESPONDERS
from tutor.agent.nodes.understand import classify, diagnose, load_context, retrieve

__all__ = ["RESPONDERS", "check_code", "classify", "diagnose", "guard_output", "load_context", "record", "retrieve"]
