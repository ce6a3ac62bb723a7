"""Realistic wrong attempts at the lesson 6 TODOs; each must fail the check named in `fails`."""

ATTEMPTS = [
    {"todo": "sinusoidal_encoding", "why": "sine and cosine columns swapped", "fails": "docstring_row_0", "code": '''
def sinusoidal_encoding(n_positions, d):
    pos = np.arange(n_positions)[:, None]
    theta = 10000.0 ** (-2 * np.arange(d // 2) / d)
    table = np.zeros((n_positions, d))
    table[:, 0::2] = np.cos(pos * theta)
    table[:, 1::2] = np.sin(pos * theta)
    return table
'''},
    {"todo": "sinusoidal_encoding", "why": "exponent without the factor 2", "fails": "frequencies_fall_with_i", "code": '''
def sinusoidal_encoding(n_positions, d):
    pos = np.arange(n_positions)[:, None]
    theta = 10000.0 ** (-np.arange(d // 2) / d)
    table = np.zeros((n_positions, d))
    table[:, 0::2] = np.sin(pos * theta)
    table[:, 1::2] = np.cos(pos * theta)
    return table
'''},
    {"todo": "sinusoidal_encoding", "why": "positions counted from 1", "fails": "docstring_row_0", "code": '''
def sinusoidal_encoding(n_positions, d):
    pos = np.arange(1, n_positions + 1)[:, None]
    theta = 10000.0 ** (-2 * np.arange(d // 2) / d)
    table = np.zeros((n_positions, d))
    table[:, 0::2] = np.sin(pos * theta)
    table[:, 1::2] = np.cos(pos * theta)
    return table
'''},
    {"todo": "rope_angles", "why": "position multiplied by the scale", "fails": "interpolation_divides_position", "code": '''
def rope_angles(positions, d, base, scale):
    theta = base ** (-2 * np.arange(d // 2) / d)
    return (np.asarray(positions)[:, None] * scale) * theta
'''},
    {"todo": "rope_angles", "why": "base hard-coded to 10000", "fails": "uses_base", "code": '''
def rope_angles(positions, d, base, scale):
    theta = 10000.0 ** (-2 * np.arange(d // 2) / d)
    return (np.asarray(positions)[:, None] / scale) * theta
'''},
    {"todo": "rope_angles", "why": "integer division of positions by the scale", "fails": "float_positions_from_ints", "code": '''
def rope_angles(positions, d, base, scale):
    theta = base ** (-2 * np.arange(d // 2) / d)
    return (np.asarray(positions)[:, None] // scale) * theta
'''},
    {"todo": "rope_angles", "why": "one angle per dimension instead of per pair", "fails": "shape", "code": '''
def rope_angles(positions, d, base, scale):
    theta = base ** (-2 * (np.arange(d) // 2) / d)
    return (np.asarray(positions)[:, None] / scale) * theta
'''},
    {"todo": "rope_rotate", "why": "wrong sign on the sine: rotates the other way", "fails": "docstring_example", "code": '''
def rope_rotate(x, angles):
    out = np.empty_like(x, dtype=float)
    c, s = np.cos(angles), np.sin(angles)
    out[..., 0::2] = x[..., 0::2] * c + x[..., 1::2] * s
    out[..., 1::2] = -x[..., 0::2] * s + x[..., 1::2] * c
    return out
'''},
    {"todo": "rope_rotate", "why": "split-halves pairing instead of neighbouring pairs", "fails": "pair_lengths_kept", "code": '''
def rope_rotate(x, angles):
    h = x.shape[-1] // 2
    a, b = x[..., :h], x[..., h:]
    c, s = np.cos(angles), np.sin(angles)
    return np.concatenate([a * c - b * s, a * s + b * c], axis=-1)
'''},
    {"todo": "rope_rotate", "why": "second coordinate reuses the already-rotated first one", "fails": "pair_lengths_kept", "code": '''
def rope_rotate(x, angles):
    out = np.array(x, dtype=float)
    c, s = np.cos(angles), np.sin(angles)
    out[..., 0::2] = out[..., 0::2] * c - out[..., 1::2] * s
    out[..., 1::2] = out[..., 0::2] * s + out[..., 1::2] * c
    return out
'''},
]
