"""Deterministic checks on replies: the contract holds whatever the model says."""
