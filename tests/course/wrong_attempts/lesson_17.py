"""Realistic wrong attempts at the lesson 17 TODOs; each must fail the check named in `fails`."""

ATTEMPTS = [
    {"todo": "chunk_document", "why": "the range stops before the short last piece", "fails": "covers_every_word", "code": '''
def chunk_document(text, chunk_size, overlap):
    words = text.split()
    step = max(chunk_size - overlap, 1)
    return [" ".join(words[i:i + chunk_size]) for i in range(0, len(words) - chunk_size, step)]
'''},
    {"todo": "chunk_document", "why": "chunk_size taken as characters", "fails": "size_in_words_not_characters", "code": '''
def chunk_document(text, chunk_size, overlap):
    step = max(chunk_size - overlap, 1)
    return [text[i:i + chunk_size] for i in range(0, len(text), step)]
'''},
    {"todo": "chunk_document", "why": "overlap ignored", "fails": "overlap_shared", "code": '''
def chunk_document(text, chunk_size, overlap):
    words = text.split()
    return [" ".join(words[i:i + chunk_size]) for i in range(0, len(words), chunk_size)]
'''},
    {"todo": "chunk_document", "why": "paragraphs as chunks whatever their size", "fails": "size_respected", "code": '''
def chunk_document(text, chunk_size, overlap):
    return [p.strip() for p in text.split("\\n\\n") if p.strip()]
'''},
    {"todo": "build_messages", "why": "chunks pasted as a Python list", "fails": "chunks_verbatim", "code": '''
def build_messages(question, chunks):
    return [{"role": "system", "content": "Answer only from the context. Say so if it is not there."},
            {"role": "user", "content": f"Context: {chunks}\\nQuestion: {question}"}]
'''},
    {"todo": "build_messages", "why": "question lower-cased into a template", "fails": "question_last", "code": '''
def build_messages(question, chunks):
    context = "\\n\\n".join(chunks)
    return [{"role": "system", "content": "Answer only from the context. Say so if it is not there."},
            {"role": "user", "content": f"{context}\\n\\nquestion: {question.lower()}"}]
'''},
    {"todo": "build_messages", "why": "no system prompt: rules mixed into nothing", "fails": "has_system_prompt", "code": '''
def build_messages(question, chunks):
    return [{"role": "user", "content": "\\n\\n".join(chunks) + "\\n\\n" + question}]
'''},
    {"todo": "build_messages", "why": "question put in the system message, context last", "fails": "question_last", "code": '''
def build_messages(question, chunks):
    return [{"role": "system", "content": "Answer this question from the context: " + question},
            {"role": "user", "content": "\\n\\n".join(chunks)}]
'''},
    {"todo": "execute_tool_call", "why": "no error handling: any bad call crashes the loop", "fails": "invalid_json", "code": '''
def execute_tool_call(name, arguments, tools):
    try:
        return str(tools[name](**json.loads(arguments))), True
    except KeyError:
        return f"unknown tool {name}", False
'''},
    {"todo": "execute_tool_call", "why": "eval on the model's arguments", "fails": "never_eval", "code": '''
def execute_tool_call(name, arguments, tools):
    if name not in tools:
        return f"error: unknown tool {name}", False
    try:
        return str(tools[name](**eval(arguments))), True
    except Exception as exc:
        return f"error: {exc}", False
'''},
    {"todo": "execute_tool_call", "why": "the tool's raw return value passed on", "fails": "result_is_text", "code": '''
def execute_tool_call(name, arguments, tools):
    if name not in tools:
        return f"error: unknown tool {name}", False
    try:
        return tools[name](**json.loads(arguments)), True
    except Exception as exc:
        return f"error: {exc}", False
'''},
    {"todo": "execute_tool_call", "why": "failures reported as ok", "fails": "unknown_tool", "code": '''
def execute_tool_call(name, arguments, tools):
    try:
        return str(tools[name](**json.loads(arguments))), True
    except Exception as exc:
        return f"error: {exc}", True
'''},
    {"todo": "judge_verdict", "why": "swapped verdict not mapped back", "fails": "swap_cancels_position_bias", "code": '''
def judge_verdict(judge, question, answer_a, answer_b, mitigation):
    first = judge(question, answer_a, answer_b)
    if mitigation == "none":
        return first
    second = judge(question, answer_b, answer_a)
    return first if first == second else "tie"
'''},
    {"todo": "judge_verdict", "why": "first verdict wins when the orders disagree", "fails": "swap_cancels_position_bias", "code": '''
def judge_verdict(judge, question, answer_a, answer_b, mitigation):
    first = judge(question, answer_a, answer_b)
    if mitigation == "none":
        return first
    second = {"A": "B", "B": "A", "tie": "tie"}[judge(question, answer_b, answer_a)]
    return first if first != "tie" else second
'''},
    {"todo": "judge_verdict", "why": "swap+length treated like swap", "fails": "length_does_not_decide", "code": '''
def judge_verdict(judge, question, answer_a, answer_b, mitigation):
    first = judge(question, answer_a, answer_b)
    if mitigation == "none":
        return first
    second = {"A": "B", "B": "A", "tie": "tie"}[judge(question, answer_b, answer_a)]
    return first if first == second else "tie"
'''},
]
