"""Reference implementations of the lesson 6 TODOs (test tree only: never shipped or indexed).

Executed inside the starter module's namespace (`np`).
"""


def sinusoidal_encoding(n_positions, d):
    pos = np.arange(n_positions)[:, None]
    theta = 10000.0 ** (-2 * np.arange(d // 2) / d)
    table = np.zeros((n_positions, d))
    table[:, 0::2] = np.sin(pos * theta)
    table[:, 1::2] = np.cos(pos * theta)
    return table


def rope_angles(positions, d, base, scale):
    theta = base ** (-2 * np.arange(d // 2) / d)
    return (np.asarray(positions, dtype=np.float64)[:, None] / scale) * theta


def rope_rotate(x, angles):
    even, odd = x[..., 0::2], x[..., 1::2]
    cos, sin = np.cos(angles), np.sin(angles)
    out = np.empty_like(x, dtype=np.float64)
    out[..., 0::2] = even * cos - odd * sin
    out[..., 1::2] = even * sin + odd * cos
    return out
