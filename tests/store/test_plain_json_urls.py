"""Stored JSON (report rationales, run records and their commands) keeps no secret of a URL:
neither a user:password nor a secret in its query."""

from tutor.store.records import plain_json


def test_a_query_secret_in_stored_json_is_masked():
    stored = plain_json({"command": ["python", "starter.py", "--url", "http://h/v1?api_key=TopSecret&x=1"],
                         "rationale": "it called https://u:TopSecret@h/v1 and http://h/v1#token=TopSecret"})
    assert "TopSecret" not in str(stored)
    assert stored["command"][:3] == ["python", "starter.py", "--url"] and "x=1" in stored["command"][3]
