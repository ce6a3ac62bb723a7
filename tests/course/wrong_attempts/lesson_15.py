"""Realistic wrong attempts at the lesson 15 TODOs; each must fail the check named in `fails`."""

ATTEMPTS = [
    {"todo": "sequence_logprob", "why": "mean over tokens instead of the lesson's sum", "fails": "uniform_logits", "code": '''
def sequence_logprob(logits, targets, mask):
    lp = torch.log_softmax(logits, -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return (lp * mask).sum(-1) / mask.sum(-1).clamp(min=1)
'''},
    {"todo": "sequence_logprob", "why": "mask forgotten: prompt tokens counted", "fails": "prompt_and_padding_ignored", "code": '''
def sequence_logprob(logits, targets, mask):
    lp = torch.log_softmax(logits, -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return lp.sum(-1)
'''},
    {"todo": "sequence_logprob", "why": "raw logits instead of log-softmax", "fails": "normalised_log_probs", "code": '''
def sequence_logprob(logits, targets, mask):
    lp = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return (lp * mask).sum(-1)
'''},
    {"todo": "sequence_logprob", "why": "detached to a plain tensor: no gradient reaches the policy", "fails": "keeps_gradient", "code": '''
def sequence_logprob(logits, targets, mask):
    with torch.no_grad():
        lp = torch.log_softmax(logits, -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return (lp * mask).sum(-1)
'''},
    {"todo": "dpo_loss", "why": "sign flipped inside the sigmoid", "fails": "direction", "code": '''
def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    c, r = beta * (policy_chosen - ref_chosen), beta * (policy_rejected - ref_rejected)
    return -torch.nn.functional.logsigmoid(r - c).mean(), c, r
'''},
    {"todo": "dpo_loss", "why": "per-pair losses returned, no mean", "fails": "scalar_loss", "code": '''
def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    c, r = beta * (policy_chosen - ref_chosen), beta * (policy_rejected - ref_rejected)
    return -torch.nn.functional.logsigmoid(c - r), c, r
'''},
    {"todo": "dpo_loss", "why": "log of sigmoid underflows for large margins", "fails": "stable_for_large_margins", "code": '''
def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    c, r = beta * (policy_chosen - ref_chosen), beta * (policy_rejected - ref_rejected)
    return -torch.log(torch.sigmoid(c - r)).mean(), c, r
'''},
    {"todo": "dpo_loss", "why": "rewards without beta", "fails": "lesson_example_rewards", "code": '''
def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    c, r = policy_chosen - ref_chosen, policy_rejected - ref_rejected
    return -torch.nn.functional.logsigmoid(beta * (c - r)).mean(), c, r
'''},
    {"todo": "dpo_loss", "why": "reference log-probs left out of the margin", "fails": "equal_is_log_two", "code": '''
def dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    c, r = beta * (policy_chosen - ref_chosen), beta * (policy_rejected - ref_rejected)
    return -torch.nn.functional.logsigmoid(beta * (policy_chosen - policy_rejected)).mean(), c, r
'''},
    {"todo": "kl_estimate", "why": "reference minus policy: the sign is reversed", "fails": "matches_true_kl", "code": '''
def kl_estimate(logp_policy, logp_ref):
    return float((logp_ref - logp_policy).mean())
'''},
    {"todo": "kl_estimate", "why": "summed over samples, not averaged", "fails": "per_response_not_total", "code": '''
def kl_estimate(logp_policy, logp_ref):
    return float((logp_policy - logp_ref).sum())
'''},
    {"todo": "kl_estimate", "why": "weights samples by p again although they were drawn from p", "fails": "matches_true_kl", "code": '''
def kl_estimate(logp_policy, logp_ref):
    return float((logp_policy.exp() * (logp_policy - logp_ref)).mean())
'''},
    {"todo": "kl_estimate", "why": "returns a tensor, not a float", "fails": "returns_float", "code": '''
def kl_estimate(logp_policy, logp_ref):
    return (logp_policy - logp_ref).mean()
'''},
]
