"""Reference implementations of the lesson 17 TODOs (test tree only: never shipped or indexed).

Executed inside the starter module's namespace (`json`, `re`). Decisions taken here: sentences
packed into chunks of at most chunk_size words (a longer sentence is cut in word windows),
overlap carried as the trailing whole sentences of up to `overlap` words; a grounded system
prompt with numbered chunks; tool errors returned to the model as text; both orders asked, a
disagreement is a tie, and for swap+length both answers are cut to the shorter one's length.
"""


def chunk_document(text, chunk_size, overlap):
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n\s*\n", text) if s.strip()]
    pieces = []
    for s in sentences:
        words = s.split()
        step = max(chunk_size, 1)
        pieces += [" ".join(words[i:i + step]) for i in range(0, len(words), step)]
    chunks, current = [], []
    for piece in pieces:
        n = len(piece.split())
        if current and sum(len(p.split()) for p in current) + n > chunk_size:
            chunks.append(" ".join(current))
            carry, size = [], 0
            for p in reversed(current):
                size += len(p.split())
                if size > overlap:
                    break
                carry.insert(0, p)
            current = carry if sum(len(p.split()) for p in carry) + n <= chunk_size else []
        current.append(piece)
    if current:
        chunks.append(" ".join(current))
    return chunks


def build_messages(question, chunks):
    system = ("You answer questions about the Kestrel cluster using only the numbered context passages. "
              "Cite the passage numbers you used. If the passages do not contain the answer, say that it is "
              "not in the documents. Use the calculator tool for any arithmetic.")
    context = "\n\n".join(f"[{i}] {c}" for i, c in enumerate(chunks, 1)) or "(no passages retrieved)"
    return [{"role": "system", "content": system},
            {"role": "user", "content": f"Context:\n{context}\n\nQuestion: {question}"}]


def execute_tool_call(name, arguments, tools):
    if name not in tools:
        return f"error: unknown tool {name!r}; available tools: {', '.join(sorted(tools))}", False
    try:
        kwargs = json.loads(arguments) if arguments.strip() else {}
    except (ValueError, AttributeError):
        return "error: the arguments are not valid JSON", False
    if not isinstance(kwargs, dict):
        return "error: the arguments must be a JSON object", False
    try:
        return str(tools[name](**kwargs)), True
    except TypeError as exc:
        return f"error: wrong arguments for {name}: {exc}", False
    except Exception as exc:  # the tool itself failed: tell the model, keep the loop alive
        return f"error: {name} failed: {exc}", False


def judge_verdict(judge, question, answer_a, answer_b, mitigation):
    if mitigation == "none":
        return judge(question, answer_a, answer_b)
    if mitigation == "swap+length":
        n = min(len(answer_a.split()), len(answer_b.split()))
        answer_a, answer_b = " ".join(answer_a.split()[:n]), " ".join(answer_b.split()[:n])
    first = judge(question, answer_a, answer_b)
    second = {"A": "B", "B": "A", "tie": "tie"}[judge(question, answer_b, answer_a)]
    return first if first == second else "tie"
