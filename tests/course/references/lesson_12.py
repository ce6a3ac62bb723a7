"""Reference implementations of the lesson 12 TODOs (test tree only: never shipped or indexed).

Executed inside the starter module's namespace (`np`, `words`). Decisions taken here: the
template is the group; texts are lower-cased word lists (the starter's `words`); a text shorter
than n is one n-gram of all its words; two empty texts are identical.
"""


def group_key(row):
    return str(row["template"])


def ngram_jaccard(a, b, n):
    def grams(text):
        w = words(text)
        if len(w) < n:
            return {tuple(w)} if w else set()
        return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}

    ga, gb = grams(a), grams(b)
    if not ga and not gb:
        return 1.0
    return len(ga & gb) / len(ga | gb)


def bootstrap_ci(values, n_resamples, confidence, rng):
    values = np.asarray(values, dtype=np.float64)
    idx = rng.integers(0, len(values), size=(n_resamples, len(values)))
    means = values[idx].mean(axis=1)
    alpha = (1 - confidence) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))
