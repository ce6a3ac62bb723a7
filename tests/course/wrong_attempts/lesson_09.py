"""Realistic wrong attempts at the lesson 9 TODOs; each must fail the check named in `fails`."""

ATTEMPTS = [
    {"todo": "truncate_distribution", "why": "strict < at the nucleus boundary drops the token that reaches top_p",
     "fails": "docstring_top_p", "code": '''
def truncate_distribution(probs, top_k, top_p):
    order = np.argsort(-probs)
    keep = np.zeros(len(probs), bool)
    n = top_k if top_k > 0 else len(probs)
    if top_p < 1.0:
        n = min(n, max(1, int(np.sum(np.cumsum(probs[order]) < top_p))))
    keep[order[:n]] = True
    out = np.where(keep, probs, 0.0)
    return out / out.sum()
'''},
    {"todo": "truncate_distribution", "why": "missing renormalisation after the cut", "fails": "sums_to_one", "code": '''
def truncate_distribution(probs, top_k, top_p):
    order = np.argsort(-probs)
    n = top_k if top_k > 0 else len(probs)
    if top_p < 1.0:
        n = min(n, int(np.searchsorted(np.cumsum(probs[order]), top_p - 1e-12)) + 1)
    out = np.zeros_like(probs)
    out[order[:n]] = probs[order[:n]]
    return out
'''},
    {"todo": "truncate_distribution", "why": "ascending sort keeps the least likely tokens", "fails": "kept_set_is_the_top", "code": '''
def truncate_distribution(probs, top_k, top_p):
    order = np.argsort(probs)
    n = top_k if top_k > 0 else len(probs)
    if top_p < 1.0:
        n = min(n, int(np.searchsorted(np.cumsum(probs[order]), top_p - 1e-12)) + 1)
    out = np.zeros_like(probs)
    out[order[:n]] = probs[order[:n]]
    return out / out.sum()
'''},
    {"todo": "truncate_distribution", "why": "returns the sorted vector, token ids lost", "fails": "no_truncation_when_off", "code": '''
def truncate_distribution(probs, top_k, top_p):
    p = np.sort(probs)[::-1].copy()
    n = top_k if top_k > 0 else len(p)
    if top_p < 1.0:
        n = min(n, int(np.searchsorted(np.cumsum(p), top_p - 1e-12)) + 1)
    p[n:] = 0.0
    return p / p.sum()
'''},
    {"todo": "truncate_distribution", "why": "nucleus may be empty for a tiny top_p", "fails": "at_least_one_survives", "code": '''
def truncate_distribution(probs, top_k, top_p):
    order = np.argsort(-probs)
    n = top_k if top_k > 0 else len(probs)
    if top_p < 1.0:
        reach = np.cumsum(probs[order])
        n = min(n, int(np.sum(reach <= top_p + 1e-12)))
    out = np.zeros_like(probs)
    out[order[:n]] = probs[order[:n]]
    return out / out.sum()
'''},
    {"todo": "self_bleu", "why": "each sample is among its own references", "fails": "not_scored_against_itself", "code": '''
def self_bleu(samples, max_n=4):
    if len(samples) < 2:
        return 0.0
    def grams(w, n):
        return Counter(tuple(w[i:i + n]) for i in range(len(w) - n + 1))
    scores = []
    for hyp in samples:
        logs = 0.0
        for n in range(1, max_n + 1):
            h = grams(hyp, n)
            best = Counter()
            for ref in samples:
                best |= grams(ref, n)
            m = sum(min(c, best[g]) for g, c in h.items())
            logs += math.log((m + 1) / (sum(h.values()) + 1))
        scores.append(math.exp(logs / max_n))
    return float(np.mean(scores))
'''},
    {"todo": "self_bleu", "why": "unclipped counts: repeated words all match", "fails": "clipped_counts", "code": '''
def self_bleu(samples, max_n=4):
    if len(samples) < 2:
        return 0.0
    scores = []
    for i, hyp in enumerate(samples):
        refs = [s for j, s in enumerate(samples) if j != i]
        logs = 0.0
        for n in range(1, max_n + 1):
            h = [tuple(hyp[k:k + n]) for k in range(len(hyp) - n + 1)]
            ref_grams = {tuple(r[k:k + n]) for r in refs for k in range(len(r) - n + 1)}
            m = sum(g in ref_grams for g in h)
            logs += math.log((m + 1) / (len(h) + 1))
        scores.append(math.exp(logs / max_n))
    return float(np.mean(scores))
'''},
    {"todo": "self_bleu", "why": "no smoothing: a missing 4-gram zeroes the whole score", "fails": "short_overlap_not_zero", "code": '''
def self_bleu(samples, max_n=4):
    if len(samples) < 2:
        return 0.0
    def grams(w, n):
        return Counter(tuple(w[i:i + n]) for i in range(len(w) - n + 1))
    scores = []
    for i, hyp in enumerate(samples):
        refs = [s for j, s in enumerate(samples) if j != i]
        precisions = []
        for n in range(1, max_n + 1):
            h = grams(hyp, n)
            best = Counter()
            for ref in refs:
                best |= grams(ref, n)
            total = sum(h.values())
            precisions.append(sum(min(c, best[g]) for g, c in h.items()) / total if total else 0.0)
        scores.append(float(np.prod(precisions)) ** (1 / max_n))
    return float(np.mean(scores))
'''},
    {"todo": "self_bleu", "why": "a lone sample is skipped, leaving the mean of nothing (NaN)",
     "fails": "fewer_than_two_samples", "code": '''
def self_bleu(samples, max_n=4):
    def grams(w, n):
        return Counter(tuple(w[i:i + n]) for i in range(len(w) - n + 1))
    scores = []
    for i, hyp in enumerate(samples):
        refs = [s for j, s in enumerate(samples) if j != i]
        if not refs:
            continue
        logs = 0.0
        for n in range(1, max_n + 1):
            h = grams(hyp, n)
            best = Counter()
            for ref in refs:
                best |= grams(ref, n)
            logs += math.log((sum(min(c, best[g]) for g, c in h.items()) + 1) / (sum(h.values()) + 1))
        scores.append(math.exp(logs / max_n))
    return float(np.mean(scores))
'''},
    {"todo": "latency_summary", "why": "first gap (prefill) counted as inter-token", "fails": "lesson_itl_mean", "code": '''
def latency_summary(t_start, token_times):
    if not token_times:
        return {"ttft_s": 0.0, "itl_mean_s": 0.0, "itl_p95_s": 0.0, "decode_tokens_per_s": 0.0}
    gaps = np.diff([t_start] + list(token_times))
    span = token_times[-1] - token_times[0]
    return {"ttft_s": token_times[0] - t_start, "itl_mean_s": float(gaps.mean()),
            "itl_p95_s": float(np.percentile(gaps, 95)),
            "decode_tokens_per_s": (len(token_times) - 1) / span if span > 0 else 0.0}
'''},
    {"todo": "latency_summary", "why": "percentile given as a fraction (0.95 instead of 95)", "fails": "p95_is_a_tail", "code": '''
def latency_summary(t_start, token_times):
    if len(token_times) < 2:
        ttft = token_times[0] - t_start if token_times else 0.0
        return {"ttft_s": ttft, "itl_mean_s": 0.0, "itl_p95_s": 0.0, "decode_tokens_per_s": 0.0}
    gaps = np.diff(token_times)
    return {"ttft_s": token_times[0] - t_start, "itl_mean_s": float(gaps.mean()),
            "itl_p95_s": float(np.percentile(gaps, 0.95)),
            "decode_tokens_per_s": len(gaps) / (token_times[-1] - token_times[0])}
'''},
    {"todo": "latency_summary", "why": "decode rate over the whole request, prefill included", "fails": "lesson_decode_rate", "code": '''
def latency_summary(t_start, token_times):
    if len(token_times) < 2:
        ttft = token_times[0] - t_start if token_times else 0.0
        return {"ttft_s": ttft, "itl_mean_s": 0.0, "itl_p95_s": 0.0, "decode_tokens_per_s": 0.0}
    gaps = np.diff(token_times)
    return {"ttft_s": token_times[0] - t_start, "itl_mean_s": float(gaps.mean()),
            "itl_p95_s": float(np.percentile(gaps, 95)),
            "decode_tokens_per_s": len(token_times) / (token_times[-1] - t_start)}
'''},
    {"todo": "latency_summary", "why": "TTFT read as the raw first timestamp", "fails": "ttft_from_request_start", "code": '''
def latency_summary(t_start, token_times):
    if len(token_times) < 2:
        return {"ttft_s": token_times[0] if token_times else 0.0, "itl_mean_s": 0.0, "itl_p95_s": 0.0,
                "decode_tokens_per_s": 0.0}
    gaps = np.diff(token_times)
    return {"ttft_s": token_times[0], "itl_mean_s": float(gaps.mean()),
            "itl_p95_s": float(np.percentile(gaps, 95)),
            "decode_tokens_per_s": len(gaps) / (token_times[-1] - token_times[0])}
'''},
    {"todo": "latency_summary", "why": "one token gives NaN from the mean of no gaps", "fails": "one_token", "code": '''
def latency_summary(t_start, token_times):
    if not token_times:
        return {"ttft_s": 0.0, "itl_mean_s": 0.0, "itl_p95_s": 0.0, "decode_tokens_per_s": 0.0}
    gaps = np.diff(token_times)
    span = token_times[-1] - token_times[0]
    return {"ttft_s": token_times[0] - t_start, "itl_mean_s": float(np.mean(gaps)) if len(gaps) else float("nan"),
            "itl_p95_s": float(np.percentile(gaps, 95)) if len(gaps) else float("nan"),
            "decode_tokens_per_s": len(gaps) / span if span > 0 else 0.0}
'''},
]
