"""A URL with credentials typed or quoted in the conversation is stored without them: turns,
summaries, misconception evidence, contract-event details and the profile (store._text)."""

from __future__ import annotations

SECRET = "TopSecretPASS"
URL = f"http://ada:{SECRET}@gpu.example:8000/v1"
SHOWN = "http://***@gpu.example:8000/v1"


def test_conversation_text_is_stored_without_url_credentials(tutor_home, store):
    message = f"my lab calls {URL} and gets a 401, why?"
    store.record_turn("ada", 1, message=message, reply=f"Check {URL}?api_key={SECRET} first.", intent="debug",
                      action="explain")
    store.save_summary("ada", 1, f"debugging a 401 from {URL}", [f"retry https://h/v1#token={SECRET}"])
    store.record_misconception("ada", 1, "m-auth", f"thinks {URL} needs no key")
    store.record_contract_event("ada", 1, "no_answers", "refused", f"asked about {URL}")
    store.save_profile("ada", goals=f"serve models at {URL}")

    turn = store.recent_turns("ada")[-1]
    assert turn["message"] == f"my lab calls {SHOWN} and gets a 401, why?"
    assert turn["reply"] == f"Check {SHOWN}?api_key=*** first."
    summary = store.latest_summary("ada")
    assert SHOWN in str(summary) and "#token=***" in str(summary)
    assert SHOWN in store.open_misconceptions("ada")[0]["evidence"]
    assert SHOWN in store.contract_events("ada")[0]["detail"]
    assert store.get_profile("ada")["goals"] == f"serve models at {SHOWN}"
    everything = [turn, summary, store.open_misconceptions("ada"), store.contract_events("ada"), store.get_profile("ada")]
    assert SECRET not in str(everything)
    store.close()
    assert not any(SECRET.encode() in p.read_bytes() for p in tutor_home.rglob("*") if p.is_file())
