"""The teacher agent as a LangGraph state machine (wiring only).

    load_context -> classify -> [retrieve] -> diagnose -> <responder> -> guard_output -> record
                       `-> check_code -> check --------------------'   (a code check)

A pasted TODO function or "check my code" goes to ``check_code`` (the lab's checks, in the
sandbox, off the event loop) and its reply names the first failing check (``check``).

The responder is chosen by ``routers.after_diagnose``: one node per action (explain, design,
scaffold, debug, assess, coach, status, redirect) plus teach / catch_up / resume for
misconceptions and prerequisite detours. Contract enforcement is in the graph, not only in
a prompt: the outsourcing detector in ``classify``, the stream guard in every responder and
the final guard in ``guard_output``.

``graph`` (compiled without a checkpointer, touching no user data at import) is what
``langgraph.json`` exposes; the session compiles its own with the SQLite checkpointer.
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from tutor.agent.context import TutorContext
from tutor.agent.nodes import RESPONDERS, check_code, classify, diagnose, guard_output, load_context, record, retrieve
from tutor.agent.routers import after_classify, after_diagnose
from tutor.agent.state import TutorState


def build_graph(checkpointer=None):
    builder = StateGraph(TutorState, context_schema=TutorContext)
    builder.add_node("load_context", load_context)
    builder.add_node("classify", classify)
    builder.add_node("retrieve", retrieve)
    builder.add_node("diagnose", diagnose)
    builder.add_node("check_code", check_code)
    for name, node in RESPONDERS.items():
        builder.add_node(name, node)
        builder.add_edge(name, "guard_output")
    builder.add_node("guard_output", guard_output)
    builder.add_node("record", record)

    builder.add_edge(START, "load_context")
    builder.add_edge("load_context", "classify")
    builder.add_conditional_edges("classify", after_classify, ["retrieve", "diagnose", "check_code"])
    builder.add_edge("check_code", "check")
    builder.add_edge("retrieve", "diagnose")
    builder.add_conditional_edges("diagnose", after_diagnose, [n for n in RESPONDERS if n != "check"])
    builder.add_edge("guard_output", "record")
    builder.add_edge("record", END)
    return builder.compile(checkpointer=checkpointer, name="tutor")


graph = build_graph()
