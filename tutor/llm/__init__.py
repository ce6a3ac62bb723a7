"""Chat models behind one small interface. Which one is used is a setting, never code."""

from tutor.llm.base import ChatModel, Chunk, Completion, Message, ModelError, get_chat_model

__all__ = ["ChatModel", "Chunk", "Completion", "Message", "ModelError", "get_chat_model"]
