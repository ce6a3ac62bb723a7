"""The judge of `tutor check`: the only process whose word the host takes. It starts the
learner's side (check_worker.py) as another process, decodes the value each call returned
(check_values.py), evaluates the check's expect or property itself, and prints one JSON line,
prefixed by a nonce, that the host parses as hostile input.

The learner's code never runs here, so it cannot patch the comparison, read the nonce or print
a result of its own: the spec file (with the nonce) is read and deleted before the worker
starts, this process is made non-dumpable (so the worker, with the same uid and no
capabilities, can neither ptrace it nor read its memory or descriptors through /proc), it runs
under ``python -I`` (nothing writable is on its import path), and the worker gets neither its
stdout nor the spec. What the worker sends is worth no more than a value its code could
have returned. The names an expect or property may use come from the course's own starter.py
(sent in the spec), never from the learner's copy.

Standalone on purpose (stdlib only, nothing from tutor/): it runs inside the lab's sandbox as
``python -I check_harness.py SPEC.json``.

Per check, the outcome is one of: ok, wrong, not_implemented, error, timeout. The host turns
these into a per-TODO status; it never trusts more than it asked for.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import select
import signal
import subprocess
import sys
import threading
import time
import types

LINE_MAX_BYTES = 32 * 2**20     # one event from the worker
TOTAL_MAX_BYTES = 96 * 2**20    # all of them
PR_SET_DUMPABLE = 4
HERE = os.path.dirname(os.path.abspath(__file__))


def load_values():
    """check_values.py, loaded by path before any learner code runs (not from sys.path)."""
    spec = importlib.util.spec_from_file_location("tutor_check_values", os.path.join(HERE, "check_values.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


VALUES = load_values()
CheckTimeout, short, show = VALUES.CheckTimeout, VALUES.short, VALUES.show


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


def not_dumpable() -> bool:
    """Same-uid processes can no longer ptrace this one or open its /proc files (mem, fd, environ)."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0
    except (OSError, AttributeError, ImportError):
        return False


def course_namespace(source: str | None, starter: str) -> dict:
    """The names of the course's own starter.py (its constants, imports and helpers; its TODO
    functions raise NotImplementedError), for expect and property to use."""
    module = types.ModuleType("starter")
    module.__file__ = os.path.abspath(starter)
    if source:
        sys.modules["starter"] = module
        try:
            exec(compile(source, module.__file__, "exec"), module.__dict__)
        except BaseException:
            pass  # a course problem: the checks that need its names report an error
    return dict(vars(module))


def start_worker(spec: dict):
    read_end, write_end = os.pipe()
    worker = subprocess.Popen([sys.executable, "-B", os.path.join(HERE, "check_worker.py"), str(write_end)],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, pass_fds=(write_end,))
    os.close(write_end)
    todos = [{"name": t["name"], "checks": [{k: c.get(k) for k in ("id", "call", "setup", "timeout_s")}
                                            for c in t["checks"]]} for t in spec["todos"]]
    work = {"starter": spec.get("starter", "starter.py"), "extra_code": spec.get("extra_code"),
            "setup": spec.get("setup"), "import_timeout_s": spec.get("import_timeout_s"), "todos": todos}

    def feed():
        try:
            worker.stdin.write(json.dumps(work).encode("utf-8"))
            worker.stdin.close()
        except OSError:
            pass  # the worker died early: it reports nothing, and that is what the host sees

    threading.Thread(target=feed, daemon=True).start()
    return worker, read_end


def collect(worker, read_end: int) -> list[dict]:
    """The worker's events until it says done, exits or closes the pipe; sizes bounded."""
    os.set_blocking(read_end, False)
    events, buffer, total, skipping, done = [], b"", 0, False, False
    while not done:
        exited = worker.poll() is not None
        ready, _, _ = select.select([read_end], [], [], 0 if exited else 0.2)
        if not ready:
            if exited:
                break
            continue
        try:
            chunk = os.read(read_end, 1 << 20)
        except BlockingIOError:
            continue
        if not chunk:
            break
        total += len(chunk)
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if skipping:
                skipping = False
                continue
            try:
                event = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if isinstance(event, dict):
                events.append(event)
                done = done or event.get("kind") == "done"
        if len(buffer) > LINE_MAX_BYTES:
            buffer, skipping = b"", True  # that check then reports that no result came back
        if total > TOTAL_MAX_BYTES:
            break
    os.close(read_end)
    if worker.poll() is None:
        worker.kill()  # done, or over the bound: what it does now counts for nothing
    worker.wait()
    return events


