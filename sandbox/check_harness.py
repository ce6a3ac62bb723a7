"""In-sandbox harness of `tutor check`: import the learner's starter.py, optionally exec extra
code (a pasted function, a reference) into its namespace, run each check with a time limit and
print one JSON line, prefixed by a nonce, that the host parses as hostile input.

Standalone on purpose (stdlib only, nothing from tutor/): it runs inside the lab's sandbox as
``python check_harness.py SPEC.json``. The spec file is read and deleted before any learner code
runs, so the nonce that marks the real result is not on disk for that code to copy.

Per check, the outcome is one of: ok, wrong, not_implemented, error, timeout. The host turns
these into a per-TODO status; it never trusts more than it asked for.
"""

from __future__ import annotations

import io
import json
import math
import os
import signal
import sys
import time
import traceback
import types

TEXT_CHARS = 400
TRACE_FRAMES = 6
PASTED = "<pasted>"


class CheckTimeout(BaseException):
    """Raised by the alarm; a BaseException so `except Exception` in learner code does not eat it."""


def _alarm(signum, frame):
    raise CheckTimeout()


def short(text: str, limit: int = TEXT_CHARS) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show(value) -> str:
    try:
        return short(repr(value))
    except BaseException as exc:  # a hostile __repr__
        return f"<unprintable {type(value).__name__}: {type(exc).__name__}>"


def plain(value):
    """Arrays and tensors as nested lists (shape kept), so tolerance works without importing them."""
    detach = getattr(value, "detach", None)
    if callable(detach) and hasattr(value, "shape"):
        value = detach().cpu()
    if hasattr(value, "tolist") and hasattr(value, "shape"):
        return ("array", tuple(int(n) for n in value.shape), value.tolist())
    return value


def close(got, expected, tol: float) -> bool:
    got, expected = plain(got), plain(expected)
    if isinstance(got, tuple) and got[:1] == ("array",) or isinstance(expected, tuple) and expected[:1] == ("array",):
        g = got if isinstance(got, tuple) and got[:1] == ("array",) else None
        e = expected if isinstance(expected, tuple) and expected[:1] == ("array",) else None
        if g is not None and e is not None:
            return g[1] == e[1] and close(g[2], e[2], tol)
        array, other = (g, expected) if g is not None else (e, got)
        return close(array[2], other, tol)
    if isinstance(got, bool) or isinstance(expected, bool):
        return got == expected
    if isinstance(got, (int, float)) and isinstance(expected, (int, float)):
        if math.isnan(got) or math.isnan(expected):
            return math.isnan(got) and math.isnan(expected)
        return math.isclose(got, expected, rel_tol=tol, abs_tol=tol)
    if isinstance(got, (list, tuple)) and isinstance(expected, (list, tuple)):
        return len(got) == len(expected) and all(close(a, b, tol) for a, b in zip(got, expected))
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(close(got[k], expected[k], tol) for k in got)
    return same(got, expected)


def same(got, expected) -> bool:
    result = got == expected
    if isinstance(result, bool):
        return result
    if hasattr(result, "all"):  # numpy / torch elementwise ==
        return getattr(got, "shape", None) == getattr(expected, "shape", None) and bool(result.all())
    return bool(result)


def trimmed_trace(exc: BaseException, own_files: set[str]) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in own_files]
    lines = [f"{os.path.basename(f.filename)}, line {f.lineno}, in {f.name}: {short(f.line or '', 120)}"
             for f in frames[-TRACE_FRAMES:]]
    lines.append(short(f"{type(exc).__name__}: {exc}"))
    return "\n".join(lines)


def load_module(starter: str, extra: str | None, own_files: set[str]) -> types.ModuleType:
    module = types.ModuleType("starter")
    module.__file__ = os.path.abspath(starter)
    sys.modules["starter"] = module
    with open(starter, encoding="utf-8") as handle:
        source = handle.read()
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    if extra:
        exec(compile(extra, PASTED, "exec"), module.__dict__)
    return module


def run_check(module, shared_setup: str, check: dict, own_files: set[str]) -> dict:
    names = dict(vars(module))
    out: dict = {"id": check["id"]}
    reveal = bool(check.get("reveal", True))
    started = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, float(check.get("timeout_s") or 5))
    try:
        if shared_setup:
            exec(shared_setup, names)
        if check.get("setup"):
            exec(check["setup"], names)
        result = eval(check["call"], names)
        if check.get("property"):
            names["result"] = result
            ok = bool(eval(check["property"], names))
            if reveal:
                out["got"] = show(result)
        else:
            expected = eval(check["expect"], names)
            tol = check.get("tol")
            ok = close(result, expected, float(tol)) if tol is not None else same(result, expected)
            if reveal:
                out["expected"], out["got"] = show(expected), show(result)
        out["outcome"] = "ok" if ok else "wrong"
    except CheckTimeout:
        out["outcome"] = "timeout"
    except NotImplementedError as exc:
        out["outcome"] = "not_implemented"
        frames = traceback.extract_tb(exc.__traceback__)
        out["raised_in"] = short(frames[-1].name, 80) if frames else ""
    except BaseException as exc:  # the learner's error, or SystemExit/KeyboardInterrupt from their code
        out["outcome"], out["error"] = "error", trimmed_trace(exc, own_files)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    out["seconds"] = round(time.perf_counter() - started, 4)
    return out


def main(spec_path: str) -> int:
    with open(spec_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    os.unlink(spec_path)
    nonce = spec["nonce"]
    real_stdout = sys.stdout
    captured = io.StringIO()
    sys.stdout = captured  # the learner's prints stay out of the result line
    signal.signal(signal.SIGALRM, _alarm)
    starter = spec.get("starter", "starter.py")
    own_files = {os.path.abspath(starter), PASTED}
    report: dict = {"import": {"ok": True}, "checks": {}}
    started = time.perf_counter()
    module = None
    signal.setitimer(signal.ITIMER_REAL, float(spec.get("import_timeout_s") or 60))
    try:
        module = load_module(starter, spec.get("extra_code"), own_files)
    except CheckTimeout:
        report["import"] = {"ok": False, "error": "importing starter.py did not finish in time"}
    except BaseException as exc:
        report["import"] = {"ok": False, "error": trimmed_trace(exc, own_files)}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    report["import_s"] = round(time.perf_counter() - started, 4)
    started = time.perf_counter()
    if module is not None:
        for todo in spec["todos"]:
            report["checks"][todo["name"]] = [run_check(module, spec.get("setup") or "", c, own_files)
                                              for c in todo["checks"]]
    report["checks_s"] = round(time.perf_counter() - started, 4)
    sys.stdout = real_stdout
    real_stdout.write(nonce + json.dumps(report) + "\n")
    real_stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
