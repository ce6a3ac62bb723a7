"""Realistic wrong attempts at the lesson 8 TODOs; each must fail the check named in `fails`."""

ATTEMPTS = [
    {"todo": "route_top_k", "why": "ascending argsort keeps the k lowest scores", "fails": "picks_highest", "code": '''
def route_top_k(router_logits, k):
    return np.argsort(router_logits, axis=-1)[:, :k]
'''},
    {"todo": "route_top_k", "why": "ranked along the token axis", "fails": "shape_and_int", "code": '''
def route_top_k(router_logits, k):
    return np.argsort(-router_logits, axis=0)[:k].T
'''},
    {"todo": "route_top_k", "why": "off-by-one slice skips the best expert", "fails": "picks_highest", "code": '''
def route_top_k(router_logits, k):
    return np.argsort(router_logits, axis=-1)[:, -k - 1:-1]
'''},
    {"todo": "route_top_k", "why": "returns the sorted scores, not the expert ids", "fails": "shape_and_int", "code": '''
def route_top_k(router_logits, k):
    return np.sort(router_logits, axis=-1)[:, ::-1][:, :k]
'''},
    {"todo": "gate_weights", "why": "softmax over the tokens (axis 0)", "fails": "softmax_ratio", "code": '''
def gate_weights(router_logits, chosen):
    picked = np.take_along_axis(router_logits, chosen, axis=1)
    z = np.exp(picked - picked.max())
    return z / z.sum(axis=0, keepdims=True)
'''},
    {"todo": "gate_weights", "why": "takes the first k columns of the softmax, ignoring which experts were chosen", "fails": "follows_chosen",
     "code": '''
def gate_weights(router_logits, chosen):
    z = np.exp(router_logits - router_logits.max(axis=1, keepdims=True))
    p = z / z.sum(axis=1, keepdims=True)
    return p[:, :chosen.shape[1]]
'''},
    {"todo": "gate_weights", "why": "raw logits normalised by their sum, not a softmax", "fails": "softmax_ratio", "code": '''
def gate_weights(router_logits, chosen):
    picked = np.take_along_axis(router_logits, chosen, axis=1)
    return picked / picked.sum(axis=1, keepdims=True)
'''},
    {"todo": "gate_weights", "why": "no max subtraction: exp overflows", "fails": "large_logits_finite", "code": '''
def gate_weights(router_logits, chosen):
    z = np.exp(np.take_along_axis(router_logits, chosen, axis=1))
    return z / z.sum(axis=1, keepdims=True)
'''},
    {"todo": "active_params_per_token", "why": "router left out of the active count", "fails": "lesson_example", "code": '''
def active_params_per_token(n_experts, k, d_model, d_ff):
    expert = 2 * d_model * d_ff
    return {"total": n_experts * expert + d_model * n_experts, "active": k * expert}
'''},
    {"todo": "active_params_per_token", "why": "expert counted as one matrix", "fails": "lesson_example", "code": '''
def active_params_per_token(n_experts, k, d_model, d_ff):
    expert = d_model * d_ff
    return {"total": n_experts * expert + d_model * n_experts, "active": k * expert + d_model * n_experts}
'''},
    {"todo": "active_params_per_token", "why": "active as the fraction k / E of the total", "fails": "whole_numbers", "code": '''
def active_params_per_token(n_experts, k, d_model, d_ff):
    total = n_experts * 2 * d_model * d_ff + d_model * n_experts
    return {"total": total, "active": total * k / n_experts}
'''},
]
