"""Realistic wrong attempts at the lesson 18 TODOs; each must fail the check named in `fails`."""

ATTEMPTS = [
    {"todo": "chunk_document", "why": "the range stops before the short last piece", "fails": "covers_every_word", "code": '''
def chunk_document(text, chunk_size, overlap):
    words = text.split()
    return [" ".join(words[i:i + chunk_size]) for i in range(0, len(words) - chunk_size, chunk_size - overlap)]
'''},
    {"todo": "chunk_document", "why": "whole headings sections, however long", "fails": "size_respected", "code": '''
def chunk_document(text, chunk_size, overlap):
    parts = re.split(r"\\n(?=#)", text)
    return [p.strip() for p in parts if p.strip()]
'''},
    {"todo": "chunk_document", "why": "overlap subtracted twice: chunks repeat words with overlap 0", "fails": "no_overlap_no_repeats", "code": '''
def chunk_document(text, chunk_size, overlap):
    words = text.split()
    step = max(chunk_size - overlap - 1, 1)
    out = []
    for i in range(0, len(words), step):
        out.append(" ".join(words[i:i + chunk_size]))
        if i + chunk_size >= len(words):
            break
    return out
'''},
    {"todo": "build_messages", "why": "with no chunks, returns an empty list", "fails": "retrieval_off", "code": '''
def build_messages(question, chunks):
    if not chunks:
        return []
    return [{"role": "system", "content": "Answer from the passages only; cite them."},
            {"role": "user", "content": "\\n\\n".join(chunks) + "\\n\\nQuestion: " + question}]
'''},
    {"todo": "build_messages", "why": "chunks pasted as a Python list", "fails": "chunks_verbatim", "code": '''
def build_messages(question, chunks):
    return [{"role": "system", "content": "Answer from the passages only; cite them."},
            {"role": "user", "content": f"Passages: {chunks}\\nQuestion: {question}"}]
'''},
    {"todo": "build_messages", "why": "system rules sent as a user turn after the question", "fails": "has_system_prompt", "code": '''
def build_messages(question, chunks):
    return [{"role": "user", "content": "\\n\\n".join(chunks) + "\\n\\nQuestion: " + question},
            {"role": "user", "content": "Answer from the passages only; cite them."}]
'''},
    {"todo": "make_tools", "why": "a list of schemas instead of the dict of (schema, function)", "fails": "at_least_one_tool", "code": '''
def make_tools():
    return [CALCULATOR_SCHEMA]
'''},
    {"todo": "make_tools", "why": "dict key differs from the schema's name", "fails": "names_match", "code": '''
def make_tools():
    return {"calc": (CALCULATOR_SCHEMA, calculator)}
'''},
    {"todo": "make_tools", "why": "function name as a string, not the function", "fails": "schema_and_function", "code": '''
def make_tools():
    return {"calculator": (CALCULATOR_SCHEMA, "calculator")}
'''},
    {"todo": "make_tools", "why": "second tool requires an argument it never declares", "fails": "required_are_declared", "code": '''
def make_tools():
    days = {"type": "function", "function": {"name": "days_between", "description": "Days between two ISO dates.",
            "parameters": {"type": "object", "properties": {"start": {"type": "string"}}, "required": ["start", "end"]}}}
    return {"calculator": (CALCULATOR_SCHEMA, calculator), "days_between": (days, lambda start, end: "0")}
'''},
    {"todo": "judge_rubric", "why": "asks for a 1-10 grade with no SCORE line", "fails": "score_line", "code": '''
def judge_rubric():
    return ("You are grading an answer about a computing cluster. Consider whether it is correct, grounded in "
            "the documentation and concise. Give a grade from 1 to 10 where 1 is useless and 10 is perfect, "
            "2 to 5 are weak, and explain your reasoning briefly before the grade.")
'''},
    {"todo": "judge_rubric", "why": "one line, no criteria, no meaning for the scores", "fails": "is_text", "code": '''
def judge_rubric():
    return "Grade the answer. End with SCORE: <1-5>."
'''},
    {"todo": "judge_rubric", "why": "only the ends of the scale defined", "fails": "every_score_defined", "code": '''
def judge_rubric():
    return ("You grade one answer to a question about a cluster's documentation. Judge correctness against "
            "the reference, grounding in the documents and directness; length is no merit. A perfect answer "
            "gets the top grade and a wrong one the lowest. Explain briefly, then end with the line "
            "SCORE: <grade>")
'''},
    {"todo": "score_answer", "why": "exact string equality: sentences score 0", "fails": "in_a_sentence", "code": '''
def score_answer(answer, item):
    return float(norm(answer) == norm(item["answer"]))
'''},
    {"todo": "score_answer", "why": "substring containment: 600 counts as 60", "fails": "no_partial_number_match", "code": '''
def score_answer(answer, item):
    return float(norm(item["answer"]) in norm(answer))
'''},
    {"todo": "score_answer", "why": "full stops removed from the answer, which splits 26.25", "fails": "decimals", "code": '''
def score_answer(answer, item):
    have = norm(answer).replace(".", " ").split()
    gold = norm(item["answer"]).split()
    return float(bool(gold) and all(t in have for t in gold))
'''},
]
