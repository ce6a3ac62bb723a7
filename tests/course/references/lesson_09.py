"""Reference implementations of the lesson 9 TODOs (test tree only: never shipped or indexed).

Executed inside the starter module's namespace (`np`, `Counter`, `math` come from there).
Decisions taken here: top-k first, then the nucleus on the original probabilities; the token
that crosses top_p is kept; add-one smoothing of every n-gram precision; closest reference
length for the brevity penalty; 0.0 for fewer than two samples; numpy's linear percentile.
"""


def truncate_distribution(probs, top_k, top_p):
    p = np.asarray(probs, dtype=np.float64)
    order = np.argsort(-p, kind="stable")
    n = len(p)
    if top_k > 0:
        n = min(n, top_k)
    if top_p < 1.0:
        reach = np.cumsum(p[order])
        n = min(n, int(np.searchsorted(reach, top_p - 1e-12)) + 1)
    n = max(n, 1)
    out = np.zeros_like(p)
    out[order[:n]] = p[order[:n]]
    return out / out.sum()


def self_bleu(samples, max_n=4):
    if len(samples) < 2:
        return 0.0

    def grams(words, n):
        return Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))

    scores = []
    for i, hyp in enumerate(samples):
        refs = [s for j, s in enumerate(samples) if j != i]
        log_sum = 0.0
        for n in range(1, max_n + 1):
            hyp_grams = grams(hyp, n)
            best = Counter()
            for ref in refs:
                best |= grams(ref, n)
            matched = sum(min(c, best[g]) for g, c in hyp_grams.items())
            log_sum += math.log((matched + 1) / (sum(hyp_grams.values()) + 1))
        if not hyp:
            scores.append(0.0)
            continue
        ref_len = min((len(r) for r in refs), key=lambda L: (abs(L - len(hyp)), L))
        bp = 1.0 if len(hyp) >= ref_len else math.exp(1 - ref_len / len(hyp))
        scores.append(bp * math.exp(log_sum / max_n))
    return float(np.mean(scores))


def latency_summary(t_start, token_times):
    if not token_times:
        return {"ttft_s": 0.0, "itl_mean_s": 0.0, "itl_p95_s": 0.0, "decode_tokens_per_s": 0.0}
    ttft = token_times[0] - t_start
    gaps = np.diff(np.asarray(token_times, dtype=np.float64))
    if len(gaps) == 0:
        return {"ttft_s": ttft, "itl_mean_s": 0.0, "itl_p95_s": 0.0, "decode_tokens_per_s": 0.0}
    span = token_times[-1] - token_times[0]
    return {"ttft_s": ttft, "itl_mean_s": float(gaps.mean()), "itl_p95_s": float(np.percentile(gaps, 95)),
            "decode_tokens_per_s": len(gaps) / span if span > 0 else 0.0}
