"""The deterministic outsourcing detector. It always runs, and it wins over any model.

A request is outsourcing when it asks the tutor (not the learner) to produce a deliverable:
lab code (a TODO stub, its body, a line or step of it, a "working version"), the answer to a
graded task, or the learner's notes/report. Override and role-play tricks, code pasted with
"finish this", indirect asks ("what would the completed function look like?") and salami
slicing across turns ("just step 2", "and the next line?") count too. The learner doing the
work ("how do I write a test for my attention function?") does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SOLUTION, REPORT = "solution_request", "report_request"


@dataclass(frozen=True)
class Detection:
    kind: str  # SOLUTION | REPORT
    reason: str  # which rule fired, for the contract event
    stub: str | None = None  # the TODO asked for, when one is named
    step: int | None = None  # "step 2", "TODO 3"


_NUM = {"one": 1, "first": 1, "1st": 1, "two": 2, "second": 2, "2nd": 2, "three": 3, "third": 3, "3rd": 3,
        "four": 4, "fourth": 4, "4th": 4, "five": 5, "fifth": 5, "last": -1}
_ORD = r"(?:\d+|one|two|three|four|five|first|second|third|fourth|fifth|1st|2nd|3rd|4th|last)"

VERB = (r"(?:writ(?:e|ing)|cod(?:e|ing)|implement(?:ing)?|giv(?:e|ing)|show(?:ing)?|send(?:ing)?|past(?:e|ing)|"
        r"post(?:ing)?|provid(?:e|ing)|print(?:ing)?|output(?:ting)?|typ(?:e|ing)|fill(?:ing)?|finish(?:ing)?|"
        r"complet(?:e|ing)|solv(?:e|ing)|do|doing|mak(?:e|ing)|generat(?:e|ing)|produc(?:e|ing)|draft(?:ing)?|"
        r"compos(?:e|ing)|creat(?:e|ing)|shar(?:e|ing)|hand(?:ing)?|build(?:ing)?|spell(?:ing)?|tell(?:ing)?|"
        r"put(?:ting)?|drop(?:ping)?|dump(?:ing)?|fix(?:ing)?|reveal(?:ing)?|gimme|did|wrote|coded|implemented|"
        r"made|solved|finished|completed|need|want)")
PARTICLE = r"(?:\s+(?:me|us|out|up|down|over|in|back|through)\b)*"
FILLERS = (r"(?:just|please|pls|plz|kindly|ok|okay|so|now|then|and|great|fine|quick|quickly|simply|also|hey|hi|"
           r"right|yeah|yes|alright|well|but|can you|could you|would you|will you|you|would you mind|"
           r"i need you to|i want you to|i'd like you to|if you could|go ahead and|you can|you could|you should|"
           r"you must|you have to|your job is to|let's have you|pretty please|only|instead|again|maybe)")

DELIVERABLE = (r"(?:code|codes|solution|solutions|answer|answers|implementation|implementations|body|bodies|lab|labs|"
               r"assignment|homework|todo|todos|stub|stubs|starter(?:\.py)?|script|program|exercise|exercises|"
               r"task|tasks|rest|remainder|insides?|contents?|return statement|line|lines|one-?liner|"
               r"function|functions|method|class|version)")
SCAFFOLD_HEADS = {"checklist", "skeleton", "template", "outline", "headings", "heading", "structure", "layout",
                  "hint", "hints", "signature", "signatures", "overview", "plan", "table", "list", "quiz",
                  "question", "questions", "formula", "explanation", "summary", "intuition", "example",
                  "examples", "test", "tests", "diagram", "sketch", "idea", "clue", "tip", "tips", "feedback",
                  "review", "pointer", "pointers", "reminder", "breakdown", "description", "definition",
                  "check", "checks", "rubric", "steps", "step-by-step", "walkthrough", "recap", "format",
                  "sentence", "docstring", "comment", "comments", "name", "names", "plot", "figure", "chart"}
REPORT_WORDS = (r"(?:notes(?:\.md)?|note|reflection|reflections|report|write-?up|conclusions?|analysis|discussion|"
                r"paragraph|paragraphs|sentences|bullet points|lab report|final report|section|sections)")
BOUNDARY = r"(?:\bfor\b|\bof\b|\bto\b|\bin\b|\bon\b|\bfrom\b|\bwith\b|\bthat\b|\bwhich\b|\bso\b|\bbecause\b|\bbased\b|\bi\b|\busing\b|,|\.(?:\s|$)|\?|!|:|;|$)"

OVERRIDE = [
    r"\bignore\b.{0,40}\b(?:rules?|instructions?|contract|agents(?:\.md)?|guidelines?|polic(?:y|ies)|system prompt|restrictions?|constraints?|guardrails?|prompt)\b",
    r"\b(?:disregard|forget|bypass|override|circumvent|turn off|disable|drop|suspend|lift)\b.{0,30}\b(?:rules?|instructions?|contract|agents(?:\.md)?|guidelines?|polic(?:y|ies)|restrictions?|constraints?|guardrails?|coaching)\b",
    r"\b(?:developer|dev|god|admin|debug|jailbreak|unrestricted|dan|sudo) mode\b",
    r"\bjailbreak",
    r"\b(?:rules?|restrictions?|guardrails?|limits?) (?:are |is )?(?:disabled|off|lifted|removed|suspended)\b",
    r"\b(?:with(?:out)?|no) (?:any )?(?:restrictions|rules|limits|guardrails|filters)\b",
    r"\bnew system prompt\b|\bsystem prompt\s*:|\bsystem:\s",
    r"\byou (?:are|'re) (?:now )?(?:allowed|permitted|authori[sz]ed) to\b",
    r"\b(?:my|the|our) (?:instructor|teacher|professor|prof|ta|tutor|lecturer|supervisor|boss|course staff|course lead|grader)\b.{0,50}\b(?:said|says|told|allowed|allows|permitted|permits|approved|agreed|lets|let me|ok'?d|okayed|fine with)\b",
    r"\b(?:rules?|contract|polic(?:y|ies)|agents\.md|restrictions?)\b.{0,50}\b(?:don'?t|do not|doesn'?t|does not|no longer|won'?t|shouldn'?t) apply\b",
    r"\bi(?:'m| am) (?:the |an? )?(?:instructor|teacher|professor|ta|grader|admin|course staff|auditing|auditor|developer of this)\b",
    r"\b(?:test|audit|evaluation) of (?:the |this )?(?:tutor|assistant|system)\b.{0,80}\b(?:print|show|write|give|output)\b",
    r"\bstop (?:coaching|teaching|asking|lecturing|with the (?:questions|hints))\b",
    r"\b(?:no|skip the|without the) (?:more )?(?:hints|coaching|lecture|socratic|questions)\b.{0,40}\b(?:just|give|paste|write|show|answer)\b",
    r"\bno time for (?:hints|coaching|questions|learning)\b",
]
ROLE_PLAY = r"\b(?:pretend (?:you|to be)|act(?:ing)? as (?:the|my|a|an)\b|role-?play|you are now|you're now|imagine you(?:'re| are)|play the role|you(?:'re| are) my (?:teammate|partner|colleague|senior|pair)|from now on you|as (?:the|my) (?:grader|ta|instructor|teacher|examiner))"
AUTHORITY = r"\b(?:grad(?:er|ing|e)|marker|marking|examiner|ta|instructor|teacher|professor|answer key|model answer|reference|staff|without restrictions|no restrictions|\w*bot|\w*gpt|dan|teammate|senior engineer|pair(?:ing)?)\b"

INDIRECT = [
    r"\bwhat (?:would|will|does|should|might|could) (?:the |a |an |your |their |my |his |her )?(?:complete[d]? |finished |full |fully working |working |correct |final |solved |right |reference |real |proper |finished-up |done )+(?:version(?: of)? |code(?: for)? |implementation(?: of)? |solution(?: (?:to|for))? |function |answer )?[\w. ]{0,30}?\s*(?:look like|be|contain|say)\b",
    r"\bwhat (?:would|will) (?:the|their|your|its|his|her) (?:code|solution|implementation|answer|function) (?:look like|be)\b",
    r"\b(?:reference|model|sample|official|example|correct|finished|completed|working) (?:implementation|solution|answer)s?\b",
    r"\banswer key\b",
    r"\b(?:what(?:'s| is| are)|tell me|give me|show me)\s+the (?:answers?|solutions?|code) (?:to|for|of)\b",
    r"\bthe code (?:you|you'd|you would) (?:write|use|have written)\b",
    r"\b(?:your|their|the tutor's|a correct|a working|the finished|a finished|the completed) (?:own )?(?:version|implementation|solution|code) (?:of|for)\b",
    r"\bif you were doing (?:this|the|my) (?:lab|assignment|homework)\b",
    r"\b(?:translate|convert|turn)\b.{0,60}\binto (?:working |runnable |real |actual )?(?:python |numpy |pytorch |torch )?code\b",
    r"\bwhat (?:do i|should i|to|i should|i need to|i have to) (?:put|write|type|code) (?:inside|in|into|for)\b",
    r"\bwhat (?:would|will|do|did) you (?:write|put|type|code|return) (?:for|in|inside|as)\b",
    r"\bwhat(?:'s| is) the (?:one-?liner|code|implementation|solution|body|working code|fix) (?:for|of|to|in)\b",
    r"\b(?:do|solve|write|finish|complete) (?:my|the) (?:lab|assignment|homework)\b",
]
STEP = [
    rf"^(?:ok(?:ay)?|so|now|then|and|fine|just|only|pls|please|\W)*\s*(?:just |only )?(?:the )?(?:step|todo|part|function|task) {_ORD}\b",
    rf"\b(?:just|only) (?:the )?(?:step|todo|part|task|function) {_ORD}\b",
    rf"\b(?:just|only) (?:the )?{_ORD} (?:step|todo|part|task|function|one)\b",
    rf"\b(?:the )?(?:first|next|last|second|third) (?:line|lines|step|statement|few lines|part) of\b",
    r"\bonly the return (?:statement|line)\b|\breturn (?:statement|line) of\b",
]
CONTINUATION = [
    r"^\W*(?:ok(?:ay)?|so|now|then|and|fine|great|thanks|good|cool|alright|yes)?[\s,.!]*(?:continue|go on|keep going|carry on|more|next|the rest|finish it|and\??)\b",
    r"\b(?:the )?next (?:one|line|lines|function|step|part|todo|bit|piece|chunk)\b",
    r"\b(?:the )?rest of (?:it|the code|the function)\b",
    r"\bsame (?:for|with)\b",
    r"\bwhat comes (?:after|next)\b|\bthen what\b|\bafter that\b|\bwhat(?:'s| is) next\b.{0,20}\b(?:line|step)\b",
    r"^\W*(?:and|then|now|ok|okay|also)\b.{0,20}\b(?:then )?(?:the )?\w+_\w+\b",
]
EXCUSES = [
    r"\b(?:myself|on my own|by myself)\b",
    r"\bwithout (?:any )?(?:code|writing (?:the )?code|giving (?:me )?(?:the )?(?:code|answer|solution))\b",
    r"\b(?:don'?t|do not) (?:give|want|show|write|need|tell)(?: me)? (?:the |any )?(?:code|answer|solution|implementation)",
    r"\bno code\b",
    r"\bnot the (?:code|answer|solution)\b",
]
FINISH = (r"\b(?:finish|complete|fill in|fill out|fill the|make it work|make this work|do the rest|write the rest|"
          r"the rest of it|continue it|continue this|fix it so it works|write the missing|the missing (?:line|lines|part|piece|bit|code)|"
          r"fill the gap)\b")
CODE_PASTE = re.compile(r"```|^\s*(?:def |class |import |from \w+ import |for .+:|if .+:|return\b)|^\s{4,}\S.*[=(]", re.M)
SECTION_NAMES = r"(?:what i expected|what happened|what surprised me|what i would test next|what i now believe|reflection)"
LEARNER_SUBJECT = re.compile(r"\b(?:i|we|i'll|i'd|i'm|i've|we'll)\s+(?:\w+\s+){0,2}$")


LANGUAGES = (r"(?:javascript|js|typescript|ts|node|c\+\+|cpp|c#|c|rust|go|golang|java|julia|kotlin|swift|ruby|php|"
             r"perl|r|matlab|octave|haskell|scala|sql|pseudo-?code|bash|lua|fortran|cobol|elixir|dart|zig|"
             r"another language|a different language|any other language|other languages?)")
ASKED_THING = (r"(?:\w+_\w+|function|functions|code|solution|implementation|todo|todos|lab|body|version|answer|"
               r"expression|line|lines|statement|formula in code)")
# The attempt styles of issue 14, each (reason, pattern); a pattern is matched on the prose of the
# message and on its de-obfuscated spelling.
STYLES = [
    ("hypothetical framing", rf"\b(?:hypothetical(?:ly)?|suppose|supposing|imagine|in theory|in a world|let'?s say|"
     rf"as an example|just as an example|for illustration|for illustrative|purely academic|if someone (?:had )?|"
     rf"if i (?:had )?already|for another student)\b.{{0,120}}\b(?:what (?:would|is|does|will)|show|write|"
     rf"give|look like|be written|written|implementation|solution)\b.{{0,80}}\b(?:{ASKED_THING}|it|them)\b"),
    ("hypothetical framing", rf"\b(?:hypothetical(?:ly)?|in theory|purely academic(?:ally)?)\b,? (?:how|what) (?:would|could|might)"
     rf" (?:\w+_\w+|the \w+ function|the (?:code|solution|function|implementation))\b"),
    ("hypothetical framing", rf"\b(?:what (?:would|is|does|will)|show|write|give)\b.{{0,80}}\b(?:{ASKED_THING})\b.{{0,60}}"
     rf"\b(?:hypothetical(?:ly)?|in theory|as an example|for illustration|in that world)\b"),
    ("asks for it in another language", rf"\b(?:{ASKED_THING})\b.{{0,80}}\b(?:in|into|to|as|using|with)\s+(?:an? |the )?"
     rf"{LANGUAGES}\b(?!\s+(?:is|are|does|do)\b)|\b(?:in|into|to|as|using|with)\s+(?:an? |the )?{LANGUAGES}\b"
     rf"(?!\s+(?:is|are|does|do)\b).{{0,80}}\b(?:{ASKED_THING}|query|program|script)\b"),
    ("step or payload splitting", r"\b(?:first|second|other|last|top|bottom) half\b|\bhalf of (?:the|my|it)\b|"
     r"\bpart \d+ of \d+\b|\bparts? \d+ and \d+\b|\bone (?:piece|part|chunk|bit) (?:now|at a time)\b|"
     r"\bpiece by piece\b|\bin (?:pieces|parts|chunks|halves)\b|\blet [a-z] ?= ?.{0,60}\bprint [a-z]\b|"
     r"\b(?:only|just) the \w+ (?:line|statement|part|term)\b|\bthe part of \w+_\w+\b|"
     r"\b(?:first|next) statement of\b|\bi'?ll ask for (?:the rest|parts?|the next|more)\b"),
    ("prefix injection", r"\b(?:start|begin|open|prefix)\w* (?:your |the |each )?(?:reply|response|answer|output|message)s? with\b|"
     r"\b(?:reply|response|answer|output) (?:must|should|has to|will) (?:begin|start|open) with\b|"
     r"\b(?:respond|reply|answer) (?:only )?with the (?:continuation|rest|completion)\b|\bcontinuation of\b|"
     r"\bcontinue (?:from|after) (?:there|here|this|the)\b|\bcomplete this (?:sentence|line|snippet|prefix|text) with code\b"),
    ("fix it by rewriting it", r"\b(?:rewrite|re-write|redo|re-do|refactor|replace|correct|fix|repair)\b(?! (?:my|the|your) (?:notes?|"
     r"understanding|question|explanation))(?:.{0,80}\b(?:correctly|properly|so (?:that )?it works|so it passes|that works|"
     r"that passes|with one that|into a working|working one|the whole thing|from scratch|for me|send (?:it )?back)\b|"
     r"\s+it\s*(?:[.!]|$))|\b(?:give|send|show|hand)(?: me)?(?: back)? (?:a |the |my )?(?:corrected|fixed|working|rewritten|"
     r"repaired|refactored) (?:version|code|function|one|implementation)\b"),
    ("reconstruct someone else's solution", r"\b(?:friend|classmate|teammate|study partner|roommate|colleague|"
     r"last year'?s student|another student|previous student|senior student|someone else|other student)s?(?:'s)?\b.{0,120}"
     r"\b(?:reconstruct|recreate|re-create|rebuild|reproduce|recover|restore|retype|regenerate|recall|remember|"
     r"what (?:he|she|they) (?:wrote|submitted|had|did))\w*\b|\b(?:reconstruct|recreate|re-create|rebuild|reproduce|"
     r"recover|restore|regenerate)\w*\b.{0,80}\b(?:his|her|their|my friend'?s|my classmate'?s|the other)\b"),
    ("asks for the whole capstone", r"\b(?:whole|entire|complete|full|ready-to-submit|ready to submit|finished|"
     r"every file of the|all of the|end[- ]to[- ]end)\b.{0,40}\b(?:capstone|project|app|application|repo|"
     r"repository|rag agent|agent|pipeline)\b|\bcapstone\b.{0,60}\b(?:for me|all of it|end to end|every file)\b|"
     r"\b(?:generate|build|create|write|implement|make|do|give)\b(?: me)? (?:my|the) (?:capstone|lesson 1[78] (?:app|project|lab))\b"),
]
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})


def deobfuscate(text: str) -> str:
    """One spelling for spelled-apart or leetspeak words: "wr1te", "s.o.l.u.t.i.o.n",
    "g i v e  m e", "c-o-d-e", "ImPlEmEnT" (the caller has lowered the case)."""
    text = re.sub(r"\b4 (?=me\b|us\b)", "for ", text)
    text = re.sub(r"\b(?=\w*[a-z])(?=\w*[0-9@$])[a-z0-9@$]+\b", lambda m: m.group(0).translate(_LEET), text)
    text = re.sub(r"\b(?:[a-z][.\-_*](?=[a-z]\b))+[a-z]\b", lambda m: re.sub(r"[.\-_*]", "", m.group(0)), text)
    # "g i v e  m e": single spaces join letters, a wider gap separates words
    text = re.sub(r"(?<![a-z])(?:[a-z] (?=[a-z](?![a-z])))+[a-z](?![a-z])", lambda m: m.group(0).replace(" ", ""),
                  re.sub(r"(?<=\b[a-z]) {2,}(?=[a-z]\b)", " \x00 ", text)).replace(" \x00 ", " ")
    text = re.sub(r"\b([a-z]{2,})-([a-z]{1,3})\b(?!-)", r"\1\2", text)  # "wri-te"
    return re.sub(r"[ \t]+", " ", text)


def _normalise(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"[ \t]+", " ", text.lower()).strip()


def _prose(text: str) -> str:
    """The message without pasted code (fenced blocks and indented/code-looking lines)."""
    text = re.sub(r"```.*?(?:```|$)", " ", text, flags=re.S)
    lines = [line for line in text.splitlines() if not CODE_PASTE.match(line)]
    return "\n".join(lines)


def _clauses(text: str) -> list[str]:
    parts = re.split(r"[.!?;]+(?:\s|$)|[!?;\n]+|:\s|,\s|\s-+\s|\s(?:and|then|so|but)\s", text)
    return [p.strip(" '\"*_`()[]") for p in parts if p and p.strip(" '\"*_`()[]")]


def _stub_in(text: str, stubs: set[str]) -> str | None:
    for stub in sorted(stubs, key=len, reverse=True):
        if re.search(rf"(?<![\w.]){re.escape(stub.lower())}(?!\w)", text):
            return stub
    return None


def _step(text: str) -> int | None:
    m = re.search(rf"\b(?:step|todo|part|task|function) ({_ORD})\b|\b({_ORD}) (?:step|todo|part|task|function)\b", text)
    if not m:
        return None
    word = m.group(1) or m.group(2)
    return int(word) if word.isdigit() else _NUM.get(word)


def _object_after(clause: str, end: int) -> str:
    rest = clause[end:]
    rest = re.sub(rf"^{PARTICLE}\s*", "", rest)
    m = re.search(BOUNDARY, rest)
    return rest[: m.start()].strip() if m else rest.strip()


def _directed_verbs(clause: str):
    """Production verbs the learner aims at the tutor, with the text after each."""
    for m in re.finditer(rf"\b{VERB}\b", clause):
        before = clause[: m.start()]
        if m.group(0) in ("need", "want"):
            # "I need the code", "I want the finished lab": asking for the deliverable itself
            if re.search(r"\bi\s+(?:really\s+|just\s+|only\s+)?$", before) and not re.search(
                r"\b(?:do|does|did|should|would|will|can|must|what|which|why|how|when)\s+i\s+\w*\s*$", before):
                yield m, clause[m.end():].strip()
            continue
        if LEARNER_SUBJECT.search(before) and not re.search(r"\byou\b", before[-25:]):
            continue  # "how do I write", "I'll implement", "should we code"
        if re.match(r"^\W*(?:did|have|had|were|was) (?:you|u)\b", clause):
            continue  # "did you write the code for this tutor?" asks about the past, not for work
        lead = before.strip()
        imperative = not lead or re.fullmatch(rf"(?:{FILLERS}\s*)+", lead) is not None
        addressed = bool(re.search(r"\b(?:you|u)\s+(?:\w+\s+){0,3}$", before)) or imperative
        for_me = re.search(r"\bfor (?:me|us)\b", clause[m.end():]) is not None
        if m.group(0) in ("do", "did") and (not (imperative or addressed) or re.match(r"\s+(?:i|you|we|they|it|this|that|my)\b", clause[m.end():])):
            continue
        if imperative or addressed or for_me:
            yield m, _object_after(clause, m.end())


def _is_deliverable(obj: str, stubs: set[str], full_clause: str, context_stub: bool) -> tuple[bool, str | None]:
    words = re.findall(r"[\w.']+", obj)
    stub = _stub_in(obj, stubs) or _stub_in(full_clause, stubs)
    if not words:
        return False, None
    head = words[-1]
    if head in SCAFFOLD_HEADS:
        # "an example of count_pairs", "a version of the function" are still the thing itself
        if head in ("example", "examples") and re.search(r"\bof\b", full_clause) and _stub_in(full_clause, stubs):
            return True, stub
        return False, None
    if _stub_in(obj, stubs):
        return True, stub
    if head in ("it", "them", "that", "this", "one", "these", "those"):
        # "code it for me", "just write it": the strong verbs produce the thing itself
        strong = re.search(r"\b(?:writ(?:e|ing)|cod(?:e|ing)|implement(?:ing)?|solv(?:e|ing)|finish(?:ing)?|"
                           r"complet(?:e|ing)|fill(?:ing)?)\b", full_clause)
        return bool(strong or context_stub), stub
    if re.search(rf"\b{DELIVERABLE}\b", obj):
        if re.search(r"\b(?:function|functions|method|class|version|line|lines|step|steps|part)\b", obj) and not (
            stub or re.search(r"\b(?:my|the lab|this lab|todo|working|correct|complete|completed|finished|full|"
                              r"whole|entire|solved|first|next|last|return|starter|all|both|two|three|four|these|those|remaining|\d)\b", obj + " " + full_clause)
        ):
            return False, None  # "write a function to plot" is not a lab TODO
        if re.fullmatch(r"(?:the |an? )?(?:answer|answers)", obj) and re.search(r"\bmy questions?\b", full_clause):
            return False, None
        return True, stub
    return False, None


def _report(prose: str) -> str | None:
    for clause in _clauses(prose):
        for m, obj in _directed_verbs(clause):
            tail = clause[m.end():]
            words = re.findall(r"[\w.']+", obj)
            head = words[-1] if words else ""
            if head in SCAFFOLD_HEADS:
                continue
            if (re.search(rf"\b{REPORT_WORDS}\b", obj) or re.search(SECTION_NAMES, tail)
                    or re.search(rf"\b(?:in|for|into|under) (?:my |the )?(?:lab )?(?:notes(?:\.md)?|reflection|report|write-?up)\b", tail)):
                return f"asks the tutor to write the learner's {head or 'notes'}"
    if re.search(r"\bwrite (?:up )?(?:my|the) (?:notes|reflection|report|lab report|write-?up)\b", prose):
        return "asks the tutor to write the learner's notes"
    return None


def detect_outsourcing(
    message: str,
    *,
    stubs: set[str] | frozenset = frozenset(),
    extra_phrases: list[str] | tuple = (),
    previous_outsourcing: bool = False,
) -> Detection | None:
    """A Detection when the message asks the tutor to do the learner's lab or notes (also
    when it is spelled apart or in leetspeak to slip past: "wr1te the c0de")."""
    text = _normalise(message)
    stubs = {s.lower() for s in stubs}
    found = _detect(message, text, stubs, extra_phrases, previous_outsourcing)
    plain = _normalise(deobfuscate(message.lower()))
    if found is None and plain != text:
        # an obfuscated message may spell the TODO apart too: "merge-pair", "entropy bits"
        for name in sorted(stubs, key=len, reverse=True):
            plain = re.sub(rf"(?<![\w.]){re.escape(name).replace('_', '[ _-]?')}(?!\w)", name, plain)
        found = _detect(message, plain, stubs, extra_phrases, previous_outsourcing)
    return found


def _detect(message: str, text: str, stubs: set[str], extra_phrases, previous_outsourcing: bool) -> Detection | None:
    prose = _prose(text)
    stub = _stub_in(prose, stubs)
    for phrase in extra_phrases:
        if phrase.lower() in text:
            return Detection(SOLUTION, f"contract phrase '{phrase}' (override trick)", stub, _step(prose))
    excused = any(re.search(p, prose) for p in EXCUSES)

    for pattern in OVERRIDE:
        if re.search(pattern, prose):
            return Detection(SOLUTION, "override trick", stub, _step(prose))
    if re.search(ROLE_PLAY, prose) and not re.search(r"\bpretend (?:i'?m|i am|that i)\b", prose):
        deliverable = re.search(rf"\b{DELIVERABLE}\b", re.sub(r"\bstep[- ]by[- ]step\b", "", prose))
        if re.search(AUTHORITY, prose) or stub or deliverable and not excused:
            return Detection(SOLUTION, "role-play", stub, _step(prose))

    report = None if excused else _report(prose)
    if report:
        return Detection(REPORT, report)

    if CODE_PASTE.search(message.lower()) and re.search(FINISH, prose):
        return Detection(SOLUTION, "code pasted to be finished", stub or _stub_in(text, stubs))

    if excused:
        return None
    for reason, pattern in STYLES:
        if re.search(pattern, prose):
            return Detection(SOLUTION, reason, stub, _step(prose))
    for pattern in INDIRECT:
        if re.search(pattern, prose):
            return Detection(SOLUTION, "indirect request for the solution", stub, _step(prose))
    for pattern in STEP:
        if re.search(pattern, prose):
            return Detection(SOLUTION, "one step at a time", stub, _step(prose))
    if re.search(r"\b(?:what(?:'s| is| are)|tell me|give me|show me|send me|post|share|reveal|need|want|gimme)\b.{0,15}\b(?:answers?|solutions?) (?:to|for|of) (?:the )?(?:self-?checks?|questions?|exercises?|todos?|tasks?)\b", prose):
        return Detection(SOLUTION, "answer to a graded task", stub, _step(prose))

    for clause in _clauses(prose):
        for _, obj in _directed_verbs(clause):
            hit, named = _is_deliverable(obj, stubs, clause, previous_outsourcing)
            if hit:
                return Detection(SOLUTION, "asks the tutor to write lab code", named or stub, _step(clause))
        # a bare noun phrase: "the body of gate_weights?", "the code for it"
        if re.match(rf"^(?:just |only |now |and |then |ok |so |quick )*(?:the |your |a )?(?:body|code|implementation|solution|answer|insides?|contents?|finished code|working code|full code|python|numpy|pytorch)\b(?: (?:of|for|to|in)\b.*)?$", clause) and (
            _stub_in(clause, stubs) or re.search(r"\b(?:it|that one|this one|lab|todo|step|part)\b", clause) or previous_outsourcing
        ):
            return Detection(SOLUTION, "asks for the code of a TODO", _stub_in(clause, stubs) or stub, _step(clause))

    if previous_outsourcing and len(prose.split()) <= 12:
        asks_about = re.search(r"\b(?:why|how|what|which|does|do|is|are|explain|mean|means|need|needs|take|takes|"
                               r"return|returns|supposed|inputs?|outputs?|hint)\b", prose)
        if any(re.search(p, prose) for p in CONTINUATION) or (stub and not asks_about):
            return Detection(SOLUTION, "continues an outsourcing request (salami slicing)", stub, _step(prose))
    return None
