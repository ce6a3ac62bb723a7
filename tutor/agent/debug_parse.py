"""Read what a learner pastes when something breaks: a traceback, a warning, a log line.

Pulls out the exception type and message, the frames (file:line, function, code), the
innermost frame, and the kind of problem (NaN/inf, shape mismatch, out of memory, a TODO
still raising NotImplementedError, a missing module, ...), so the debug reply can say what
it means, where to look and what to print next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>[\w<>.]+))?', re.M)
EXCEPTION = re.compile(
    r"^\s*(?P<type>(?:[A-Za-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception|Warning|Interrupt|Exit|Iteration))\s*:\s*(?P<msg>.*)$"
    r"|^\s*(?P<bare>(?:[A-Za-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception))\s*$",
    re.M,
)

# (category, pattern over the whole paste, lower-cased)
CATEGORIES: list[tuple[str, str]] = [
    ("todo", r"notimplementederror"),
    ("oom", r"out of memory|outofmemoryerror|\bmemoryerror\b|\boom\b|\bkilled\b|cuda error: out of memory"),
    ("shape", r"shapes? cannot be multiplied|could not be broadcast|dimensions? except for the concatenation axis|"
              r"size mismatch|shape mismatch|mat1 and mat2|must match the size|wrong shape|expected shape|"
              r"cannot reshape|invalid shape|incompatible shapes|matmul: input operand"),
    ("nan", r"\bnan\b|\binf\b|divide by zero|invalid value encountered|overflow encountered|exploding|diverg"),
    ("import", r"modulenotfounderror|importerror|no module named|cannot import name"),
    ("none", r"'nonetype'|nonetype object|\bnone\b.*not supported"),
    ("index", r"indexerror|out of bounds|index \d+ is out"),
    ("dtype", r"expected scalar type|dtype|input type \(\w+\) and (?:bias|weight) type"),
    ("device", r"same device|cuda is not available|no cuda gpus|torch not compiled with cuda|device-side assert"),
    ("connection", r"connection refused|connecterror|failed to establish|max retries exceeded|timed out|timeout"),
    ("file", r"filenotfounderror|no such file or directory"),
    ("key", r"\bkeyerror\b"),
    ("attribute", r"attributeerror"),
    ("zero_division", r"zerodivisionerror"),
    ("assert", r"assertionerror"),
    ("type", r"\btypeerror\b"),
    ("value", r"\bvalueerror\b"),
    ("too_good", r"\b1\.0 for every\b|\bperfect\b|\b100 ?%|too good|always 1\b|can'?t be right"),
    ("mismatch", r"\bdiffer\b|\bdoesn'?t match\b|\bdisagree|\bnot equal\b|\bcheck fails\b|\bfails?\b"),
]


@dataclass(frozen=True)
class Frame:
    file: str
    line: int
    func: str
    code: str


@dataclass
class Diagnosis:
    exc_type: str | None = None
    message: str | None = None
    frames: list[Frame] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    shapes: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)

    @property
    def innermost(self) -> Frame | None:
        return self.frames[-1] if self.frames else None

    @property
    def has_traceback(self) -> bool:
        return bool(self.frames or self.exc_type)


def parse(text: str) -> Diagnosis:
    lines = text.splitlines()
    frames = []
    for m in FRAME.finditer(text):
        index = text[: m.start()].count("\n")
        code = ""
        if index + 1 < len(lines) and not FRAME.match(lines[index + 1]):
            candidate = lines[index + 1].strip()
            if candidate and not EXCEPTION.match(candidate):
                code = candidate
        frames.append(Frame(m.group("file"), int(m.group("line")), m.group("func") or "<module>", code))
    exc_type = message = None
    for m in EXCEPTION.finditer(text):
        exc_type = m.group("type") or m.group("bare")
        message = (m.group("msg") or "").strip()
    low = text.lower()
    categories = [name for name, pattern in CATEGORIES if re.search(pattern, low)]
    if "todo" in categories:
        categories = ["todo"] + [c for c in categories if c not in ("todo", "mismatch")]
    shapes = re.findall(r"\(\s*\d+\s*(?:[x,]\s*\d*\s*)+\)|\b\d+x\d+\b|size \d+", text)
    numbers = re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)
    return Diagnosis(exc_type, message, frames, categories, shapes, numbers)


MEANING = {
    "todo": "a TODO stub is still running: its body is `raise NotImplementedError`, so the run stops there "
            "(in `--smoke` mode the starter skips it with a placeholder instead)",
    "oom": "the process asked for more memory than the device has; the number in the message is the single "
           "allocation that failed, not the total in use",
    "shape": "two arrays meet with shapes that do not fit: a matmul needs the inner sizes to agree, a "
             "concatenation needs every axis but the joined one to agree, broadcasting needs sizes that are "
             "equal or 1 from the right",
    "nan": "a value became NaN or infinite: usually exp() of a large number, log() or division at 0, or a "
           "learning rate/temperature that blows the scale up",
    "import": "Python cannot find a package in the environment that runs the lab",
    "none": "a value is None where a number or array was expected, which usually means a function fell "
            "off its end without `return`",
    "index": "an index reached past the end of an axis: Python indices run from 0 to size - 1",
    "dtype": "two tensors of different number types met (float32 against float64, or int against float)",
    "device": "tensors live on different devices, or CUDA is not available where the code expects it",
    "connection": "the model backend could not be reached: the server is not running, the URL is wrong, "
                  "or the request timed out",
    "file": "a path the code opens does not exist from the directory the run started in",
    "key": "a dictionary lookup used a key that is not there",
    "attribute": "an object does not have the attribute the code asks for (often None, or the wrong type)",
    "zero_division": "a division by zero: a count or a sum that is 0 for some input",
    "assert": "a check in the code failed: the assertion's condition says what was expected",
    "type": "a function or operator got a value of a type it cannot handle",
    "value": "a function got a value of the right type but an impossible content (shape, range, length)",
    "too_good": "a result that is perfect for every method usually means the evaluation is leaking the answer "
                "(queries scored against themselves, test items in the training data, a label in the features)",
    "mismatch": "two numbers that should agree do not, so one of the two computations counts something the "
                "other does not",
}

NEXT_PRINT = {
    "todo": "run `python starter.py --smoke` to see which TODOs are still placeholders, then implement that one function and run its docstring check",
    "oom": "print the batch size, sequence length and dtype of the failing step, and `torch.cuda.max_memory_allocated()` after one smaller step",
    "shape": "print the `.shape` of every operand on the failing line, and write next to each what its axes mean",
    "nan": "print the min, max and `np.isfinite(...).all()` of the inputs to the failing step, one operation at a time, to find the first step that produces NaN/inf",
    "import": "print `sys.executable` and compare it with the Python you installed packages into (`python -m pip list`)",
    "none": "print what each function on the failing line returns (`print(repr(value))`)",
    "index": "print the shape of the array and the index values just before the failing line",
    "dtype": "print `.dtype` of each operand on the failing line",
    "device": "print `.device` of each tensor on the failing line and `torch.cuda.is_available()`",
    "connection": "run `tutor doctor` to see the configured endpoint and whether it answers",
    "file": "print `Path.cwd()` and the path the code opens",
    "key": "print the dictionary's keys next to the key being looked up",
    "attribute": "print `type(obj)` of the object on the failing line",
    "zero_division": "print the denominator and where it comes from",
    "assert": "print both sides of the assertion",
    "type": "print `type(...)` of each argument on the failing line",
    "value": "print the shape/length/range of the value the function received",
    "too_good": "print, for one query, its top-k results with their ids: is the query itself among them?",
    "mismatch": "print both numbers for the smallest case you can compute by hand, then compare term by term",
}
