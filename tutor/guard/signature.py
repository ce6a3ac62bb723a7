"""A lab's logic, whatever its surface: code in any language, prose code, statements in words.

Python's AST sees Python. A compliant model can hand a TODO over as ``function
kvCacheBytes(nLayers, ...) { return 2 * nLayers * ... }``, as "the body is simply return alpha
/ rank", or as "Step 1: compute g as n_heads divided by ... Step 3: return the repeated array".
This module reads any such text as a list of *statements* (lines, ``;``-separated parts,
sentences), each reduced to a small signature: the identifiers it names (``camelCase`` read as
``snake_case``), how many operations it holds (symbols *and* words: ``*``, "times",
"divided by", ``np.tril(``, "argsort"), and its role (a return, an assignment, an imperative
step, a question). Each TODO is known by its inputs (the stub's parameters) and its name.

A reply carries a TODO's logic when
- a function header in any language names the stub (or an anonymous/renamed function takes
  most of its parameters) and the body after it does work that is not scaffolding;
- a return (``return``, ``=>``, ``SELECT``, "return ... divided by ...") computes from the
  stub's inputs, or from values the reply derived from them;
- a chain of two or more steps touching the inputs ends in a return (statement by statement,
  in words or code);
- one assignment combines most (three or more) of the stub's inputs.

A formula stated as prose ("KV bytes = 2 × n_layers × ..."), a question, a scaffold with a
TODO body, and lines the learner already has (``given``) are none of these. The scan is
regular expressions over each statement, linear in the text (no parser, no recursion), so it
runs on inputs of any size: ``MAX_SCAN`` characters per statement are read.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

MAX_SCAN = 4000  # characters of one statement that are read (a statement longer is cut there)
MAX_BODY_STATEMENTS = 40
MAX_HEAD = 400  # characters after a function header, on its own line, read as the body's first statement  # statements after a function header that count as its body

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|\*\*|//|<=|>=|==|!=|:=|<-|=>|\+=|-=|\*=|/=|[-+*/%@^=<>()\[\]{}.,:|&!×÷·√−]")
_OP_SYMBOLS = {"*", "/", "+", "-", "**", "//", "%", "@", "^", "×", "÷", "·", "√", "−", "<", ">", "<=", ">=", "==", "!=", "["}
_OP_WORDS = {
    "times", "multiplied", "multiply", "multiplies", "divide", "divided", "divides", "plus", "minus", "subtract",
    "subtracted", "add", "sum", "summed", "mean", "average", "averaged", "log", "logarithm", "log2", "exp",
    "exponentiate", "sqrt", "root", "negate", "negated", "power", "squared", "square", "sort", "sorted", "argsort",
    "slice", "concatenate", "concatenated", "repeat", "repeated", "reshape", "transpose", "tril", "triu",
    "cumsum", "cumulative", "searchsorted", "softmax", "sigmoid", "filter", "max", "min", "argmax", "std",
    "deviation", "variance", "clip", "clipped", "ones", "zeros", "outer", "product", "by", "over", "increment",
    "count", "counts", "append", "stack", "split", "join", "normalise", "normalize", "round", "abs",
}
_WORK_VERBS = re.compile(
    r"^(?:set|compute|calculate|multiply|divide|add|subtract|take|sort|slice|keep|convert|create|make|build|"
    r"repeat|loop|iterate|for each|for every|start with|initiali[sz]e|sum|negate|append|concatenate|stack|"
    r"apply|filter|pick|select|count|normalise|normalize|return|let|assign|store|define|square|exponentiate|"
    r"reshape|transpose|split|join|clip|scale|shift|divide|raise)\b", re.I)
_LABEL = re.compile(
    r"^\s*(?:[-*>]\s+)?(?:(?:step|line|statement|part)\s*(?:\d+|one|two|three|four|five|six)\s*[:.)-]\s*|"
    r"(?:first|second|third|fourth|last|final|next)\s+(?:line|statement|step)\s*[:.,-]\s*|\d+[.)]\s+|"
    r"(?:first|second|then|next|after that|finally|lastly|last|and)\b,?\s*|[A-Za-z][\w' ]{0,30}:\s+(?=\w))+", re.I)
_RETURN = re.compile(r"\breturn\b(?!s\b|ed\b|ing\b|\s+to\b)|=>|\bgive back\b|\bselect\b.+\bfrom\b", re.I)
_CODE_ASSIGN = re.compile(
    r"^\s*(?:let\s+(?:mut\s+)?|var\s+|const\s+|auto\s+|[A-Za-z_][\w:<>\[\]]*\s+)?([A-Za-z_]\w*)(?:\[[^\]]*\])*"
    r"\s*(?::\s*[\w\[\], .|]+)?(?:=|:=|<-|\+=|-=|\*=|/=)(?![=>])")
_WORD_ASSIGN = re.compile(
    r"\b(?:set (?:a |the )?(?:variable |value )?([a-z_]\w*) to|(?:compute|calculate|define) ([a-z_]\w*) (?:as|to be)|"
    r"call (?:it|them|that|this|the result) ([a-z_]\w*)|([a-z]\w*) (?:equals|is equal to)\b|([a-z]\w*_\w+|[a-z]) is\b|"
    r"(?:array|variable|vector|counter|list|tensor|matrix) (?:called |named )?([a-z_]\w*)\s*(?:[.,;]|$))", re.I)
_PRONOUN = re.compile(r"\b(?:it|its|that|this|them|those|the result|the repeated \w+|the array|the sum|the mean)\b", re.I)
_HEADER = re.compile(
    r"\b(?:def|function|fn|func|fun|sub|procedure|create (?:or replace )?function)\s+"
    r"(?:\[[^\]\n]{0,200}\]\s*=\s*|[A-Za-z_]\w*\s*=\s*)?([A-Za-z_][\w]*)\s*(?:<[^>\n]{0,200}>)?\s*\(([^)\n]{0,400})\)?", re.I)
_TYPED_HEADER = re.compile(
    r"^\s*(?:(?:public|private|protected|static|final|inline|const|unsigned|extern|export)\s+)*"
    r"[A-Za-z_][\w:<>,\[\]*&]*(?:\s*<[^>\n]{0,200}>)?\s+\**([A-Za-z_]\w*)\s*\(([^)\n]{0,400})\)\s*(?:const\s*)?\{")
_BOUND_FUNCTION = re.compile(
    r"\b([A-Za-z_]\w*)\s*(?:=|<-|:=)\s*(?:function\s*\(([^)\n]{0,400})\)|lambda\b([^:\n]{0,400}):|(?:async\s*)?\(([^)\n]{0,400})\)\s*(?::\s*\w+\s*)?=>|"
    r"([A-Za-z_]\w*)\s*=>)")
_ANONYMOUS = re.compile(r"\blambda\b([^:\n]{1,300}):|\(([^()\n]{1,300})\)\s*=>|\|([^|\n]{1,200})\|\s*[^|\s]")
_SCAFFOLD = re.compile(
    r"\bTODO\b|NotImplemented|\bunimplemented!|\btodo!|\bpanic!?\(|\bthrow\b|\braise\b|^\s*(?:pass|\.\.\.|…|\}|end|"
    r"\{|\);?)\s*$|not implemented", re.I)
_COMMENT = re.compile(r"^\s*(?:#|//|--|%|/\*|\*|;;|rem\b)", re.I)
_SENTENCE_END = re.compile(r"(?<=[A-Za-z)\]'\"`*])[.!?](?=\s|$)|;|\{|\}|,\s+(?:then|and then|and return|and finally)\b")
COMMON_WORDS = frozenset("""
text word words pair name output query row item answer values pool order labels chunks question judge tools
arguments filler needles depth samples scores shots examples instruction kind block mask scaled base scale
length target truncated rewards prompt response beta alpha rank bits chosen merges docs queries angles
positions overlap mitigation eps gamma kv x n k d i j q v u a b w self args kwargs rng fn
""".split())


def snake(identifier: str) -> str:
    """``kvCacheBytes`` -> ``kv_cache_bytes``, ``nKvHeads`` -> ``n_kv_heads``."""
    return _CAMEL.sub("_", identifier).lower()


@dataclass(frozen=True)
class Profile:
    """What a TODO's solution must contain: its name and its inputs."""

    name: str
    params: tuple[str, ...]
    strong: frozenset[str]  # inputs that name this TODO alone (``n_kv_heads``, ``router_logits``)
    weak: frozenset[str]  # inputs that are ordinary words or letters (``x``, ``rank``, ``text``)


