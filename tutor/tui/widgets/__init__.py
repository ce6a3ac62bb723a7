"""Widgets of the learner app: the reply, the lesson sidebar, the status bar, the run log."""
