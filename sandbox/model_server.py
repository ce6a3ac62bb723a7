"""Serving Nemotron 3 Nano with vLLM: the recommended flags in one place, and a readiness wait.

Source: the vLLM recipe "NVIDIA Nemotron-3-Nano-30B-A3B User Guide"
(vllm-project/recipes, NVIDIA/Nemotron-3-Nano-30B-A3B.md), which recommends vLLM 0.12.0 and
says 0.11.2 also runs the model. Flags not in that recipe's serve command are marked below.
Standard library only: a GPU host can use it with just the sandbox package installed.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

PARSER_PLUGIN_URL = ("https://huggingface.co/nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16/resolve/main/"
                     "nano_v3_reasoning_parser.py")

NEMOTRON_3_NANO = {
    "checked_against_vllm": ["0.11.2", "0.12.0"],
    "source": "vllm-project/recipes NVIDIA/Nemotron-3-Nano-30B-A3B.md",
    "models": {
        "bf16": "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16",
        "fp8": "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-FP8",
    },
    # (flag, value or None, why) in the order printed.
    "flags": [
        ("--trust-remote-code", None, "the hybrid Mamba/MoE architecture ships its own model code"),
        ("--async-scheduling", None, "recipe: always add, hides host overhead between decode steps"),
        ("--enable-auto-tool-choice", None, "let the model decide when to call tools"),
        ("--tool-call-parser", "qwen3_coder", "Nemotron 3 Nano writes tool calls in the Qwen3-Coder XML format"),
        ("--reasoning-parser-plugin", "nano_v3_reasoning_parser.py",
         "the Nemotron reasoning parser ships with the weights: download it next to where you run vllm"),
        ("--reasoning-parser", "nano_v3", "separates <think> reasoning from the answer (reasoning_content)"),
        ("--max-model-len", "32768", "recipe default is the model maximum (262144); 32k leaves KV-cache room "
                                     "on one GPU for a course (tune to your prompts)"),
        ("--mamba-ssm-cache-dtype", "float32", "recipe: float32 for best accuracy (default up to 0.12.0 is bfloat16)"),
        ("--tensor-parallel-size", "1", "one GPU"),
        ("--max-num-seqs", "8", "recipe's small-concurrency setting; match your expected learners"),
    ],
    "per_variant_flags": {"bf16": [("--kv-cache-dtype", "auto")], "fp8": [("--kv-cache-dtype", "fp8")]},
    # The recipe sets these for FP8 MoE (noted there as Blackwell performance settings).
    "per_variant_env": {"fp8": {"VLLM_USE_FLASHINFER_MOE_FP8": "1", "VLLM_FLASHINFER_MOE_BACKEND": "throughput"}},
    # Newer vLLM releases carry the parser built in (vllm.parser.nemotron_v3); not the checked version.
    "builtin_parser_alternative": ["--reasoning-parser", "nemotron_v3"],
}


@dataclass
class ServeCommand:
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    model: str = ""
    base_url: str = ""


def serve_command(variant: str = "bf16", host: str = "127.0.0.1", port: int = 8000,
                  max_model_len: int | None = None, served_model_name: str | None = None,
                  builtin_parser: bool = False) -> ServeCommand:
    recipe = NEMOTRON_3_NANO
    if variant not in recipe["models"]:
        raise ValueError(f"unknown variant {variant!r}; use one of {', '.join(recipe['models'])}")
    model = recipe["models"][variant]
    argv = ["vllm", "serve", model, "--host", host, "--port", str(port)]
    for flag, value, _ in recipe["flags"]:
        if builtin_parser and flag == "--reasoning-parser-plugin":
            continue
        if flag == "--reasoning-parser" and builtin_parser:
            value = recipe["builtin_parser_alternative"][1]
        if flag == "--max-model-len" and max_model_len:
            value = str(max_model_len)
        argv += [flag] + ([value] if value is not None else [])
    for flag, value in recipe["per_variant_flags"][variant]:
        argv += [flag, value]
    if served_model_name:
        argv += ["--served-model-name", served_model_name]
    return ServeCommand(argv=argv, env=dict(recipe["per_variant_env"].get(variant, {})),
                        model=served_model_name or model, base_url=f"http://{host}:{port}/v1")


class ServerNotReady(Exception):
    """The server did not answer /health and /v1/models in time, or its process ended."""


def wait_until_ready(base_url: str, timeout_s: float, process=None, interval_s: float = 0.5) -> list[str]:
    """Poll /health, then /v1/models; return the served model names."""
    root = base_url.rstrip("/")
    root = root[: -len("/v1")] if root.endswith("/v1") else root
    deadline = time.monotonic() + timeout_s
    last_problem = "no answer yet"
    healthy = False
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServerNotReady(f"the server process exited with status {process.returncode} before it was ready")
        try:
            if not healthy:
                with urllib.request.urlopen(f"{root}/health", timeout=5) as answer:
                    healthy = answer.status == 200
            if healthy:
                with urllib.request.urlopen(f"{root}/v1/models", timeout=5) as answer:
                    names = [m["id"] for m in json.load(answer).get("data", [])]
                if names:
                    return names
                last_problem = "/v1/models lists no model yet"
        except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
            last_problem = str(getattr(exc, "reason", exc))
        time.sleep(interval_s)
    raise ServerNotReady(f"{root} not ready after {timeout_s:g} s ({last_problem})")
