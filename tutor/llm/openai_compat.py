"""``vllm:``, ``openai:`` and ``openai-compatible:`` models through the official ``openai`` SDK.

- Replies are streamed; reasoning arrives as ``delta.reasoning`` (newer vLLM) or
  ``delta.reasoning_content`` (older vLLM, llama.cpp): either becomes ``Chunk(reasoning=...)``.
  Inline ``<think>`` blocks in the content are moved to reasoning too (``reasoning.py``).
- Nemotron's thinking switch, ``chat_template_kwargs.enable_thinking``, is sent to vLLM
  only: other servers may reject the unknown field, and OpenAI does.
- ``vllm:`` defaults follow NVIDIA's Nemotron 3 Nano card: with thinking on, temperature
  1.0 and top_p 1.0, and the token limit is the answer's (``max_tokens``) plus a separate
  reasoning budget (``reasoning_budget``, 8192) so that reasoning cannot starve the answer.
  All of them are settings; a call's own ``temperature`` (the judge's 0) wins.
- Structured output by capability: ``response_format`` json_schema (``strict: true``; OpenAI
  proper gets a non-strict schema where strict mode would refuse it), else json_object,
  else no response_format at all (the caller's prompt asks for JSON and the caller parses it
  strictly). A server that refuses a form (HTTP 400/422/500/501 before any text) is asked
  again at once with the next form, and what it took is remembered for the process.
- A 200 that is not a stream, a reply that is all reasoning and no answer, and invalid
  UTF-8 are ``ModelError``s that say so; the last chunk carries ``finish_reason``.
- Retries, timeouts and error wording: ``retry.py`` and ``failures.py``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, AsyncIterator

import openai

from tutor.llm.base import Chunk, Message, ModelError
from tutor.llm.endpoints import OPENAI_KEY_HINT, openai_endpoint
from tutor.llm.failures import Endpoint, classify_sdk_error
from tutor.redact import redact_url
from tutor.llm.per_loop import PerLoop
from tutor.llm.reasoning import split_inline_reasoning
from tutor.llm.retry import RetryPolicy, stream_with_retries
from tutor.llm.schema import schema_name, strict_compatible

STRUCTURED_FORMS = ("json_schema", "json_object", "prompt")
_SUPPORTED: dict[str, str] = {}  # base URL -> the best structured-output form it accepted or has not refused
REFUSED_FORM_STATUS = {400, 422, 500, 501}
NEMOTRON_REASONING_BUDGET = 8192


class OpenAICompatModel:
    def __init__(self, provider: str, model: str, *, base_url: str, api_key: str, timeout: float = 60.0,
                 max_tokens: int = 4096, enable_thinking: bool = True, policy: RetryPolicy | None = None,
                 temperature: float | None = None, top_p: float | None = None, reasoning_budget: int | None = None):
        if not model:
            raise ModelError(f"{provider}: no model name; use {provider}:NAME, e.g. TUTOR_MODEL={provider}:my-model")
        self.provider = provider
        self.model = model
        self.name = f"{provider}:{model}"
        self.base_url = base_url
        self.timeout = timeout
        self.max_tokens = max_tokens
        self.enable_thinking = enable_thinking
        vllm = provider == "vllm"
        self.temperature = temperature if temperature is not None else (1.0 if vllm and enable_thinking else None)
        self.top_p = top_p if top_p is not None else (1.0 if vllm and enable_thinking else None)
        self.reasoning_budget = reasoning_budget if reasoning_budget is not None else (
            NEMOTRON_REASONING_BUDGET if vllm else 0)
        self.policy = policy or RetryPolicy()
        self._endpoint = Endpoint(base_url, model, OPENAI_KEY_HINT, timeout, secret=api_key)
        self._clients = PerLoop(lambda: openai.AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout,
                                                           max_retries=0))  # retry.py is the one retry policy

    @classmethod
    def from_settings(cls, settings, provider: str, name: str, *, policy: RetryPolicy | None = None) -> "OpenAICompatModel":
        base_url, api_key = openai_endpoint(settings, provider)
        return cls(provider, name, base_url=base_url, api_key=api_key, timeout=settings.request_timeout,
                   max_tokens=settings.max_tokens, enable_thinking=settings.enable_thinking,
                   policy=policy or RetryPolicy(max_retries=settings.max_retries),
                   temperature=getattr(settings, "temperature", None), top_p=getattr(settings, "top_p", None),
                   reasoning_budget=getattr(settings, "reasoning_budget", None))

    def __repr__(self) -> str:  # never shows the key
        return f"OpenAICompatModel({self.name!r}, base_url={redact_url(self.base_url)!r})"

    def stream(self, messages: list[Message], *, json_schema: dict[str, Any] | None = None,
               temperature: float | None = None, seed: int | None = None, max_tokens: int | None = None,
               thinking: bool | None = None) -> AsyncIterator[Chunk]:
        kwargs = dict(json_schema=json_schema, temperature=temperature, seed=seed, max_tokens=max_tokens,
                      thinking=thinking)
        if json_schema is None:
            return self._retrying(self.request(messages, **kwargs))
        return self._structured(messages, kwargs)

    def _retrying(self, request: dict[str, Any]) -> AsyncIterator[Chunk]:
        return self._checked(split_inline_reasoning(stream_with_retries(lambda: self._attempt(request), self._classify,
                                                                        self.policy, where=self.base_url)))

    async def _checked(self, chunks: AsyncIterator[Chunk]) -> AsyncIterator[Chunk]:
        """``chunks`` as they come, then a ModelError if they held no answer: judged after the
        inline ``<think>`` split, so an unterminated think block is all reasoning, not a reply."""
        answered, thought, finish = False, False, ""
        async for chunk in chunks:
            answered = answered or bool(chunk.content.strip())
            thought = thought or bool(chunk.reasoning)
            finish = chunk.finish or finish
            yield chunk
        if thought and not answered:
            raise ModelError(f"{self._endpoint.where} spent the whole reply reasoning and sent no answer"
                             + (" (cut off at the token limit; raise TUTOR_REASONING_BUDGET or TUTOR_MAX_TOKENS)"
                                if finish == "length" else ""))
        if not answered and not thought:
            raise ModelError(f"{self._endpoint.where} sent an empty reply" + (f" (finish_reason {finish})" if finish else ""))

    async def _structured(self, messages: list[Message], kwargs: dict[str, Any]) -> AsyncIterator[Chunk]:
        """json_schema, else json_object, else prompt-only: the first form the server takes."""
        forms = STRUCTURED_FORMS[STRUCTURED_FORMS.index(_SUPPORTED.get(self.base_url, "json_schema")):]
        for number, form in enumerate(forms):
            started = False
            try:
                async for chunk in self._retrying(self.request(messages, form=form, **kwargs)):
                    started = True
                    yield chunk
                _SUPPORTED[self.base_url] = form
                return
            except ModelError as exc:
                if started or number == len(forms) - 1 or not getattr(exc, "refused_form", False):
                    raise
                _SUPPORTED[self.base_url] = forms[number + 1]

    def request(self, messages: list[Message], *, json_schema: dict[str, Any] | None = None,
                temperature: float | None = None, seed: int | None = None, max_tokens: int | None = None,
                thinking: bool | None = None, form: str = "json_schema") -> dict[str, Any]:
        """The keyword arguments for ``chat.completions.create``."""
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
        }
        thinks = self.enable_thinking if thinking is None else thinking
        limit = max_tokens or self.max_tokens
        if thinks and self.reasoning_budget:
            limit += self.reasoning_budget  # the answer keeps its own share whatever the reasoning takes
        request["max_completion_tokens" if self.provider == "openai" else "max_tokens"] = limit
        temperature = temperature if temperature is not None else (self.temperature if thinks else None)
        if temperature is not None:
            request["temperature"] = temperature
        if self.top_p is not None and thinks and request.get("temperature") != 0:
            request["top_p"] = self.top_p
        if seed is not None:
            request["seed"] = seed
        if json_schema is not None and form == "json_schema":
            strict = self.provider != "openai" or strict_compatible(json_schema)
            request["response_format"] = {"type": "json_schema", "json_schema": {
                "name": schema_name(json_schema), "schema": json_schema, "strict": strict}}
        elif json_schema is not None and form == "json_object":
            request["response_format"] = {"type": "json_object"}
        if self.provider == "vllm":
            request["extra_body"] = {"chat_template_kwargs": {"enable_thinking": thinks}}
        return request

    async def _attempt(self, request: dict[str, Any]) -> AsyncIterator[Chunk]:
        response = await self._clients.get().chat.completions.create(**request)
        events, finish = 0, ""
        try:
            async for event in response:
                events += 1
                for choice in (getattr(event, "choices", None) or [])[:1]:
                    finish = getattr(choice, "finish_reason", None) or finish
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
        if events == 0:
            kind = response.response.headers.get("content-type", "no content type").split(";")[0]
            if kind == "text/event-stream":  # headers sent, then the server failed (llama-cpp-python does)
                raise ModelError(f"{self._endpoint.where} opened a stream and closed it without sending anything: the "
                                 "server failed after accepting the request (a llama.cpp server does this when the prompt "
                                 "is longer than its context window, --n_ctx); its log says why")
            raise ModelError(f"{self._endpoint.where} answered 200 with {kind}, not a stream of events; is the URL the API "
                             "root (…/v1) of an OpenAI-compatible server?")
        if finish:
            yield Chunk(finish=finish)

    def _classify(self, exc: BaseException, started: bool):
        failure = classify_sdk_error(exc, started, openai, self._endpoint)
        if failure is not None and not started and getattr(exc, "status_code", None) in REFUSED_FORM_STATUS:
            failure = dataclasses.replace(failure, refused_form=True)
        return failure

    async def aclose(self) -> None:
        """Close this event loop's HTTP connections."""
        await self._clients.aclose()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
