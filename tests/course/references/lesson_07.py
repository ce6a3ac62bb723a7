"""Reference implementations of the lesson 7 TODOs (test tree only: never shipped or indexed).

Executed inside the starter module's namespace, so `np` is the starter's import.
"""


def kv_cache_bytes(n_layers, n_kv_heads, d_head, seq_len, bytes_per_element):
    return 2 * n_layers * n_kv_heads * d_head * seq_len * bytes_per_element


def expand_kv_heads(kv, n_heads):
    group = n_heads // kv.shape[0]
    return np.repeat(kv, group, axis=0)


def append_to_cache(cache_k, cache_v, k_new, v_new):
    return np.concatenate([cache_k, k_new], axis=1), np.concatenate([cache_v, v_new], axis=1)
