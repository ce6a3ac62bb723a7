"""Output guard: rewrite a reply into coaching when it would do the learner's lab or notes."""

from __future__ import annotations

import ast
import re

from tutor.guard.code_budget import _is_scaffold_body, code_blocks, exceeds_code_budget


def _filled_stubs(reply: str, stubs: list[str]) -> list[str]:
    found = []
    for block in code_blocks(reply):
        try:
            tree = ast.parse(block.code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if node.name in stubs and not _is_scaffold_body(node.body):
                    found.append(node.name)
    return found


def _fills_notes(reply: str, headings: list[str]) -> bool:
    for heading in headings:
        match = re.search(rf"^#+\s*{re.escape(heading)}\s*$\n+(.+)", reply, re.I | re.M)
        if match and len(match.group(1).split()) >= 8:
            return True
    return False


def check_reply(reply: str, policy, stubs: list[str]) -> list[dict]:
    """Violations as [{"rule", "action"}]; empty when the reply may go out."""
    events = []
    if _filled_stubs(reply, stubs):
        events.append({"rule": "todo_stub_filled", "action": "rewrite_to_coaching"})
    if exceeds_code_budget(reply, policy.max_code_lines, tuple(policy.scaffold_markers)):
        events.append({"rule": "max_code_lines", "action": "rewrite_to_coaching"})
    if _fills_notes(reply, policy.protected_notes_sections):
        events.append({"rule": "protected_notes_section", "action": "rewrite_to_coaching"})
    return events
