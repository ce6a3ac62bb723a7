"""The learner's side of `tutor check`: import starter.py (plus any pasted code), run each
check's setup and call, and send back what the call returned, encoded as data.

This process runs the learner's code, so nothing it says is trusted: it never sees the
expected values, the properties or the nonce that marks the real result, and it cannot judge
anything. check_harness.py (the judge, another process that the learner's code cannot read or
trace) decodes each value and compares it itself.

Protocol: the spec comes as JSON on stdin; one JSON line per event goes to the file descriptor
given as argv[1]: ``import``, then one ``check`` per check, then ``done``.
Standalone on purpose (stdlib only, plus check_values.py beside it).
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import time
import traceback
import types

from check_values import Budget, CheckTimeout, alarm, encode, short, show

TRACE_FRAMES = 6
PASTED = "<pasted>"


def trimmed_trace(exc: BaseException, own_files: set[str]) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in own_files]
    lines = [f"{os.path.basename(f.filename)}, line {f.lineno}, in {f.name}: {short(f.line or '', 120)}"
             for f in frames[-TRACE_FRAMES:]]
    lines.append(short(f"{type(exc).__name__}: {exc}"))
    return "\n".join(lines)


def load_module(starter: str, extra: str | None) -> types.ModuleType:
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
    started = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, float(check.get("timeout_s") or 5))
    try:
        if shared_setup:
            exec(shared_setup, names)
        if check.get("setup"):
            exec(check["setup"], names)
        result = eval(check["call"], names)
        try:
            out["value"] = encode(result, Budget())
        except CheckTimeout:
            raise
        except BaseException as exc:  # too large, or a hostile attribute
            out["outcome"], out["error"] = "error", short(f"the result could not be sent to the checker: {exc}")
        else:
            out["outcome"], out["repr"] = "value", show(result)
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


def main(result_fd: int) -> int:
    spec = json.loads(sys.stdin.read())
    sys.stdin.close()

    def send(event: dict) -> None:
        data = (json.dumps(event) + "\n").encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(result_fd, view):]

    sys.stdout = io.StringIO()  # the learner's prints stay out of everything (stdout is /dev/null)
    signal.signal(signal.SIGALRM, alarm)
    starter = spec.get("starter", "starter.py")
    own_files = {os.path.abspath(starter), PASTED}
    started = time.perf_counter()
    module, event = None, {"kind": "import", "ok": True}
    signal.setitimer(signal.ITIMER_REAL, float(spec.get("import_timeout_s") or 60))
    try:
        module = load_module(starter, spec.get("extra_code"))
    except CheckTimeout:
        event = {"kind": "import", "ok": False, "error": "importing starter.py did not finish in time"}
    except BaseException as exc:
        event = {"kind": "import", "ok": False, "error": trimmed_trace(exc, own_files)}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    event["seconds"] = round(time.perf_counter() - started, 4)
    send(event)
    if module is not None:
        for todo in spec["todos"]:
            for check in todo["checks"]:
                result = run_check(module, spec.get("setup") or "", check, own_files)
                sys.stdout = io.StringIO()  # drop what the check printed
                send({"kind": "check", "todo": todo["name"], **result})
    send({"kind": "done"})
    os._exit(0)  # threads the learner's code left running do not hold the result back


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
