"""Realistic wrong attempts at the lesson 16 TODOs; each must fail the check named in `fails`."""

ATTEMPTS = [
    {"todo": "verifiable_reward", "why": "wrong answers penalised, truncation free: the policy learns to never answer",
     "fails": "truncation_no_better_than_wrong", "code": '''
def verifiable_reward(answer, target, length, truncated):
    if truncated:
        return 0.0
    return 1.0 if answer == target else -1.0
'''},
    {"todo": "verifiable_reward", "why": "a steep cost per token: guessing at once pays best", "fails": "reasoning_beats_guessing", "code": '''
def verifiable_reward(answer, target, length, truncated):
    return float(answer == target) - 0.25 * length
'''},
    {"todo": "verifiable_reward", "why": "a bonus per reasoning token", "fails": "length_is_no_prize", "code": '''
def verifiable_reward(answer, target, length, truncated):
    return float(answer == target) + 0.05 * length
'''},
    {"todo": "verifiable_reward", "why": "answer None compared with int(None or 0): truncated episodes score on target 0", "fails": "truncated_not_correct",
     "code": '''
def verifiable_reward(answer, target, length, truncated):
    return float(int(answer or 0) == target)
'''},
    {"todo": "group_advantages", "why": "no epsilon: 0 / 0 when every reward is equal", "fails": "all_same_is_zero", "code": '''
def group_advantages(rewards):
    r = np.asarray(rewards, dtype=float)
    return (r - r.mean()) / r.std()
'''},
    {"todo": "group_advantages", "why": "mean minus reward: the sign is reversed", "fails": "order_kept", "code": '''
def group_advantages(rewards):
    r = np.asarray(rewards, dtype=float)
    return (r.mean() - r) / (r.std() + 1e-6)
'''},
    {"todo": "group_advantages", "why": "divided by the std but not centred", "fails": "centred", "code": '''
def group_advantages(rewards):
    r = np.asarray(rewards, dtype=float)
    return r / (r.std() + 1e-6)
'''},
    {"todo": "group_advantages", "why": "baseline is the best reward in the group", "fails": "centred", "code": '''
def group_advantages(rewards):
    r = np.asarray(rewards, dtype=float)
    return (r - r.max()) / (r.std() + 1e-6)
'''},
    {"todo": "clipped_surrogate", "why": "forgot the minus sign: maximises the loss", "fails": "on_policy_is_minus_advantage", "code": '''
def clipped_surrogate(logp_new, logp_old, advantages, clip_eps):
    ratio = torch.exp(logp_new - logp_old)
    return torch.minimum(ratio * advantages, torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps) * advantages)
'''},
    {"todo": "clipped_surrogate", "why": "max instead of min: the wrong-way token is clipped too", "fails": "clipped_tokens_have_no_gradient", "code": '''
def clipped_surrogate(logp_new, logp_old, advantages, clip_eps):
    ratio = torch.exp(logp_new - logp_old)
    return -torch.maximum(ratio * advantages, torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps) * advantages)
'''},
    {"todo": "clipped_surrogate", "why": "ratio of log-probs instead of exp of their difference", "fails": "ratio_from_log_probs", "code": '''
def clipped_surrogate(logp_new, logp_old, advantages, clip_eps):
    ratio = logp_new / logp_old
    return -torch.minimum(ratio * advantages, torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps) * advantages)
'''},
    {"todo": "clipped_surrogate", "why": "mean over tokens returned", "fails": "per_token_shape", "code": '''
def clipped_surrogate(logp_new, logp_old, advantages, clip_eps):
    ratio = torch.exp(logp_new - logp_old)
    return -torch.minimum(ratio * advantages, torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps) * advantages).mean()
'''},
    {"todo": "kl_penalty", "why": "k3 with the ratio upside down", "fails": "lesson_example", "code": '''
def kl_penalty(logp_new, logp_ref):
    log_u = logp_new - logp_ref
    return torch.exp(log_u) - log_u - 1
'''},
    {"todo": "kl_penalty", "why": "reference minus policy", "fails": "lesson_example", "code": '''
def kl_penalty(logp_new, logp_ref):
    return logp_ref - logp_new
'''},
    {"todo": "kl_penalty", "why": "detached: the penalty never reaches the gradient", "fails": "gradient_reaches_policy", "code": '''
def kl_penalty(logp_new, logp_ref):
    log_u = logp_ref - logp_new.detach()
    return torch.exp(log_u) - log_u - 1
'''},
]