def profile(name: str, params: Iterable[str]) -> Profile:
    ps = tuple(p.lower() for p in params if p not in ("self", "cls"))
    strong = frozenset(p for p in ps if p not in COMMON_WORDS and ("_" in p or len(p) >= 4))
    return Profile(name.lower(), ps, strong, frozenset(ps) - strong)


@dataclass
class Statement:
    text: str
    tokens: list[str]
    ids: set[str]  # snake-cased identifiers
    adjacent: set[str]  # identifiers next to an operation (a letter in "n by n", "x[", "k)")
    ops: int
    question: bool
    returns: bool
    assigns: str | None  # the name assigned, if any
    work: bool  # an imperative step, an assignment, a return or a line of code
    comment: bool


@lru_cache(maxsize=8192)
def _statement(raw: str, comment: bool = False) -> Statement:
    """One statement's signature (cached: the stream guard re-checks the same lines as a reply grows;
    callers never change a Statement)."""
    text = raw[:MAX_SCAN].strip()
    comment = comment or bool(_COMMENT.match(text))
    body = _LABEL.sub("", re.sub(r"^\s*(?:#|//|--|%|/\*|\*|;;)+\s*", "", text), count=1)
    tokens = _TOKEN.findall(body)
    lowered = [t.lower() for t in tokens]
    ids, adjacent, ops = set(), set(), 0
    for k, token in enumerate(tokens):
        low = lowered[k]
        if token in _OP_SYMBOLS or low in _OP_WORDS:
            ops += 1
        elif token == "(" and k and re.match(r"\w", tokens[k - 1]) and lowered[k - 1] not in ("if", "for", "while", "and", "or"):
            ops += 1  # a call
        if re.match(r"[A-Za-z_]", token):
            ident = snake(token)
            ids.add(ident)
            near = {lowered[k - 1] if k else "", lowered[k + 1] if k + 1 < len(tokens) else ""}
            if near & (_OP_SYMBOLS | _OP_WORDS | {"(", ")", ",", "=", ":", ".", "]"}):
                adjacent.add(ident)
    question = text.rstrip(" *_`)").endswith("?")
    returns = bool(_RETURN.search(body)) and not question
    m = _CODE_ASSIGN.match(body)
    assigns = m.group(1).lower() if m else None
    if assigns is None and (w := _WORD_ASSIGN.search(body)):
        assigns = next((g for g in w.groups() if g), None)
        assigns = assigns.lower() if assigns else None
    codeish = bool(re.search(r"[=;{}]|\w\(|\w\[", body))
    work = not question and (returns or assigns is not None or bool(_WORK_VERBS.match(body)) or codeish or ops >= 2)
    return Statement(text, tokens, ids, adjacent, ops, question, returns, assigns, work, comment)


