"""Reference implementations of the lesson 14 TODOs (test tree only: never shipped or indexed).

Executed inside the starter module's namespace (`np`). Decisions taken here: the paper's
initialisation (A Gaussian, B zero), alpha / r, a uniform signed grid of 2**(bits-1) - 1 levels
on each side of zero with one absmax scale per block.
"""


def init_lora(d_in, d_out, rank, rng):
    a = rng.normal(0.0, 1.0 / np.sqrt(d_in), (rank, d_in))
    b = np.zeros((d_out, rank))
    return a, b


def lora_scale(alpha, rank):
    return alpha / rank


def quantize_dequantize(w, bits, block_size):
    w = np.asarray(w, dtype=np.float64)
    if bits >= 16:
        return w.copy()
    flat = w.ravel()
    pad = (-len(flat)) % block_size
    blocks = np.concatenate([flat, np.zeros(pad)]).reshape(-1, block_size)
    scale = np.abs(blocks).max(axis=1, keepdims=True)
    levels = 2 ** (bits - 1) - 1
    safe = np.where(scale > 0, scale, 1.0)
    codes = np.round(blocks / safe * levels)
    out = codes / levels * safe
    return out.ravel()[: len(flat)].reshape(w.shape)
