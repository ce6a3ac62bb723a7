"""Query embeddings without torch: a BERT sentence encoder in numpy, for short texts.

Importing sentence-transformers (torch, transformers) costs several seconds of a cold
``tutor ask`` or ``tutor search`` for what is, for one query, a few small matrix products.
This module runs the same forward pass with numpy on the model's own ``model.safetensors``
and ``tokenizer.json`` (the Rust ``tokenizers`` package), then mean-pools and normalises as
the sentence-transformers pipeline does. Nothing is exported or downloaded.

It serves only models it can reproduce exactly: a BERT encoder (``model_type`` "bert",
absolute positions, GELU) followed by mean pooling and normalisation, which is what the
packaged all-MiniLM-L6-v2 is. ``load`` returns None for anything else, and the caller uses
sentence-transformers. Vectors agree with sentence-transformers to float32 rounding (tests
compare them); building the index still uses sentence-transformers, which batches long texts
faster.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

_STEM_MODULES = ("sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                 "sentence_transformers.models.Normalize")


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to about 1e-7 (Abramowitz and Stegun 7.1.26): below float32's resolution here."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _json(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def supported(model_dir: Path) -> bool:
    """Is ``model_dir`` a sentence-transformers BERT model with mean pooling and normalisation?"""
    config, modules = _json(model_dir / "config.json"), _json(model_dir / "modules.json")
    if not isinstance(config, dict) or not isinstance(modules, list):
        return False
    if [m.get("type") for m in modules if isinstance(m, dict)] != list(_STEM_MODULES):
        return False
    pooling_dir = next((m.get("path") for m in modules if m.get("type") == _STEM_MODULES[1]), "")
    pooling = _json(model_dir / pooling_dir / "config.json")
    return bool(
        config.get("model_type") == "bert" and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and isinstance(pooling, dict) and pooling.get("pooling_mode_mean_tokens")
        and not any(pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens",
                                            "pooling_mode_mean_sqrt_len_tokens"))
        and (model_dir / "model.safetensors").is_file() and (model_dir / "tokenizer.json").is_file()
    )


class LightEncoder:
    """``encode(texts)`` like the sentence-transformers model in ``model_dir``, in numpy."""

    def __init__(self, model_dir: Path):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = _json(model_dir / "config.json")
        st_config = _json(model_dir / "sentence_bert_config.json") or {}
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.max_len = int(st_config.get("max_seq_length") or config.get("max_position_embeddings", 512))
        self.lower = bool(st_config.get("do_lower_case", False))
        weights = load_file(str(model_dir / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
        self.w = {k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}
        self.dim = int(self.w["embeddings.word_embeddings.weight"].shape[1])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_len)

    def _forward(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w, n, seq = self.w, ids.shape[0], ids.shape[1]
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:seq]
             + w["embeddings.token_type_embeddings.weight"][types])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        head = self.dim // self.heads
        blocked = (1.0 - mask[:, None, None, :]) * np.float32(np.finfo(np.float32).min)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def dense(v, name):
                return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            def split(v):
                return v.reshape(n, seq, self.heads, head).transpose(0, 2, 1, 3)

            q, k, v = (split(dense(x, f"attention.self.{name}")) for name in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head)) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            attention = (scores / scores.sum(-1, keepdims=True)) @ v
            attention = attention.transpose(0, 2, 1, 3).reshape(n, seq, self.dim)
            x = _layer_norm(dense(attention, "attention.output.dense") + x,
                            w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], self.eps)
            hidden = dense(x, "intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + _erf(hidden / np.float32(np.sqrt(2.0))))
            x = _layer_norm(dense(hidden, "output.dense") + x,
                            w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps)
        return x

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, rows mean-pooled over real tokens and L2-normalised."""
        texts = [t.lower() for t in texts] if self.lower else list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        encodings = self.tokenizer.encode_batch(texts)
        seq = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), seq), np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros((len(texts), seq), np.float32)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            types[row, : len(e.ids)] = e.type_ids
            mask[row, : len(e.ids)] = 1.0
        hidden = self._forward(ids, types, mask).astype(np.float32)
        pooled = (hidden * mask[:, :, None]).sum(1) / np.clip(mask.sum(1, keepdims=True), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.ascontiguousarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32)


def load(model_path: str) -> LightEncoder | None:
    """A LightEncoder for ``model_path`` if it is a local model this module reproduces, else None."""
    path = Path(model_path)
    if not path.is_dir() or not supported(path):
        return None
    try:
        return LightEncoder(path)
    except Exception:  # noqa: BLE001 - any surprise in the files: sentence-transformers decides
        return None
