"""A URL with a password in the learner's message is never written to the thread's checkpoints
(the LangGraph saver of tutor.agent.checkpoints), on the SQLite default."""

from __future__ import annotations

from pathlib import Path

from tutor.agent.checkpoints import saver_for
from tutor.config import load_settings

SECRET = "TopSecretPASS"
MESSAGE = f"my lab calls http://ada:{SECRET}@gpu.example:8000/v1 and gets a 401, why?"


async def test_a_checkpoint_keeps_the_message_without_the_urls_password(_isolated_user_data):
    from langgraph.checkpoint.base import empty_checkpoint

    settings = load_settings()
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"message": MESSAGE, "lesson": 1, "history": [
        {"role": "user", "content": MESSAGE}, {"role": "assistant", "content": f"see https://h/v1?api_key={SECRET}"}]}
    config = {"configurable": {"thread_id": "ada:1", "checkpoint_ns": ""}}
    async with saver_for(settings) as saver:
        await saver.aput(config, checkpoint, {"source": "loop", "step": 1}, {})
        await saver.aput_writes({"configurable": {**config["configurable"], "checkpoint_id": checkpoint["id"]}},
                                [("message", MESSAGE)], task_id="t1")
        back = await saver.aget_tuple(config)

    values = back.checkpoint["channel_values"]
    assert values["message"] == "my lab calls http://***@gpu.example:8000/v1 and gets a 401, why?"
    assert values["history"][1]["content"] == "see https://h/v1?api_key=***" and values["lesson"] == 1
    assert SECRET not in repr(back)
    assert not any(SECRET.encode() in p.read_bytes() for p in Path(_isolated_user_data).rglob("*") if p.is_file())
