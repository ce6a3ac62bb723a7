"""``anthropic:<model>`` through the official ``anthropic`` SDK (Messages API, streamed).

- System messages are joined into the ``system`` parameter; the rest are the turns.
- Text deltas become content. Thinking is off unless ``thinking=True`` is passed explicitly
  (``settings.enable_thinking`` is Nemotron's switch and does not turn it on here); then it
  is requested as ``{"type": "adaptive", "display": "summarized"}`` and thinking deltas
  become reasoning. Adaptive thinking, not a fixed ``budget_tokens``: current Claude models
  reject the budget form (Opus 4.7 on) and the model sizes its own thinking within
  ``max_tokens``.
- ``temperature`` and ``seed`` are not sent: SDK 2.x speaks API version 2026-10-21, which
  has no sampling parameters (the SDK refuses ``temperature``; the API answers 400 even to
  the default value) and the Messages API never had a seed. The grading judge's samples
  and median still apply; only the temperature-0 request does not.
- Structured output (``json_schema``) forces a tool call: one tool whose ``input_schema`` is
  the schema, ``tool_choice`` naming it, and the tool input's JSON streamed as content.
  Chosen over Anthropic's newer ``output_config`` format because forced tool use works on
  every Claude model and takes any JSON schema as ``input_schema``, while format mode
  accepts only a subset of JSON Schema; callers validate the JSON as for every provider.
  Forced tool use cannot be combined with thinking, so a json_schema call never thinks.
- Retries, timeouts and error wording are shared with the OpenAI provider (``retry.py``,
  ``failures.py``).
"""

from __future__ import annotations

from typing import Any, AsyncIterator

import anthropic

from tutor.llm.base import Chunk, Message, ModelError
from tutor.llm.endpoints import ANTHROPIC_KEY_HINT, anthropic_endpoint
from tutor.llm.failures import Endpoint, classify_sdk_error
from tutor.redact import redact_url
from tutor.llm.per_loop import PerLoop
from tutor.llm.retry import RetryPolicy, stream_with_retries
from tutor.llm.schema import schema_name


class AnthropicModel:
    def __init__(self, model: str, *, api_key: str, base_url: str, timeout: float = 60.0, max_tokens: int = 4096,
                 policy: RetryPolicy | None = None):
        if not model:
            raise ModelError("anthropic: no model name; use anthropic:NAME, e.g. TUTOR_MODEL=anthropic:claude-sonnet-4-5")
        self.model = model
        self.name = f"anthropic:{model}"
        self.base_url = base_url
        self.timeout = timeout
        self.max_tokens = max_tokens
        self.policy = policy or RetryPolicy()
        self._endpoint = Endpoint(base_url, model, ANTHROPIC_KEY_HINT, timeout, secret=api_key)
        self._clients = PerLoop(lambda: anthropic.AsyncAnthropic(api_key=api_key, base_url=base_url, timeout=timeout,
                                                                 max_retries=0))  # retry.py is the one policy

    @classmethod
    def from_settings(cls, settings, name: str, *, policy: RetryPolicy | None = None) -> "AnthropicModel":
        base_url, api_key = anthropic_endpoint(settings)
        return cls(name, api_key=api_key, base_url=base_url, timeout=settings.request_timeout,
                   max_tokens=settings.max_tokens, policy=policy or RetryPolicy(max_retries=settings.max_retries))

    def __repr__(self) -> str:  # never shows the key
        return f"AnthropicModel({self.name!r}, base_url={redact_url(self.base_url)!r})"

    def stream(self, messages: list[Message], *, json_schema: dict[str, Any] | None = None,
               temperature: float | None = None, seed: int | None = None, max_tokens: int | None = None,
               thinking: bool | None = None) -> AsyncIterator[Chunk]:
        request = self.request(messages, json_schema=json_schema, max_tokens=max_tokens, thinking=thinking)
        return stream_with_retries(lambda: self._attempt(request), self._classify, self.policy)

    def request(self, messages: list[Message], *, json_schema: dict[str, Any] | None = None,
                max_tokens: int | None = None, thinking: bool | None = None) -> dict[str, Any]:
        """The keyword arguments for ``messages.create``."""
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        turns = [{"role": m.role, "content": m.content} for m in messages if m.role != "system"]
        if not turns:
            raise ModelError("anthropic: nothing to answer; a request needs at least one user message")
        limit = max_tokens or self.max_tokens
        request: dict[str, Any] = {"model": self.model, "messages": turns, "max_tokens": limit, "stream": True}
        if system:
            request["system"] = system
        if thinking is True and json_schema is None:  # forced tool use and thinking exclude each other
            request["thinking"] = {"type": "adaptive", "display": "summarized"}
        if json_schema is not None:
            if json_schema.get("type", "object") != "object":
                raise ModelError("anthropic: structured output needs a JSON schema of an object")
            tool = schema_name(json_schema)
            request["tools"] = [{"name": tool, "description": "Give the answer in this structure.",
                                 "input_schema": json_schema}]
            request["tool_choice"] = {"type": "tool", "name": tool}
        return request

    async def _attempt(self, request: dict[str, Any]) -> AsyncIterator[Chunk]:
        response = await self._clients.get().messages.create(**request)
        try:
            async for event in response:
                if event.type != "content_block_delta":
                    continue
                delta = event.delta
                if delta.type == "text_delta" and delta.text:
                    yield Chunk(content=delta.text)
                elif delta.type == "input_json_delta" and delta.partial_json:
                    yield Chunk(content=delta.partial_json)
                elif delta.type == "thinking_delta" and delta.thinking:
                    yield Chunk(reasoning=delta.thinking)
        finally:
            await response.close()

    def _classify(self, exc: BaseException, started: bool):
        return classify_sdk_error(exc, started, anthropic, self._endpoint)

    async def aclose(self) -> None:
        """Close this event loop's HTTP connections."""
        await self._clients.aclose()
