"""Realistic wrong attempts at the lesson 10 TODOs; each must fail the check named in `fails`."""

ATTEMPTS = [
    {"todo": "select_examples", "why": "global random.sample instead of rng", "fails": "same_seed_same_draw", "code": '''
def select_examples(pool, shots, order, rng):
    picked = random.sample(pool, shots)
    if order == "grouped":
        picked.sort(key=lambda e: e["label"])
    return picked
'''},
    {"todo": "select_examples", "why": "plain random draw, labels not balanced", "fails": "balanced_labels", "code": '''
def select_examples(pool, shots, order, rng):
    picked = rng.sample(pool, shots)
    if order == "grouped":
        picked.sort(key=lambda e: e["label"])
    return picked
'''},
    {"todo": "select_examples", "why": "draws with replacement (rng.choices)", "fails": "no_duplicates", "code": '''
def select_examples(pool, shots, order, rng):
    picked = rng.choices(pool, k=shots)
    if order == "grouped":
        picked.sort(key=lambda e: e["label"])
    return picked
'''},
    {"todo": "select_examples", "why": "balanced, but 'grouped' ignored (always shuffled)", "fails": "grouped_is_contiguous", "code": '''
def select_examples(pool, shots, order, rng):
    by = {}
    for e in pool:
        by.setdefault(e["label"], []).append(e)
    labels = sorted(by)
    picked = []
    i = 0
    while len(picked) < shots:
        lab = labels[i % len(labels)]
        left = [e for e in by[lab] if e not in picked]
        if left:
            picked.append(rng.choice(left))
        i += 1
    rng.shuffle(picked)
    return picked
'''},
    {"todo": "build_messages", "why": "examples on consecutive lines, no blank line between them", "fails": "toy_reads_every_example", "code": '''
def build_messages(query, examples, instruction, system_prompt, example_format, labels):
    lines = []
    if instruction:
        lines.append("Classify the ticket as one of: " + ", ".join(labels))
    for e in examples:
        answer = json.dumps({"label": e["label"]}) if example_format == "json" else e["label"]
        lines.append(f"Ticket: {e['text']} -> {answer}")
    lines.append(f"Ticket: {query} ->")
    messages = [{"role": "user", "content": "\\n".join(lines)}]
    if system_prompt:
        messages.insert(0, {"role": "system", "content": "Answer with the label only."})
    return messages
'''},
    {"todo": "build_messages", "why": "system prompt replaces the instruction instead of adding to it", "fails": "system_prompt_changes_only_itself", "code": '''
def build_messages(query, examples, instruction, system_prompt, example_format, labels):
    blocks = []
    if instruction and not system_prompt:
        blocks.append("Classify the ticket as one of: " + ", ".join(labels))
    for e in examples:
        answer = json.dumps({"label": e["label"]}) if example_format == "json" else e["label"]
        blocks.append(f"Ticket: {e['text']}\\nLabel: {answer}")
    blocks.append(f"Ticket: {query}\\nLabel:")
    messages = [{"role": "user", "content": "\\n\\n".join(blocks)}]
    if system_prompt:
        messages.insert(0, {"role": "system", "content": "Classify the ticket as one of: " + ", ".join(labels)})
    return messages
'''},
    {"todo": "build_messages", "why": "json flag ignored: examples always plain", "fails": "json_answers", "code": '''
def build_messages(query, examples, instruction, system_prompt, example_format, labels):
    blocks = []
    if instruction:
        blocks.append("Classify the ticket as one of: " + ", ".join(labels))
    blocks += [f"Ticket: {e['text']}\\nLabel: {e['label']}" for e in examples]
    blocks.append(f"Ticket: {query}\\nLabel:")
    messages = [{"role": "user", "content": "\\n\\n".join(blocks)}]
    if system_prompt:
        messages.insert(0, {"role": "system", "content": "Answer with the label only."})
    return messages
'''},
    {"todo": "build_messages", "why": "system prompt lists the labels, so instruction=False still shows them", "fails": "system_prompt_switch",
     "code": '''
def build_messages(query, examples, instruction, system_prompt, example_format, labels):
    blocks = []
    if instruction:
        blocks.append("Classify the ticket.")
    for e in examples:
        answer = json.dumps({"label": e["label"]}) if example_format == "json" else e["label"]
        blocks.append(f"Ticket: {e['text']}\\nLabel: {answer}")
    blocks.append(f"Ticket: {query}\\nLabel:")
    return [{"role": "user", "content": "Allowed labels: " + ", ".join(labels) + "\\n\\n" + "\\n\\n".join(blocks)}]
'''},
    {"todo": "parse_label", "why": "substring test: 'bug' found inside 'debugging'", "fails": "whole_words_only", "code": '''
def parse_label(output, labels):
    text = re.sub(r"<think>.*?</think>", " ", output, flags=re.S).lower().replace(" ", "_")
    found = [lab for lab in labels if lab in text]
    return found[0] if len(found) == 1 else None
'''},
    {"todo": "parse_label", "why": "first label wins when two are named", "fails": "two_labels_is_none", "code": '''
def parse_label(output, labels):
    text = re.sub(r"<think>.*?</think>", " ", output, flags=re.S)
    found = labels_in(text, labels)
    return found[0] if found else None
'''},
    {"todo": "parse_label", "why": "reasoning block not dropped", "fails": "drops_think_block", "code": '''
def parse_label(output, labels):
    found = labels_in(output, labels)
    return found[0] if len(found) == 1 else None
'''},
    {"todo": "parse_label", "why": "strict match after strip only: case and lead-in not handled", "fails": "lead_in_and_case", "code": '''
def parse_label(output, labels):
    text = re.sub(r"<think>.*?</think>", " ", output, flags=re.S).strip().strip(".").replace(" ", "_")
    if text.startswith("{"):
        text = json.loads(text).get("label", "")
    text = text.replace("This_sounds_like_a_", "").replace("_issue", "")
    return text if text in labels else None
'''},
]
