"""Realistic wrong attempts at the lesson 1 TODOs; each must fail the check it names."""

# encode attempts come with a working merge_pair: a learner checks encode once merge_pair is done.
MERGE_PAIR = '''
def merge_pair(word, pair, new_id):
    out, i = [], 0
    while i < len(word):
        if word[i:i + 2] == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)
'''

ATTEMPTS = [
    {"todo": "count_pairs", "why": "counts each pair once, ignoring the word frequency", "fails": "docstring_example",
     "code": '''
def count_pairs(words):
    counts = Counter()
    for word in words:
        for pair in zip(word, word[1:]):
            counts[pair] += 1
    return counts
'''},
    {"todo": "count_pairs", "why": "off-by-one: the range stops one pair early", "fails": "docstring_example",
     "code": '''
def count_pairs(words):
    counts = Counter()
    for word, freq in words.items():
        for i in range(len(word) - 2):
            counts[(word[i], word[i + 1])] += freq
    return counts
'''},
    {"todo": "count_pairs", "why": "joins all words into one stream, so pairs cross word boundaries",
     "fails": "pairs_stay_inside_words", "code": '''
def count_pairs(words):
    stream = [s for word, freq in words.items() for _ in range(freq) for s in word]
    return Counter(zip(stream, stream[1:]))
'''},
    {"todo": "merge_pair", "why": "after a match the scan moves one step, not two (merges overlaps twice)",
     "fails": "overlapping_pairs", "code": '''
def merge_pair(word, pair, new_id):
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(new_id)
        else:
            out.append(word[i])
        i += 1
    return tuple(out)
'''},
    {"todo": "merge_pair", "why": "off-by-one: the loop never looks at the last pair", "fails": "match_at_the_end",
     "code": '''
def merge_pair(word, pair, new_id):
    out, i = [], 0
    while i < len(word) - 2:
        if (word[i], word[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out) + tuple(word[i:])
'''},
    {"todo": "merge_pair", "why": "returns a list, which cannot be a dictionary key", "fails": "returns_a_tuple",
     "code": '''
def merge_pair(word, pair, new_id):
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return out
'''},
    {"todo": "encode", "why": "encodes the whole text as one word, so merges cross pre-tokens",
     "fails": "merges_never_cross_pretokens", "code": MERGE_PAIR + '''
def encode(text, merges):
    word = tuple(text.encode("utf-8"))
    for pair, new_id in merges:
        word = merge_pair(word, pair, new_id)
    return list(word)
'''},
    {"todo": "encode", "why": "applies the merges in reverse order", "fails": "merges_in_order",
     "code": MERGE_PAIR + '''
def encode(text, merges):
    ids = []
    for piece in pretokenize(text):
        word = tuple(piece)
        for pair, new_id in reversed(merges):
            word = merge_pair(word, pair, new_id)
        ids.extend(word)
    return ids
'''},
]
