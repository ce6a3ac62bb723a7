"""Realistic wrong attempts at the lesson 3 TODOs; each must fail the check it names."""

ATTEMPTS = [
    {"todo": "softmax_with_temperature", "why": "no max subtraction: exp overflows to nan", "fails": "large_logits_no_nan",
     "code": '''
def softmax_with_temperature(logits, temperature):
    if temperature == 0:
        out = np.zeros_like(logits, dtype=float)
        out[np.argmax(logits)] = 1.0
        return out
    e = np.exp(logits / temperature)
    return e / e.sum()
'''},
    {"todo": "softmax_with_temperature", "why": "multiplies by the temperature instead of dividing", "fails": "temperature_divides",
     "code": '''
def softmax_with_temperature(logits, temperature):
    if temperature == 0:
        out = np.zeros_like(logits, dtype=float)
        out[np.argmax(logits)] = 1.0
        return out
    z = logits * temperature
    e = np.exp(z - z.max())
    return e / e.sum()
'''},
    {"todo": "softmax_with_temperature", "why": "missing renormalisation: returns the raw exponentials", "fails": "sums_to_one",
     "code": '''
def softmax_with_temperature(logits, temperature):
    if temperature == 0:
        out = np.zeros_like(logits, dtype=float)
        out[np.argmax(logits)] = 1.0
        return out
    z = logits / temperature
    return np.exp(z - z.max())
'''},
    {"todo": "sample_index", "why": ">= instead of >: the boundary goes to the left", "fails": "boundary_goes_right",
     "code": '''
def sample_index(probs, u):
    for i, c in enumerate(np.cumsum(probs)):
        if c >= u:
            return i
    return len(probs) - 1
'''},
    {"todo": "sample_index", "why": "off-by-one: returns the index after the match", "fails": "docstring_example",
     "code": '''
def sample_index(probs, u):
    for i, c in enumerate(np.cumsum(probs)):
        if c > u:
            return i + 1
    return len(probs) - 1
'''},
    {"todo": "sample_index", "why": "falls off the end when the cumulative sum rounds below u", "fails": "rounding_at_the_top",
     "code": '''
def sample_index(probs, u):
    for i, c in enumerate(np.cumsum(probs)):
        if c > u:
            return i
'''},
    {"todo": "entropy_bits", "why": "natural log gives nats, not bits", "fails": "uniform_four_is_two_bits",
     "code": '''
def entropy_bits(probs):
    p = probs[probs > 0]
    return float(-(p * np.log(p)).sum())
'''},
    {"todo": "entropy_bits", "why": "no guard for p == 0: 0 * log 0 is nan", "fails": "one_hot_is_zero",
     "code": '''
def entropy_bits(probs):
    return float(-(probs * np.log2(probs)).sum())
'''},
    {"todo": "entropy_bits", "why": "forgot the minus sign", "fails": "entropy_is_positive",
     "code": '''
def entropy_bits(probs):
    p = probs[probs > 0]
    return float((p * np.log2(p)).sum())
'''},
]
