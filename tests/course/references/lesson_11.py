"""Reference implementations of the lesson 11 TODOs (test tree only: never shipped or indexed).

Executed inside the starter module's namespace (`np`, `re`). Decisions taken here: depth is the
fraction of filler tokens before the first needle, needles sit together; order does not matter
and extra codes cost nothing; the gap is mean(edge accuracy) - mean(middle accuracy), edges
being the smallest and largest probed depth.
"""


def place_needles(filler, needles, depth, count_tokens):
    lengths = [count_tokens(s) for s in filler]
    total = sum(lengths)
    target = depth * total
    before, best, best_err = 0, 0, abs(target)
    for i, n in enumerate(lengths, start=1):
        before += n
        if abs(before - target) < best_err:
            best, best_err = i, abs(before - target)
    return list(filler[:best]) + list(needles) + list(filler[best:])


def score_answer(answer, expected_codes):
    if not expected_codes:
        return 0.0
    found = set()
    for run in re.findall(r"\d(?:[\d ]*\d)?", answer):
        digits = run.replace(" ", "")
        if len(digits) % 4 == 0:
            found.update(digits[i:i + 4] for i in range(0, len(digits), 4))
        found.update(run.split())
        found.add(digits)
    return sum(code in found for code in expected_codes) / len(expected_codes)


def lost_in_middle_gap(accuracy_by_depth):
    depths = sorted(accuracy_by_depth)
    if len(depths) < 3:
        return 0.0
    edges = [accuracy_by_depth[depths[0]], accuracy_by_depth[depths[-1]]]
    middle = [accuracy_by_depth[d] for d in depths[1:-1]]
    return float(np.mean(edges) - np.mean(middle))
