"""Realistic wrong attempts at the lesson 5 TODOs; each must fail the check named in `fails`."""

_PRE = '''
def block_forward(x, block, norm_placement, residual):
    attn = block.attn
    ffn = lambda h: F.gelu(h @ block.w1 + block.b1) @ block.w2 + block.b2
    n1 = lambda h: F.layer_norm(h, h.shape[-1:], block.ln1_g, block.ln1_b)
    n2 = lambda h: F.layer_norm(h, h.shape[-1:], block.ln2_g, block.ln2_b)
    keep = 1.0 if residual else 0.0
'''

ATTEMPTS = [
    {"todo": "layer_norm", "why": "torch.var defaults to the unbiased (d - 1) variance", "fails": "docstring_example",
     "code": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta
'''},
    {"todo": "layer_norm", "why": "normalised over the sequence axis", "fails": "last_axis_only", "code": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(dim=1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta
'''},
    {"todo": "layer_norm", "why": "eps added to the standard deviation", "fails": "eps_inside_sqrt", "code": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / (torch.sqrt(var) + eps) * gamma + beta
'''},
    {"todo": "layer_norm", "why": "forgot the shift beta", "fails": "scale_and_shift", "code": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * gamma
'''},
    {"todo": "feed_forward", "why": "ReLU instead of GELU", "fails": "gelu_value", "code": '''
def feed_forward(x, w1, b1, w2, b2):
    return F.relu(x @ w1 + b1) @ w2 + b2
'''},
    {"todo": "feed_forward", "why": "forgot the first bias", "fails": "gelu_value", "code": '''
def feed_forward(x, w1, b1, w2, b2):
    return F.gelu(x @ w1) @ w2 + b2
'''},
    {"todo": "feed_forward", "why": "nonlinearity after the projection back", "fails": "gelu_value", "code": '''
def feed_forward(x, w1, b1, w2, b2):
    return F.gelu((x @ w1 + b1) @ w2 + b2)
'''},
    {"todo": "feed_forward", "why": "softmax over the sequence mixes positions", "fails": "position_wise", "code": '''
def feed_forward(x, w1, b1, w2, b2):
    h = F.gelu(x @ w1 + b1)
    return torch.softmax(h, dim=1) @ w2 + b2
'''},
    {"todo": "block_forward", "why": "ln1 used before both sub-layers", "fails": "pre_value", "code": _PRE + '''
    if norm_placement == "pre":
        x = keep * x + attn(n1(x))
        return keep * x + ffn(n1(x))
    if norm_placement == "post":
        x = n1(keep * x + attn(x))
        return n2(keep * x + ffn(x))
    x = keep * x + attn(x)
    return keep * x + ffn(x)
'''},
    {"todo": "block_forward", "why": "pre-norm adds the normalised stream back instead of x", "fails": "zero_sublayers_pre_is_identity",
     "code": _PRE + '''
    if norm_placement == "pre":
        h = n1(x)
        x = keep * h + attn(h)
        h = n2(x)
        return keep * h + ffn(h)
    if norm_placement == "post":
        x = n1(keep * x + attn(x))
        return n2(keep * x + ffn(x))
    x = keep * x + attn(x)
    return keep * x + ffn(x)
'''},
    {"todo": "block_forward", "why": "post-norm: the sub-layer reads the normalised x (that is pre-norm plus a norm)", "fails": "post_value",
     "code": _PRE + '''
    if norm_placement == "pre":
        x = keep * x + attn(n1(x))
        return keep * x + ffn(n2(x))
    if norm_placement == "post":
        x = n1(keep * x + attn(n1(x)))
        return n2(keep * x + ffn(n2(x)))
    x = keep * x + attn(x)
    return keep * x + ffn(x)
'''},
    {"todo": "block_forward", "why": "residual=False only dropped for the FFN sub-layer", "fails": "none_no_residual_value",
     "code": _PRE + '''
    if norm_placement == "pre":
        x = x + attn(n1(x))
        return keep * x + ffn(n2(x))
    if norm_placement == "post":
        x = n1(x + attn(x))
        return n2(keep * x + ffn(x))
    x = x + attn(x)
    return keep * x + ffn(x)
'''},
    {"todo": "block_forward", "why": "FFN before attention", "fails": "none_value", "code": _PRE + '''
    if norm_placement == "pre":
        x = keep * x + ffn(n1(x))
        return keep * x + attn(n2(x))
    if norm_placement == "post":
        x = n1(keep * x + ffn(x))
        return n2(keep * x + attn(x))
    x = keep * x + ffn(x)
    return keep * x + attn(x)
'''},
]
