"""Reference implementations of the lesson 16 TODOs (test tree only: never shipped or indexed).

Executed inside the starter module's namespace (`np`, `torch`). Decisions taken here:
reward 1 for a correct answer, 0 otherwise (truncation included); (r - mean) / (population
std + 1e-6); the PPO clip; the non-negative k3 estimator.
"""


def verifiable_reward(answer, target, length, truncated):
    return 1.0 if (not truncated and answer == target) else 0.0


def group_advantages(rewards):
    rewards = np.asarray(rewards, dtype=np.float64)
    return (rewards - rewards.mean()) / (rewards.std() + 1e-6)


def clipped_surrogate(logp_new, logp_old, advantages, clip_eps):
    ratio = torch.exp(logp_new - logp_old)
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps) * advantages
    return -torch.minimum(unclipped, clipped)


def kl_penalty(logp_new, logp_ref):
    log_u = logp_ref - logp_new
    return torch.exp(log_u) - log_u - 1
