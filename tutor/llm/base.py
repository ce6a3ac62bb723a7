"""The chat-model interface every provider implements.

``stream`` yields ``Chunk``s (answer text and reasoning text arrive separately, as
Nemotron on vLLM sends them); ``complete`` gathers a stream into one ``Completion``.
Provider failures surface as ``ModelError`` with a one-line, user-facing message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Literal, Protocol, runtime_checkable

from tutor.redact import redact_urls_in

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class Chunk:
    content: str = ""
    reasoning: str = ""
    finish: str = ""  # the server's finish_reason on the last chunk ("stop", "length", ...)


@dataclass
class Completion:
    content: str
    reasoning: str = ""
    model: str = ""
    usage: dict[str, Any] = field(default_factory=dict)
    finish: str = ""


class ModelError(Exception):
    """A model call failed in a way the user should be told about in one line.

    ``refused_form``: the server refused the request's structured-output form (a
    ``response_format`` it does not take), so the same call in a plainer form may work.

    The message is shown and may be stored: any URL in it has its credentials hidden here, so
    no caller can word a password into one (tutor.redact)."""

    def __init__(self, message: str = "", *, refused_form: bool = False):
        super().__init__(redact_urls_in(str(message)))
        self.refused_form = refused_form


@runtime_checkable
class ChatModel(Protocol):
    name: str  # e.g. "vllm:nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B"

    def stream(
        self,
        messages: list[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        temperature: float | None = None,
        seed: int | None = None,
        max_tokens: int | None = None,
        thinking: bool | None = None,
    ) -> AsyncIterator[Chunk]: ...


async def complete(model: ChatModel, messages: list[Message], **kwargs: Any) -> Completion:
    """Run a stream to the end and return the whole reply."""
    content: list[str] = []
    reasoning: list[str] = []
    finish = ""
    async for chunk in model.stream(messages, **kwargs):
        content.append(chunk.content)
        reasoning.append(chunk.reasoning)
        finish = chunk.finish or finish
    return Completion("".join(content), "".join(reasoning), model.name, finish=finish)


PROVIDERS = ("vllm", "openai", "openai-compatible", "anthropic", "replay")
SPEC_HELP = "offline, vllm:NAME, openai:NAME, openai-compatible:NAME, anthropic:NAME or replay:FILE"


def get_chat_model(settings, *, model: str | None = None) -> ChatModel | None:
    """The configured chat model, or None for ``offline`` (no LLM). A spec that names no
    known provider or no model, or a provider that is missing its URL or key, is a
    ModelError saying what to set."""
    spec = (model or settings.model or "").strip()
    if spec == "offline":
        return None
    provider, colon, name = spec.partition(":")
    if not colon or provider not in PROVIDERS:
        raise ModelError(f"unknown model '{spec}'; use {SPEC_HELP}")
    if not name.strip():
        raise ModelError(f"model '{spec}' names nothing after the colon; e.g. {provider}:NAME")
    if provider == "replay":
        from tutor.llm.replay import ReplayModel

        return ReplayModel.from_file(name)
    if provider == "anthropic":
        from tutor.llm.anthropic_model import AnthropicModel

        return AnthropicModel.from_settings(settings, name)
    from tutor.llm.openai_compat import OpenAICompatModel

    return OpenAICompatModel.from_settings(settings, provider, name)
