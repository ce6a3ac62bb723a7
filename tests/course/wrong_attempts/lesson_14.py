"""Realistic wrong attempts at the lesson 14 TODOs; each must fail the check named in `fails`."""

_QD = '''
def quantize_dequantize(w, bits, block_size):
    w = np.asarray(w, dtype=float)
    if bits >= 16:
        return w.copy()
    flat = w.ravel()
    pad = (-len(flat)) % block_size
    blocks = np.concatenate([flat, np.zeros(pad)]).reshape(-1, block_size)
'''

ATTEMPTS = [
    {"todo": "init_lora", "why": "both matrices random: step 0 is a perturbed model", "fails": "starts_at_pretrained", "code": '''
def init_lora(d_in, d_out, rank, rng):
    return rng.normal(0, 0.02, (rank, d_in)), rng.normal(0, 0.02, (d_out, rank))
'''},
    {"todo": "init_lora", "why": "both matrices zero: no gradient ever", "fails": "can_learn", "code": '''
def init_lora(d_in, d_out, rank, rng):
    return np.zeros((rank, d_in)), np.zeros((d_out, rank))
'''},
    {"todo": "init_lora", "why": "shapes transposed", "fails": "shapes", "code": '''
def init_lora(d_in, d_out, rank, rng):
    return rng.normal(0, 1 / np.sqrt(d_in), (d_in, rank)), np.zeros((rank, d_out))
'''},
    {"todo": "init_lora", "why": "global np.random instead of rng", "fails": "deterministic_from_rng", "code": '''
def init_lora(d_in, d_out, rank, rng):
    return np.random.normal(0, 1 / np.sqrt(d_in), (rank, d_in)), np.zeros((d_out, rank))
'''},
    {"todo": "lora_scale", "why": "integer division", "fails": "no_integer_division", "code": '''
def lora_scale(alpha, rank):
    return alpha // rank
'''},
    {"todo": "lora_scale", "why": "inverted: rank / alpha", "fails": "alpha_over_rank", "code": '''
def lora_scale(alpha, rank):
    return rank / alpha
'''},
    {"todo": "lora_scale", "why": "alpha alone, rank ignored", "fails": "alpha_over_rank", "code": '''
def lora_scale(alpha, rank):
    return float(alpha)
'''},
    {"todo": "quantize_dequantize", "why": "2**bits levels per side instead of 2**(bits-1) - 1", "fails": "lesson_example", "code": _QD + '''
    scale = np.abs(blocks).max(axis=1, keepdims=True)
    q = 2 ** bits
    safe = np.where(scale > 0, scale, 1.0)
    out = np.round(blocks / safe * q) / q * safe
    return out.ravel()[:len(flat)].reshape(w.shape)
'''},
    {"todo": "quantize_dequantize", "why": "one scale for the whole tensor", "fails": "absmax_exact", "code": _QD + '''
    scale = np.abs(blocks).max()
    q = 2 ** (bits - 1) - 1
    out = np.round(blocks / scale * q) / q * scale if scale > 0 else blocks
    return out.ravel()[:len(flat)].reshape(w.shape)
'''},
    {"todo": "quantize_dequantize", "why": "truncation instead of rounding", "fails": "lesson_example", "code": _QD + '''
    scale = np.abs(blocks).max(axis=1, keepdims=True)
    q = 2 ** (bits - 1) - 1
    safe = np.where(scale > 0, scale, 1.0)
    out = np.trunc(blocks / safe * q) / q * safe
    return out.ravel()[:len(flat)].reshape(w.shape)
'''},
    {"todo": "quantize_dequantize", "why": "division by a zero absmax", "fails": "zero_block_finite", "code": _QD + '''
    scale = np.abs(blocks).max(axis=1, keepdims=True)
    q = 2 ** (bits - 1) - 1
    out = np.round(blocks / scale * q) / q * scale
    return out.ravel()[:len(flat)].reshape(w.shape)
'''},
]