def statements(text: str) -> list[Statement]:
    return [s for _, s in _statements_at(text)]


def _statements_at(text: str) -> list[tuple[int, Statement]]:
    """Lines, then the sentences and ``;``/brace-separated parts of each line, with the offset
    each starts at. A comment line's parts are all comment."""
    out = []
    for line_match in re.finditer(r"[^\n]+", text):
        line, base = line_match.group(0), line_match.start()
        if not line.strip():
            continue
        comment = bool(_COMMENT.match(line))
        parts, start = [], 0
        for m in _SENTENCE_END.finditer(line):
            parts.append((start, line[start : m.start()]))
            start = m.end() if not m.group(0).startswith(",") else m.start() + 1
        parts.append((start, line[start:]))
        for offset, part in parts:
            if not part.strip():
                continue
            # a statement longer than MAX_SCAN is read in overlapping windows: nothing hides past a cut
            for begin in range(0, max(len(part) - 200, 1), MAX_SCAN - 200):
                out.append((base + offset + begin, _statement(part[begin : begin + MAX_SCAN], comment)))
    return out


def _touches(s: Statement, p: Profile, derived: set[str]) -> set[str]:
    """The stub's inputs (and values derived from them) this statement works with; an input
    that is an ordinary word or a letter counts only next to an operation ("n by n", "x[")."""
    hit = (s.ids & p.strong) | (s.adjacent & p.weak)
    return hit | (s.ids & {d for d in derived if len(d) > 2}) | (s.adjacent & derived)


def _header_params(arglist: str) -> set[str]:
    names = {snake(t) for t in re.findall(r"[A-Za-z_]\w*", arglist or "")}
    return names


