"""Realistic wrong attempts at the lesson 11 TODOs; each must fail the check named in `fails`."""

ATTEMPTS = [
    {"todo": "place_needles", "why": "depth as a fraction of sentences, not tokens", "fails": "depth_in_tokens", "code": '''
def place_needles(filler, needles, depth, count_tokens):
    at = round(depth * len(filler))
    return filler[:at] + list(needles) + filler[at:]
'''},
    {"todo": "place_needles", "why": "depth 1 inserted before the last sentence (len - 1)", "fails": "depth_one_at_end", "code": '''
def place_needles(filler, needles, depth, count_tokens):
    lengths = [count_tokens(s) for s in filler]
    target, before = depth * sum(lengths), 0
    at = 0
    while at < len(filler) - 1 and before + lengths[at] <= target:
        before += lengths[at]
        at += 1
    return filler[:at] + list(needles) + filler[at:]
'''},
    {"todo": "place_needles", "why": "needle glued onto a filler sentence", "fails": "every_needle_once", "code": '''
def place_needles(filler, needles, depth, count_tokens):
    lengths = [count_tokens(s) for s in filler]
    target, before, at = depth * sum(lengths), 0, 0
    while at < len(filler) and before + lengths[at] <= target:
        before += lengths[at]
        at += 1
    out = list(filler)
    if at < len(out):
        out[at] = " ".join(needles) + " " + out[at]
        return out
    return out + list(needles)
'''},
    {"todo": "score_answer", "why": "substring match counts 1234 inside 51234", "fails": "no_partial_number_match", "code": '''
def score_answer(answer, expected_codes):
    text = answer.replace(" ", "")
    return sum(code in text for code in expected_codes) / len(expected_codes)
'''},
    {"todo": "score_answer", "why": "counts every code occurrence, so repeats exceed 1", "fails": "in_range", "code": '''
def score_answer(answer, expected_codes):
    found = re.findall(r"\\d{4}", answer)
    return sum(f in expected_codes for f in found) / len(expected_codes)
'''},
    {"todo": "score_answer", "why": "all-or-nothing: no partial credit", "fails": "partial_credit", "code": '''
def score_answer(answer, expected_codes):
    found = set(re.findall(r"\\b\\d{4}\\b", answer))
    return float(all(code in found for code in expected_codes))
'''},
    {"todo": "score_answer", "why": "4-digit regex misses codes written with a space", "fails": "spaced_digits", "code": '''
def score_answer(answer, expected_codes):
    found = set(re.findall(r"\\b\\d{4}\\b", answer))
    return sum(code in found for code in expected_codes) / len(expected_codes)
'''},
    {"todo": "lost_in_middle_gap", "why": "middle minus edges: the sign is reversed", "fails": "u_shape_positive", "code": '''
def lost_in_middle_gap(accuracy_by_depth):
    d = sorted(accuracy_by_depth)
    edges = (accuracy_by_depth[d[0]] + accuracy_by_depth[d[-1]]) / 2
    middle = float(np.mean([accuracy_by_depth[x] for x in d[1:-1]]))
    return middle - edges
'''},
    {"todo": "lost_in_middle_gap", "why": "edges taken in dict order instead of by depth", "fails": "unordered_keys", "code": '''
def lost_in_middle_gap(accuracy_by_depth):
    v = list(accuracy_by_depth.values())
    return (v[0] + v[-1]) / 2 - float(np.mean(v[1:-1]))
'''},
    {"todo": "lost_in_middle_gap", "why": "only the start counted as an edge", "fails": "three_depths", "code": '''
def lost_in_middle_gap(accuracy_by_depth):
    d = sorted(accuracy_by_depth)
    return accuracy_by_depth[d[0]] - float(np.mean([accuracy_by_depth[x] for x in d[1:]]))
'''},
]
