"""The lab's environment: an allow-list, nothing inherited by default (no keys, no cloud creds);
the lab's own ``LAB_*`` settings pass, credentials among them do not."""

from __future__ import annotations

import os
import re

PASSED_THROUGH = ("LANG", "TERM")
# The labs' own settings (LAB_BACKEND, LAB_MODEL, ...) are the learner's choices for this run;
# anything named like a credential stays out even under that prefix.
LAB_SETTING = re.compile(r"^LAB_[A-Z0-9_]+$")
CREDENTIAL = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", re.IGNORECASE)


def lab_env(*, path: str, home: str, seed: int, run_dir: str, parent: dict[str, str] | None = None,
            cuda_visible_devices: str | None = None, model_url: str | None = None,
            model_name: str | None = None, marker: str | None = None) -> dict[str, str]:
    parent = dict(os.environ) if parent is None else parent
    env = {key: parent[key] for key in PASSED_THROUGH if key in parent}
    env.update({key: value for key, value in parent.items() if key.startswith("LC_")})
    env.update({key: value for key, value in parent.items() if LAB_SETTING.match(key) and not CREDENTIAL.search(key)})
    env.update({"PATH": path, "HOME": home, "SEED": str(seed), "PYTHONHASHSEED": str(seed),
                "TUTOR_RUN_DIR": run_dir})
    if cuda_visible_devices is not None:
        env["CUDA_VISIBLE_DEVICES"] = cuda_visible_devices
        # GPU hosts often find libcuda through LD_LIBRARY_PATH (e.g. /usr/local/nvidia/lib64);
        # only directories under /usr, which the sandbox shows, are kept.
        kept = [d for d in parent.get("LD_LIBRARY_PATH", "").split(":") if d.startswith("/usr/")]
        if kept:
            env["LD_LIBRARY_PATH"] = ":".join(kept)
    if model_url:
        # the only route out: a lab preferring LAB_BASE_URL must not aim past the bridge
        env["OPENAI_BASE_URL"] = env["LAB_BASE_URL"] = model_url
        if model_name:
            env["LAB_MODEL"] = model_name
    if marker:
        env["TUTOR_SANDBOX_RUN"] = marker  # lets the weaker backend find escaped processes
    return env
