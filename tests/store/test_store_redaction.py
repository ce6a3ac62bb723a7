"""Issue 13: credentials inside URLs are never stored, whatever record carries them."""

from __future__ import annotations

from tests.store.store_support import make_settings, sample_report, sample_run

URL = "http://user:TopSecretPASS@127.0.0.1:9/v1"


def test_urls_with_credentials_are_redacted_in_stored_records(tutor_home, store):
    report = sample_report()
    report["criteria"][0]["rationale"] = f"model failed: cannot reach {URL}"
    store.record_submission("alice", 3, "h-1", "/subs/alice", report)
    store.record_run("alice", 3, {**sample_run(), "detail": f"model endpoint {URL}"})
    found = store.find_submission("h-1", 3)
    assert "TopSecretPASS" not in str(found) and "http://***@127.0.0.1:9/v1" in str(found)
    assert "TopSecretPASS" not in str(store.runs("alice"))
    store.close()
    assert not any(b"TopSecretPASS" in p.read_bytes() for p in tutor_home.rglob("*") if p.is_file())


def test_the_configuration_view_hides_a_password_in_the_base_url(tutor_home):
    view = make_settings(tutor_home, base_url=URL).public_view()
    assert view["base_url"] == "http://***@127.0.0.1:9/v1"
