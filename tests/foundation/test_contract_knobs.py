"""Knobs in AGENTS.md's policy block change what the program enforces."""

from __future__ import annotations

from tests.foundation.conftest import replace_in
from tutor.contract import contract_for_course, load_contract
from tutor.guard.code_budget import exceeds_code_budget, runnable_code_lines

REPLY_WITH_CODE = '''Here is one way to look at it:

```python
import numpy as np

def softmax(logits, temperature):
    scaled = logits / temperature
    scaled = scaled - scaled.max()
    exp = np.exp(scaled)
    return exp / exp.sum()

probs = softmax(np.array([2.0, 1.0, 0.1]), 0.7)
print(probs)
```
'''

SCAFFOLD_ONLY = '''Fill these in yourself:

```python
def softmax(logits, temperature):
    """Return probabilities."""
    raise NotImplementedError("TODO: scale by temperature, then normalise")

def sample(probs, rng):
    # TODO: draw one index
    ...
```
'''


def test_code_lines_count_only_runnable_non_scaffold_code():
    assert runnable_code_lines(REPLY_WITH_CODE) == 7
    assert runnable_code_lines(SCAFFOLD_ONLY) == 0


def test_max_code_lines_knob_decides_whether_a_reply_is_over_budget(mini_course):
    agents = mini_course / "AGENTS.md"
    strict = load_contract(agents).policy
    assert strict.max_code_lines == 8
    assert not exceeds_code_budget(REPLY_WITH_CODE, strict.max_code_lines)

    replace_in(agents, "max_code_lines: 8", "max_code_lines: 3")
    tighter = contract_for_course(mini_course).policy  # re-read because the file changed
    assert tighter.max_code_lines == 3
    assert exceeds_code_budget(REPLY_WITH_CODE, tighter.max_code_lines)
    assert not exceeds_code_budget(SCAFFOLD_ONLY, tighter.max_code_lines)


def test_refused_intents_knob_decides_the_action(mini_course):
    agents = mini_course / "AGENTS.md"
    policy = load_contract(agents).policy
    assert policy.action_for("report_request") == "coach"
    assert policy.action_for("concept") == "explain"

    replace_in(agents, "refused_intents: [solution_request, report_request]", "refused_intents: [solution_request]")
    relaxed = load_contract(agents).policy
    assert relaxed.action_for("report_request") == "scaffold"
    assert relaxed.action_for("solution_request") == "coach"


def test_the_contract_cannot_stop_refusing_solutions(mini_course):
    agents = mini_course / "AGENTS.md"
    replace_in(agents, "refused_intents: [solution_request, report_request]", "refused_intents: [report_request]")
    from tutor.contract import check_contract

    contract, problems = check_contract(agents)
    assert contract is None
    assert "must include solution_request" in problems[0].message


def test_coaching_ladder_climbs_and_stays_on_top(mini_course):
    policy = load_contract(mini_course / "AGENTS.md").policy
    rungs = [policy.ladder_step(n).level for n in range(1, 7)]
    assert rungs == [1, 2, 3, 4, 4, 4]


def test_prose_excludes_the_machine_block(mini_course):
    contract = load_contract(mini_course / "AGENTS.md")
    assert "WILL NOT" in contract.prose
    assert "max_code_lines" not in contract.prose
