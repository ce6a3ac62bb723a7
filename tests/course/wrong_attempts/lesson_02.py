"""Realistic wrong attempts at the lesson 2 TODOs; each must fail the check it names."""

ATTEMPTS = [
    {"todo": "idf_weights", "why": "document frequency from summed counts, not presence", "fails": "presence_not_count",
     "code": '''
def idf_weights(doc_counts):
    return np.log(doc_counts.shape[0] / doc_counts.sum(axis=0))
'''},
    {"todo": "idf_weights", "why": "fraction inverted: log(df / N) gives rare words the lowest weight",
     "fails": "rarer_words_weigh_more", "code": '''
def idf_weights(doc_counts):
    df = (doc_counts > 0).sum(axis=0)
    return np.log((1 + df) / (1 + doc_counts.shape[0]))
'''},
    {"todo": "idf_weights", "why": "wrong axis: one weight per document", "fails": "one_weight_per_word",
     "code": '''
def idf_weights(doc_counts):
    df = (doc_counts > 0).sum(axis=1)
    return np.log((1 + doc_counts.shape[1]) / (1 + df)) + 1
'''},
    {"todo": "similarity_matrix", "why": "cosine normalises the queries only", "fails": "cosine_ignores_length",
     "code": '''
def similarity_matrix(queries, docs, kind):
    if kind == "cosine":
        return (queries / np.linalg.norm(queries, axis=1, keepdims=True)) @ docs.T
    if kind == "euclidean":
        return -np.linalg.norm(queries[:, None, :] - docs[None, :, :], axis=-1)
    return queries @ docs.T
'''},
    {"todo": "similarity_matrix", "why": "euclidean returns the distance itself, so farther ranks higher",
     "fails": "euclidean_higher_is_closer", "code": '''
def similarity_matrix(queries, docs, kind):
    if kind == "cosine":
        qn = np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
        dn = np.maximum(np.linalg.norm(docs, axis=1, keepdims=True), 1e-12)
        return (queries / qn) @ (docs / dn).T
    if kind == "euclidean":
        return np.linalg.norm(queries[:, None, :] - docs[None, :, :], axis=-1)
    return queries @ docs.T
'''},
    {"todo": "similarity_matrix", "why": "no guard against a zero-length document", "fails": "cosine_zero_vector_is_finite",
     "code": '''
def similarity_matrix(queries, docs, kind):
    if kind == "cosine":
        qn = np.linalg.norm(queries, axis=1, keepdims=True)
        dn = np.linalg.norm(docs, axis=1, keepdims=True)
        return (queries / qn) @ (docs / dn).T
    if kind == "euclidean":
        return -np.linalg.norm(queries[:, None, :] - docs[None, :, :], axis=-1)
    return queries @ docs.T
'''},
    {"todo": "top_k", "why": "argsort is ascending: keeps the worst k", "fails": "docstring_example",
     "code": '''
def top_k(scores, k):
    return np.argsort(scores, axis=1)[:, :k]
'''},
    {"todo": "top_k", "why": "slices the first k rows (queries) instead of the first k columns", "fails": "every_row_ranked",
     "code": '''
def top_k(scores, k):
    return np.argsort(-scores, axis=1, kind="stable")[:k]
'''},
    {"todo": "top_k", "why": "returns the best scores instead of their indices", "fails": "returns_indices",
     "code": '''
def top_k(scores, k):
    return -np.sort(-scores, axis=1)[:, :k]
'''},
]
