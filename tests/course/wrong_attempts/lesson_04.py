"""Realistic wrong attempts at the lesson 4 TODOs; each must fail the check it names."""

ATTEMPTS = [
    {"todo": "causal_mask", "why": "upper triangle: each query sees the future", "fails": "docstring_example",
     "code": '''
def causal_mask(n):
    return np.triu(np.ones((n, n), dtype=bool))
'''},
    {"todo": "causal_mask", "why": "off-by-one: strict lower triangle hides the diagonal", "fails": "sees_itself",
     "code": '''
def causal_mask(n):
    return np.tril(np.ones((n, n), dtype=bool), k=-1)
'''},
    {"todo": "causal_mask", "why": "float mask of ones and zeros", "fails": "boolean_dtype",
     "code": '''
def causal_mask(n):
    return np.tril(np.ones((n, n)))
'''},
    {"todo": "scaled_dot_product_attention", "why": "forgets the 1/sqrt(d_k) scaling", "fails": "worked_example_weights",
     "code": '''
def scaled_dot_product_attention(q, k, v, mask, scaled):
    scores = q @ np.swapaxes(k, -1, -2)
    masked = scores if mask is None else np.where(mask, scores, -np.inf)
    e = np.exp(masked - masked.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ v, weights, scores
'''},
    {"todo": "scaled_dot_product_attention", "why": "softmax over the wrong axis (queries)", "fails": "rows_sum_to_one",
     "code": '''
def scaled_dot_product_attention(q, k, v, mask, scaled):
    scores = q @ np.swapaxes(k, -1, -2)
    if scaled:
        scores = scores / np.sqrt(q.shape[-1])
    masked = scores if mask is None else np.where(mask, scores, -np.inf)
    e = np.exp(masked - masked.max(axis=-2, keepdims=True))
    weights = e / e.sum(axis=-2, keepdims=True)
    return weights @ v, weights, scores
'''},
    {"todo": "scaled_dot_product_attention", "why": "mask applied after the softmax, no renormalisation", "fails": "mask_before_softmax",
     "code": '''
def scaled_dot_product_attention(q, k, v, mask, scaled):
    scores = q @ np.swapaxes(k, -1, -2)
    if scaled:
        scores = scores / np.sqrt(q.shape[-1])
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    if mask is not None:
        weights = weights * mask
    return weights @ v, weights, scores
'''},
    {"todo": "scaled_dot_product_attention", "why": "k.T transposes every axis, breaking the head axis", "fails": "leading_axes",
     "code": '''
def scaled_dot_product_attention(q, k, v, mask, scaled):
    scores = q @ k.T
    if scaled:
        scores = scores / np.sqrt(q.shape[-1])
    masked = scores if mask is None else np.where(mask, scores, -np.inf)
    e = np.exp(masked - masked.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ v, weights, scores
'''},
    {"todo": "split_heads", "why": "plain reshape without the transpose mixes rows into heads", "fails": "head_gets_its_columns",
     "code": '''
def split_heads(x, n_heads):
    n, d_model = x.shape
    return x.reshape(n_heads, n, d_model // n_heads)
'''},
    {"todo": "split_heads", "why": "forgets to move the head axis first", "fails": "output_shape",
     "code": '''
def split_heads(x, n_heads):
    n, d_model = x.shape
    return x.reshape(n, n_heads, d_model // n_heads)
'''},
    {"todo": "merge_heads", "why": "plain reshape without the transpose", "fails": "inverse_of_split",
     "code": '''
def merge_heads(x):
    n_heads, n, d_k = x.shape
    return x.reshape(n, n_heads * d_k)
'''},
    {"todo": "merge_heads", "why": "concatenates along the sequence axis", "fails": "output_shape",
     "code": '''
def merge_heads(x):
    return np.concatenate(list(x), axis=0)
'''},
]
