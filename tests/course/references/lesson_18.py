"""Reference implementations of the lesson 18 TODOs (test tree only: never shipped or indexed).

Executed inside the starter module's namespace (`re`, `norm`, `calculator`, `CALCULATOR_SCHEMA`).
Decisions taken here: word windows of chunk_size with `overlap` words shared; a grounded system
prompt that also covers retrieval off; the calculator as the one tool; a 1-5 rubric; an answer
scores 1 when every word and number of the gold answer appears in it as a whole token.
"""


def chunk_document(text, chunk_size, overlap):
    words = text.split()
    if not words:
        return []
    step = max(chunk_size - max(overlap, 0), 1)
    chunks = []
    for start in range(0, len(words), step):
        chunks.append(" ".join(words[start:start + chunk_size]))
        if start + chunk_size >= len(words):
            break
    return chunks


def build_messages(question, chunks):
    if chunks:
        system = ("Answer questions about the Kestrel cluster from the numbered passages only, and cite the "
                  "passage numbers you used. If they do not contain the answer, say it is not in the documents. "
                  "Use the calculator for arithmetic.")
        user = "Passages:\n" + "\n\n".join(f"[{i}] {c}" for i, c in enumerate(chunks, 1)) + f"\n\nQuestion: {question}"
    else:
        system = ("Answer questions about the Kestrel cluster. No documents are available for this question: "
                  "say so if you are not sure. Use the calculator for arithmetic.")
        user = f"Question: {question}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def make_tools():
    return {"calculator": (CALCULATOR_SCHEMA, calculator)}


def judge_rubric():
    return ("You grade one answer to a question about a computing cluster's documentation.\n"
            "Criteria: correctness against the reference answer when one is given, grounding in the documents, "
            "and directness. Length is not a merit.\n"
            "5: correct and direct. 4: correct with minor noise. 3: partly correct or hedged. "
            "2: mostly wrong or unsupported. 1: wrong, or does not answer.\n"
            "Explain in at most two sentences, then end with a line of the form\nSCORE: <1-5>")


def score_answer(answer, item):
    def tokens(text):
        return re.findall(r"\d+(?:\.\d+)?|[a-z]+", norm(text))

    gold = tokens(item["answer"])
    if not gold:
        return 0.0
    have = set(tokens(answer))
    return 1.0 if all(t in have for t in gold) else 0.0
