"""run.json never keeps a URL's credentials from the lab's command line (the lab itself still
gets its arguments as given); sandbox.record restates tutor.redact's rules, kept in step here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox import Limits, run
from sandbox.record import redact_arg
from tutor.redact import redact_urls_in

SECRET = "TopSecretPASS"


def test_run_json_keeps_the_command_without_the_urls_password(make_lab):
    lab = make_lab("import sys, json; print(json.dumps(sys.argv[1:]))\n")
    command = ["python", "main.py", "--server", f"http://ada:{SECRET}@127.0.0.1:9/v1",
               f"--hub=https://127.0.0.1:9/models?token={SECRET}&rev=main", "--smoke"]

    record = run(lab, command, Limits(timeout_s=20), backend="process")

    written = Path(record.run_dir, "run.json").read_text()
    assert SECRET not in written
    assert json.loads(written)["command"] == ["python", "main.py", "--server", "http://***@127.0.0.1:9/v1",
                                              "--hub=https://127.0.0.1:9/models?token=***&rev=main", "--smoke"]
    assert SECRET in Path(record.logs["stdout"]).read_text()  # the lab was given the real arguments


@pytest.mark.parametrize("arg", [
    "http://user:p@ss@host:8000/v1", "--url=https://h/v1?api_key=x&y=1#access_token=z", "plain", "a@b.org",
    "postgresql://u:pw@h/db?password=x&sslmode=require", "HTTP://u:p@h", "http://h/v1?token=",
    "s3://bucket/key?X-Amz-Signature=abc", "see http://u:p@h/x and ftp://v:q@g",
])
def test_the_sandbox_redacts_an_argument_as_tutor_redact_does(arg):
    assert redact_arg(arg) == redact_urls_in(arg)
