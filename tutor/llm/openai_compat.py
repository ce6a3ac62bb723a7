"""``vllm:``, ``openai:`` and ``openai-compatible:`` models through the official ``openai`` SDK.

- Replies are streamed; reasoning arrives as ``delta.reasoning`` (newer vLLM) or
  ``delta.reasoning_content`` (older vLLM, llama.cpp): either becomes ``Chunk(reasoning=...)``.
- Nemotron's thinking switch, ``chat_template_kwargs.enable_thinking``, is sent to vLLM on
  every call, to other OpenAI-compatible servers only when ``thinking`` is asked for
  explicitly, and never to OpenAI itself.
- Structured output is ``response_format`` json_schema with ``strict: true``. OpenAI proper
  rejects strict mode for schemas where some object allows extra keys or leaves a property
  optional (e.g. a pydantic field with a default), so there such a schema is sent non-strict
  rather than refused; vLLM enforces the schema by guided decoding either way.
- ``temperature`` and ``seed`` are sent whenever given (the judge depends on it);
  the token limit defaults to ``settings.max_tokens`` so that reasoning cannot starve the
  answer. OpenAI proper gets it as ``max_completion_tokens``, the others as ``max_tokens``.
- Retries, timeouts and error wording: ``retry.py`` and ``failures.py``.
"""

from __future__ import annotations

from typing import Any, AsyncIterator

import openai

from tutor.llm.base import Chunk, Message, ModelError
from tutor.llm.endpoints import OPENAI_KEY_HINT, openai_endpoint
from tutor.llm.failures import Endpoint, classify_sdk_error
from tutor.redact import redact_url
from tutor.llm.per_loop import PerLoop
from tutor.llm.retry import RetryPolicy, stream_with_retries
from tutor.llm.schema import schema_name, strict_compatible


class OpenAICompatModel:
    def __init__(self, provider: str, model: str, *, base_url: str, api_key: str, timeout: float = 60.0,
                 max_tokens: int = 4096, enable_thinking: bool = True, policy: RetryPolicy | None = None):
        if not model:
            raise ModelError(f"{provider}: no model name; use {provider}:NAME, e.g. TUTOR_MODEL={provider}:my-model")
        self.provider = provider
        self.model = model
        self.name = f"{provider}:{model}"
        self.base_url = base_url
        self.timeout = timeout
        self.max_tokens = max_tokens
        self.enable_thinking = enable_thinking
        self.policy = policy or RetryPolicy()
        self._endpoint = Endpoint(base_url, model, OPENAI_KEY_HINT, timeout, secret=api_key)
        self._clients = PerLoop(lambda: openai.AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout,
                                                           max_retries=0))  # retry.py is the one retry policy

    @classmethod
    def from_settings(cls, settings, provider: str, name: str, *, policy: RetryPolicy | None = None) -> "OpenAICompatModel":
        base_url, api_key = openai_endpoint(settings, provider)
        return cls(provider, name, base_url=base_url, api_key=api_key, timeout=settings.request_timeout,
                   max_tokens=settings.max_tokens, enable_thinking=settings.enable_thinking,
                   policy=policy or RetryPolicy(max_retries=settings.max_retries))

    def __repr__(self) -> str:  # never shows the key
        return f"OpenAICompatModel({self.name!r}, base_url={redact_url(self.base_url)!r})"

    def stream(self, messages: list[Message], *, json_schema: dict[str, Any] | None = None,
               temperature: float | None = None, seed: int | None = None, max_tokens: int | None = None,
               thinking: bool | None = None) -> AsyncIterator[Chunk]:
        request = self.request(messages, json_schema=json_schema, temperature=temperature, seed=seed,
                               max_tokens=max_tokens, thinking=thinking)
        return stream_with_retries(lambda: self._attempt(request), self._classify, self.policy)

    def request(self, messages: list[Message], *, json_schema: dict[str, Any] | None = None,
                temperature: float | None = None, seed: int | None = None, max_tokens: int | None = None,
                thinking: bool | None = None) -> dict[str, Any]:
        """The keyword arguments for ``chat.completions.create``."""
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
        }
        limit = max_tokens or self.max_tokens
        request["max_completion_tokens" if self.provider == "openai" else "max_tokens"] = limit
        if temperature is not None:
            request["temperature"] = temperature
        if seed is not None:
            request["seed"] = seed
        if json_schema is not None:
            strict = self.provider != "openai" or strict_compatible(json_schema)
            request["response_format"] = {"type": "json_schema", "json_schema": {
                "name": schema_name(json_schema), "schema": json_schema, "strict": strict}}
        if self.provider == "vllm" or (self.provider == "openai-compatible" and thinking is not None):
            enable = self.enable_thinking if thinking is None else thinking
            request["extra_body"] = {"chat_template_kwargs": {"enable_thinking": enable}}
        return request

    async def _attempt(self, request: dict[str, Any]) -> AsyncIterator[Chunk]:
        response = await self._clients.get().chat.completions.create(**request)
        try:
            async for event in response:
                for choice in event.choices[:1]:
                    delta = choice.delta
                    if delta is None:
                        continue
                    reasoning = _text(getattr(delta, "reasoning", None)) or _text(getattr(delta, "reasoning_content", None))
                    if reasoning:
                        yield Chunk(reasoning=reasoning)
                    if delta.content:
                        yield Chunk(content=delta.content)
        finally:
            await response.close()

    def _classify(self, exc: BaseException, started: bool):
        return classify_sdk_error(exc, started, openai, self._endpoint)

    async def aclose(self) -> None:
        """Close this event loop's HTTP connections."""
        await self._clients.aclose()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
