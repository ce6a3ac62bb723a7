"""Realistic wrong attempts at the lesson 12 TODOs; each must fail the check named in `fails`."""

ATTEMPTS = [
    {"todo": "group_key", "why": "exact text: only identical rows grouped", "fails": "same_template_same_group", "code": '''
def group_key(row):
    return row["text"].lower()
'''},
    {"todo": "group_key", "why": "the intent label: whole intents move together", "fails": "templates_stay_apart", "code": '''
def group_key(row):
    return row["template"].split("-")[0]
'''},
    {"todo": "group_key", "why": "template plus slot values: paraphrases split apart", "fails": "same_template_same_group", "code": '''
def group_key(row):
    return row["template"] + json.dumps(row["slots"], sort_keys=True)
'''},
    {"todo": "group_key", "why": "typo flag in the key", "fails": "same_template_same_group", "code": '''
def group_key(row):
    return f"{row['template']}|{row['typo']}"
'''},
    {"todo": "ngram_jaccard", "why": "range stops one n-gram early", "fails": "bigram_example", "code": '''
def ngram_jaccard(a, b, n):
    def grams(t):
        w = words(t)
        return {tuple(w[i:i + n]) for i in range(len(w) - n)}
    ga, gb = grams(a), grams(b)
    return len(ga & gb) / len(ga | gb) if ga | gb else 1.0
'''},
    {"todo": "ngram_jaccard", "why": "divides by the first text's n-grams (containment, not Jaccard)", "fails": "bigram_example", "code": '''
def ngram_jaccard(a, b, n):
    def grams(t):
        w = words(t)
        return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}
    ga, gb = grams(a), grams(b)
    return len(ga & gb) / len(ga) if ga else 0.0
'''},
    {"todo": "ngram_jaccard", "why": "raw split: case and punctuation make texts differ", "fails": "case_and_punctuation", "code": '''
def ngram_jaccard(a, b, n):
    def grams(t):
        w = t.split()
        return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}
    ga, gb = grams(a), grams(b)
    return len(ga & gb) / len(ga | gb) if ga | gb else 1.0
'''},
    {"todo": "ngram_jaccard", "why": "lists instead of sets: repeats counted", "fails": "sets_not_counts", "code": '''
def ngram_jaccard(a, b, n):
    def grams(t):
        w = words(t)
        return [tuple(w[i:i + n]) for i in range(len(w) - n + 1)]
    ga, gb = grams(a), grams(b)
    inter = sum(g in gb for g in ga)
    union = len(ga) + len(gb) - inter
    return inter / union if union else 1.0
'''},
    {"todo": "bootstrap_ci", "why": "resampling without replacement: every resample has the same mean", "fails": "width_95", "code": '''
def bootstrap_ci(values, n_resamples, confidence, rng):
    means = [rng.permutation(values).mean() for _ in range(n_resamples)]
    a = (1 - confidence) / 2 * 100
    return float(np.percentile(means, a)), float(np.percentile(means, 100 - a))
'''},
    {"todo": "bootstrap_ci", "why": "percentiles at (1 - c) and c: a 90% interval", "fails": "width_95", "code": '''
def bootstrap_ci(values, n_resamples, confidence, rng):
    means = rng.choice(values, size=(n_resamples, len(values)), replace=True).mean(axis=1)
    return float(np.percentile(means, (1 - confidence) * 100)), float(np.percentile(means, confidence * 100))
'''},
    {"todo": "bootstrap_ci", "why": "percentiles of the items themselves, not of resample means", "fails": "width_95", "code": '''
def bootstrap_ci(values, n_resamples, confidence, rng):
    sample = rng.choice(values, size=n_resamples, replace=True)
    a = (1 - confidence) / 2 * 100
    return float(np.percentile(sample, a)), float(np.percentile(sample, 100 - a))
'''},
    {"todo": "bootstrap_ci", "why": "global np.random instead of rng", "fails": "uses_rng", "code": '''
def bootstrap_ci(values, n_resamples, confidence, rng):
    means = np.random.choice(values, size=(n_resamples, len(values)), replace=True).mean(axis=1)
    a = (1 - confidence) / 2 * 100
    return float(np.percentile(means, a)), float(np.percentile(means, 100 - a))
'''},
]
