"""YAML documents that remember where each key was written.

PyYAML's composed node tree keeps marks; we use it to turn a pydantic error location
such as ``("misconceptions", 2, "probe")`` into the line a person should open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from tutor.course.errors import Problem


@dataclass
class YamlDoc:
    data: Any
    node: yaml.Node | None
    file: str
    line_offset: int = 0  # lines before the YAML text starts in its file
    problems: list[Problem] = field(default_factory=list)

    def locate(self, loc: tuple[Any, ...]) -> tuple[int, tuple[Any, ...]]:
        """(1-based file line, path actually found) for a pydantic error location.

        Parts absent from the document (a discriminated union's tag, say) are skipped, so
        ``("checks", 1, "min_runs", "criterion")`` lands on the ``criterion:`` line.
        """
        node = self.node
        line = node.start_mark.line if node is not None else 0
        found: list[Any] = []
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if key_node.value == str(part):
                        line, node = key_node.start_mark.line, value_node
                        found.append(part)
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line
                found.append(part)
        return line + 1 + self.line_offset, tuple(found)

    def line_for(self, loc: tuple[Any, ...]) -> int:
        return self.locate(loc)[0]


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, file: str, line_offset: int = 0) -> YamlDoc:
    """Parse YAML; syntax errors become a Problem at the offending line."""
    try:
        # one pass: compose the node tree (for line numbers), then build the data from it;
        # libyaml's loader when PyYAML has it (about 10x faster on the whole course)
        loader = _LOADER(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = (mark.line + 1 if mark is not None else 1) + line_offset
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return YamlDoc(None, None, file, line_offset, [Problem(file, line, f"invalid YAML: {reason}")])
    return YamlDoc(data, node, file, line_offset)


def validate(doc: YamlDoc, model: type[BaseModel], context: dict | None = None):
    """Validate ``doc.data`` against ``model``; returns (instance or None, problems)."""
    if doc.problems:
        return None, list(doc.problems)
    if not isinstance(doc.data, dict):
        return None, [Problem(doc.file, doc.line_for(()), "expected a mapping of keys to values")]
    try:
        return model.model_validate(doc.data, context=context), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                line, found = doc.locate(loc[:-1])
                msg = f"missing required field '{loc[-1]}'"
            else:
                line, found = doc.locate(loc)
            where = ".".join(str(p) for p in found) or "(top level)"
            problems.append(Problem(doc.file, line, f"{where}: {msg}"))
        return None, problems


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Split ``---`` front matter from a Markdown body.

    Returns (yaml_text or None, body, body_first_line) where body_first_line is the
    1-based file line on which the body starts.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    return None, text, 1
