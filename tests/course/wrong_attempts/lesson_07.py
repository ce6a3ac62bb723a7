"""Realistic wrong attempts at the lesson 7 TODOs; each must fail the check named in `fails`."""

ATTEMPTS = [
    {"todo": "kv_cache_bytes", "why": "forgot that keys and values are two tensors", "fails": "docstring_example",
     "code": '''
def kv_cache_bytes(n_layers, n_kv_heads, d_head, seq_len, bytes_per_element):
    return n_layers * n_kv_heads * d_head * seq_len * bytes_per_element
'''},
    {"todo": "kv_cache_bytes", "why": "counted query heads (8) instead of KV heads", "fails": "docstring_example",
     "code": '''
def kv_cache_bytes(n_layers, n_kv_heads, d_head, seq_len, bytes_per_element):
    n_heads = 8
    return 2 * n_layers * n_heads * d_head * seq_len * bytes_per_element
'''},
    {"todo": "kv_cache_bytes", "why": "true division turns the count into a float", "fails": "returns_int",
     "code": '''
def kv_cache_bytes(n_layers, n_kv_heads, d_head, seq_len, bytes_per_element):
    bits = 2 * n_layers * n_kv_heads * d_head * seq_len * bytes_per_element * 8
    return bits / 8
'''},
    {"todo": "expand_kv_heads", "why": "np.tile interleaves heads instead of grouping them", "fails": "gqa_grouping",
     "code": '''
def expand_kv_heads(kv, n_heads):
    return np.tile(kv, (n_heads // kv.shape[0], 1, 1))
'''},
    {"todo": "expand_kv_heads", "why": "repeat along the sequence axis", "fails": "output_shape",
     "code": '''
def expand_kv_heads(kv, n_heads):
    return np.repeat(kv, n_heads // kv.shape[0], axis=1)
'''},
    {"todo": "expand_kv_heads", "why": "modulo mapping h % n_kv_heads", "fails": "gqa_grouping",
     "code": '''
def expand_kv_heads(kv, n_heads):
    return np.stack([kv[h % kv.shape[0]] for h in range(n_heads)])
'''},
    {"todo": "append_to_cache", "why": "np.append without an axis flattens the cache", "fails": "grows_by_one",
     "code": '''
def append_to_cache(cache_k, cache_v, k_new, v_new):
    return np.append(cache_k, k_new), np.append(cache_v, v_new)
'''},
    {"todo": "append_to_cache", "why": "new position put in front of the old ones", "fails": "old_positions_kept",
     "code": '''
def append_to_cache(cache_k, cache_v, k_new, v_new):
    return np.concatenate([k_new, cache_k], axis=1), np.concatenate([v_new, cache_v], axis=1)
'''},
    {"todo": "append_to_cache", "why": "value cache grown with the new key", "fails": "new_position_last",
     "code": '''
def append_to_cache(cache_k, cache_v, k_new, v_new):
    return np.concatenate([cache_k, k_new], axis=1), np.concatenate([cache_v, k_new], axis=1)
'''},
]
