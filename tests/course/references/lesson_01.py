"""Reference implementations of the lesson 1 TODOs (test tree only: never shipped or indexed).

Executed inside the starter module's namespace (`Counter`, `pretokenize`).
"""


def count_pairs(words):
    counts = Counter()
    for word, freq in words.items():
        for pair in zip(word, word[1:]):
            counts[pair] += freq
    return counts


def merge_pair(word, pair, new_id):
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def encode(text, merges):
    ids = []
    for piece in pretokenize(text):
        word = tuple(piece)
        for pair, new_id in merges:
            word = merge_pair(word, pair, new_id)
        ids.extend(word)
    return ids
