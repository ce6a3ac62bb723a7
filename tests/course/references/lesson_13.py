"""Reference implementations of the lesson 13 TODOs (test tree only: never shipped or indexed).

Executed inside the starter module's namespace (`np`). Decisions taken here: a plain
"User:/Assistant:" layout ending in a newline end marker; mask_prompt=True trains on the
response only; the checkpoint with the lowest held-out loss (earliest on ties).
"""


def format_example(prompt, response):
    return f"User: {prompt}\nAssistant:", f" {response}\n"


def loss_mask(prompt_len, total_len, mask_prompt):
    mask = np.ones(total_len)
    mask[0] = 0.0
    if mask_prompt:
        mask[:prompt_len] = 0.0
    return mask


def choose_checkpoint(eval_losses):
    return int(np.argmin(eval_losses))
