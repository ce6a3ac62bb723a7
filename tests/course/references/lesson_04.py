"""Reference implementations of the lesson 4 TODOs (test tree only: never shipped or indexed)."""


def causal_mask(n):
    return np.tril(np.ones((n, n), dtype=bool))


def scaled_dot_product_attention(q, k, v, mask, scaled):
    scores = q @ np.swapaxes(k, -1, -2)
    if scaled:
        scores = scores / np.sqrt(q.shape[-1])
    masked = scores if mask is None else np.where(mask, scores, -np.inf)
    shifted = masked - masked.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ v, weights, scores


def split_heads(x, n_heads):
    n, d_model = x.shape
    return x.reshape(n, n_heads, d_model // n_heads).transpose(1, 0, 2)


def merge_heads(x):
    n_heads, n, d_k = x.shape
    return x.transpose(1, 0, 2).reshape(n, n_heads * d_k)
