"""Reference implementations of the lesson 10 TODOs (test tree only: never shipped or indexed).

Executed inside the starter module's namespace (`json`, `re`, `labels_in`). Decisions taken
here: balanced draws (labels in a seeded random order fill the remainder when shots is not a
multiple of the label count), "grouped" keeps each label's examples together in a seeded label
order, examples as one user message of blank-line-separated blocks, the query ends with the
lead-in, exactly one named label is accepted.
"""


def select_examples(pool, shots, order, rng):
    if shots <= 0:
        return []
    by_label = {}
    for item in pool:
        by_label.setdefault(item["label"], []).append(item)
    labels = sorted(by_label)
    rng.shuffle(labels)
    for lab in labels:
        rng.shuffle(by_label[lab])
    chosen = {lab: [] for lab in labels}
    i = 0
    while sum(len(v) for v in chosen.values()) < shots:
        lab = labels[i % len(labels)]
        if len(chosen[lab]) < len(by_label[lab]):
            chosen[lab].append(by_label[lab][len(chosen[lab])])
        i += 1
    if order == "grouped":
        return [item for lab in labels for item in chosen[lab]]
    picked = [item for lab in labels for item in chosen[lab]]
    rng.shuffle(picked)
    return picked


def build_messages(query, examples, instruction, system_prompt, example_format, labels):
    def render(text, label):
        if example_format == "json":
            answer = json.dumps({"label": label}) if label else ""
            return f"Ticket: {text}\nAnswer: {answer}".rstrip()
        return f"Ticket: {text}\nLabel: {label}".rstrip() if label else f"Ticket: {text}\nLabel:"

    parts = []
    if instruction:
        parts.append("Classify the support ticket into exactly one of these labels: " + ", ".join(labels) + ".")
    parts += [render(e["text"], e["label"]) for e in examples]
    parts.append(render(query, None))
    messages = [{"role": "user", "content": "\n\n".join(parts)}]
    if system_prompt:
        messages.insert(0, {"role": "system", "content": "You are a support triage assistant. Reply with the answer only, nothing else."})
    return messages


def parse_label(output, labels):
    text = re.sub(r"<think>.*?(</think>|$)", " ", output, flags=re.S | re.I)
    match = re.search(r"\{.*\}", text, flags=re.S)
    if match:
        try:
            value = json.loads(match.group(0)).get("label")
            if isinstance(value, str):
                text = value
        except (ValueError, AttributeError):
            pass
    named = labels_in(text, labels)
    return named[0] if len(named) == 1 else None