def _is_header_for(name: str, arglist: str, p: Profile) -> bool:
    if snake(name) == p.name or snake(name).replace("_", "") == p.name.replace("_", ""):
        return True
    wanted = set(p.strong) or set(p.params)
    args = _header_params(arglist)
    return len(wanted) >= 2 and len(args & wanted) >= max(2, round(0.6 * len(wanted)))


def _body_works(body: Sequence[Statement], p: Profile) -> bool:
    """A function body doing real work: a statement with an operation or a computed return,
    not scaffolding, a docstring or a comment that only describes."""
    in_doc = False
    for s in body[:MAX_BODY_STATEMENTS]:
        quotes = s.text.count('"""') + s.text.count("'''")
        if in_doc or quotes:
            if quotes % 2 == 1:
                in_doc = not in_doc
            continue
        if _SCAFFOLD.search(s.text) or s.question:
            continue
        if s.comment and not (s.returns or s.assigns):
            continue
        if s.ops or (s.returns and len(s.tokens) > 1) or s.assigns:
            return True
    return False


def _headers(text: str) -> list[tuple[int, str, str]]:
    found = []
    for pattern in (_HEADER, _BOUND_FUNCTION):
        for m in pattern.finditer(text):
            groups = [g for g in m.groups()[1:] if g is not None]
            found.append((m.end(), m.group(1), groups[0] if groups else ""))
    for line in re.finditer(r"^.*$", text, re.M):
        if (m := _TYPED_HEADER.match(line.group(0)[:MAX_SCAN])) and m.group(1) not in ("if", "for", "while", "switch", "return"):
            found.append((line.start() + m.end(), m.group(1), m.group(2)))
    for m in _ANONYMOUS.finditer(text):
        found.append((m.end() - (1 if m.group(3) else 0), "", next(g for g in m.groups() if g is not None)))
    return sorted(found)


def logic_events(text: str, profiles: Sequence[Profile]) -> tuple[list[str], list[str]]:
    """(stubs filled through a function header, stubs whose body is given without one)."""
    if not profiles or not text.strip():
        return [], []
    filled: list[str] = []
    located = _statements_at(text)
    starts = [offset for offset, _ in located]
    units = [statement for _, statement in located]
    for end, name, arglist in _headers(text):
        wanted = [p for p in profiles if p.name not in filled and _is_header_for(name, arglist, p)]
        if not wanted:
            continue
        # the body: the rest of the header's own statement, then the statements after it
        first = bisect.bisect_right(starts, end) - 1
        head = text[end : starts[first + 1] if first + 1 < len(starts) else len(text)][:MAX_HEAD]
        last = bisect.bisect_left(starts, end + MAX_SCAN, first + 1, min(len(starts), first + 1 + MAX_BODY_STATEMENTS))
        body = [_statement(head)] + units[first + 1 : last]
        for p in wanted:
            if _body_works(body, p):
                filled.append(p.name)
    fragments: list[str] = []
    for p in profiles:
        if p.name in filled:
            continue
        if _fragment(units, p):
            fragments.append(p.name)
    return filled, fragments


def _fragment(units: list[Statement], p: Profile) -> bool:
    derived: set[str] = set()
    chain, direct, last = 0, False, -9
    need = max(3, round(0.6 * len(p.params)))
    for k, s in enumerate(units):
        if not s.work:
            continue
        hit = _touches(s, p, derived)
        step = bool(_WORK_VERBS.match(_LABEL.sub("", s.text, count=1)))
        if step and not p.strong:
            hit |= s.ids & p.weak  # "keep only the row's template field": an imperative step names its input plainly
        direct_hit = bool(hit - derived)
        if s.returns and s.ops and direct_hit and not s.comment:
            return True  # "return alpha / rank", "the body is simply return 2 * n_layers * ..."
        if s.returns and s.ops and hit and chain:
            return True  # "p = probs[probs > 0]; return float(-(p * np.log2(p)).sum())"
        if s.assigns and s.ops and len(p.params) >= 3 and len(hit - derived) >= need:
            return True  # one assignment combining most of the inputs
        continues = chain and k - last <= 2 and (hit or _PRONOUN.search(s.text) or s.returns)
        if hit or continues:
            if s.assigns:
                derived.add(s.assigns)
            if continues or (hit and (s.ops or step)):
                chain = chain + 1 if continues else 1
                direct = direct or direct_hit
                last = k
                if s.returns and chain >= 2 and direct:
                    return True  # a chain of steps from the inputs that ends in a return
        elif k - last > 2:
            chain, direct = 0, False
    return False