def judge(check: dict, event: dict | None, names: dict, shared_setup: str) -> dict:
    out: dict = {"id": check["id"]}
    if event is None:
        out["outcome"], out["error"] = "error", "no result came back for this check"
        return out
    out["seconds"] = _seconds(event)
    outcome = event.get("outcome")
    if outcome in ("not_implemented", "error", "timeout"):
        out["outcome"] = outcome
        for key in ("raised_in", "error"):
            if isinstance(event.get(key), str):
                out[key] = short(event[key])
        return out
    if outcome != "value":
        out["outcome"], out["error"] = "error", "the result came back malformed"
        return out
    reveal = bool(check.get("reveal", True))
    signal.setitimer(signal.ITIMER_REAL, float(check.get("timeout_s") or 5))
    try:
        try:
            result = VALUES.decode(event.get("value"))
        except CheckTimeout:
            raise
        except Exception as exc:
            out["outcome"], out["error"] = "error", short(f"the result could not be checked ({exc})")
            return out
        names = dict(names)
        for code in (shared_setup, check.get("setup")):
            if code:
                try:
                    exec(code, names)
                except CheckTimeout:
                    raise
                except Exception:
                    pass  # a setup that calls a TODO: the names before it are what the judge needs
        got = short(event["repr"]) if isinstance(event.get("repr"), str) else show(result)
        if check.get("property"):
            names["result"] = result
            ok = bool(eval(check["property"], names))
            if reveal:
                out["got"] = got
        else:
            expected = eval(check["expect"], names)
            tol = check.get("tol")
            ok = close(result, expected, float(tol)) if tol is not None else same(result, expected)
            if reveal:
                out["expected"], out["got"] = show(expected), got
        out["outcome"] = "ok" if ok else "wrong"
    except CheckTimeout:
        out["outcome"], out["error"] = "error", "judging the result took longer than the check's time limit"
    except Exception as exc:  # the result is not what the property can look at (None[0], say)
        out["outcome"], out["error"] = "error", short(f"{type(exc).__name__}: {exc}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return out


def _seconds(event: dict) -> float:
    return event["seconds"] if isinstance(event.get("seconds"), (int, float)) else 0.0


def main(spec_path: str) -> int:
    with open(spec_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    os.unlink(spec_path)
    nonce = spec.pop("nonce")
    protected = not_dumpable()
    signal.signal(signal.SIGALRM, VALUES.alarm)
    worker, read_end = start_worker(spec)
    names = course_namespace(spec.get("judge_starter"), spec.get("starter", "starter.py"))
    events = collect(worker, read_end)
    imported = next((e for e in events if e.get("kind") == "import"), None)
    finished = any(e.get("kind") == "done" for e in events)
    report: dict = {"import": {"ok": True}, "checks": {}, "judge_protected": protected}
    if imported is None or not finished:
        return 0  # no result line: the host reports the run's reason (a limit, an early exit)
    report["import_s"] = _seconds(imported)
    started = time.perf_counter()
    if imported.get("ok") is not True:
        report["import"] = {"ok": False, "error": short(imported.get("error") or "import failed")}
    else:
        by_check = {}
        for event in events:
            if event.get("kind") == "check":
                by_check.setdefault((str(event.get("todo")), str(event.get("id"))), event)
        for todo in spec["todos"]:
            report["checks"][todo["name"]] = [
                judge(c, by_check.get((todo["name"], c["id"])), names, spec.get("setup") or "")
                for c in todo["checks"]]
    report["checks_s"] = round(time.perf_counter() - started, 4)
    sys.stdout.write(nonce + json.dumps(report) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
