"""Realistic wrong attempts at the lesson 13 TODOs; each must fail the check named in `fails`."""

ATTEMPTS = [
    {"todo": "format_example", "why": "no end marker: the model never learns to stop", "fails": "has_end_marker", "code": '''
def format_example(prompt, response):
    return f"User: {prompt}\\nAssistant: ", response
'''},
    {"todo": "format_example", "why": "role marker put at the start of the response part", "fails": "response_starts_with_answer", "code": '''
def format_example(prompt, response):
    return f"User: {prompt}\\n", f"Assistant: {response}\\n"
'''},
    {"todo": "format_example", "why": "prompt and answer both in the prompt part", "fails": "prompt_in_prompt_part", "code": '''
def format_example(prompt, response):
    return f"User: {prompt}\\nAssistant: {response}", "\\n"
'''},
    {"todo": "format_example", "why": "no separator between question and answer", "fails": "prompt_marks_the_turn", "code": '''
def format_example(prompt, response):
    return prompt, response + "\\n"
'''},
    {"todo": "loss_mask", "why": "off by one: first response token masked out", "fails": "first_response_token_counts", "code": '''
def loss_mask(prompt_len, total_len, mask_prompt):
    mask = np.ones(total_len)
    mask[0] = 0.0
    if mask_prompt:
        mask[:prompt_len + 1] = 0.0
    return mask
'''},
    {"todo": "loss_mask", "why": "position 0 left in the loss without masking", "fails": "position_zero_never", "code": '''
def loss_mask(prompt_len, total_len, mask_prompt):
    mask = np.ones(total_len)
    if mask_prompt:
        mask[:prompt_len] = 0.0
    return mask
'''},
    {"todo": "loss_mask", "why": "mask of the shifted targets (length total_len - 1)", "fails": "length_and_values", "code": '''
def loss_mask(prompt_len, total_len, mask_prompt):
    mask = np.ones(total_len - 1)
    if mask_prompt:
        mask[:prompt_len - 1] = 0.0
    return mask
'''},
    {"todo": "loss_mask", "why": "end marker excluded", "fails": "end_marker_counts", "code": '''
def loss_mask(prompt_len, total_len, mask_prompt):
    mask = np.zeros(total_len)
    mask[(prompt_len if mask_prompt else 1):total_len - 1] = 1.0
    return mask
'''},
    {"todo": "choose_checkpoint", "why": "always the last epoch", "fails": "u_shaped_curve", "code": '''
def choose_checkpoint(eval_losses):
    return len(eval_losses) - 1
'''},
    {"todo": "choose_checkpoint", "why": "epochs counted from 1: argmin + 1", "fails": "u_shaped_curve", "code": '''
def choose_checkpoint(eval_losses):
    return int(np.argmin(eval_losses)) + 1
'''},
    {"todo": "choose_checkpoint", "why": "returns the best loss instead of its index", "fails": "returns_an_index", "code": '''
def choose_checkpoint(eval_losses):
    return min(eval_losses)
'''},
    {"todo": "choose_checkpoint", "why": "never keeps the untuned model", "fails": "training_only_hurts", "code": '''
def choose_checkpoint(eval_losses):
    if len(eval_losses) == 1:
        return 0
    return 1 + int(np.argmin(eval_losses[1:]))
'''},
]
