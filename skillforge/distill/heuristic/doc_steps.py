"""What a part of a document asks the reader to do: steps (with the code blocks that belong to them),
"do not" guardrails (with their reason), troubleshooting fixes (symptom -> fix), and the output samples
that only show what happens (evidence, never steps).

Sentences count as instructions when they are imperative ("Check the logs"), conditional imperatives
("If X, restart Y"), or advice aimed at the reader ("you should run", "we recommend you install").
Questions, definitions (``term: meaning``), pointers ("See …") and demonstrations ("For example …") are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from skillforge.distill.heuristic.doc_blocks import Block, Code, blocks, code_role, plain, sentences

__all__ = ["DocStep", "Fix", "Guard", "Part", "first_clause", "instruction", "is_imperative", "lower_first", "read_part", "series", "NOUNISH",
           "SYMPTOM"]

_VERBS = frozenset(["add", "adjust", "allow", "append", "apply", "approve", "ask", "assign", "attach", "avoid", "back", "backup", "be", "benchmark", "block", "bring", "browse", "build", "bump", "call", "capture", "cd", "change", "check", "choose", "clean", "clear", "click", "clone", "close", "collect", "commit", "compare", "compile", "configure", "confirm", "connect", "consider", "consult", "contact", "copy", "cordon", "create", "debug", "decrease", "delete", "deploy", "describe", "detach", "determine", "disable", "disconnect", "download", "drain", "dump", "edit", "enable", "enforce", "ensure", "enter", "escalate", "examine", "execute", "expand", "explain", "export", "extract", "fetch", "file", "fill", "find", "fix", "flush", "follow", "fork", "free", "gather", "generate", "get", "give", "go", "grant", "grep", "grow", "handle", "identify", "include", "increase", "inspect", "install", "investigate", "invoke", "join", "keep", "kill", "label", "launch", "leave", "limit", "list", "load", "log", "login", "look", "lower", "make", "mark", "measure", "mention", "merge", "migrate", "modify", "monitor", "mount", "move", "navigate", "notify", "obtain", "open", "pass", "patch", "pause", "pick", "pin", "place", "post", "prefer", "press", "print", "provide", "prune", "publish", "pull", "purge", "push", "put", "query", "read", "rebase", "reboot", "rebuild", "recover", "reduce", "refresh", "regenerate", "reinstall", "reload", "remember", "remove", "rename", "renew", "reopen", "replace", "reply", "report", "request", "rerun", "re-run", "reset", "resize", "resolve", "restart", "restore", "resume", "retry", "revert", "review", "revoke", "roll", "rollback", "rotate", "rsh", "run", "save", "scale", "search", "select", "send", "set", "share", "shrink", "sign", "skip", "source", "specify", "split", "squash", "ssh", "start", "state", "stay", "stop", "store", "study", "submit", "switch", "sync", "take", "tell", "terminate", "test", "toggle", "trace", "trust", "try", "tune", "turn", "type", "uncomment", "uncordon", "uninstall", "unmount", "unpack", "unset", "unzip", "update", "upgrade", "upload", "use", "validate", "verify", "visit", "wait", "watch", "wipe", "write"])
_AUX = frozenset(["is", "are", "was", "were", "has", "have", "had", "does", "will", "would", "can", "could", "should", "must", "may", "might"])
_GUARD = re.compile(
    r"(?i)(^(?:please |try to |and )?(?:do not|don't|never|avoid)\b|\b(?:must not|mustn't|should not|shouldn't|"
    r"must never|should never|never)\b)"
)
_PERSON = re.compile(r"(?i)^(?:the )?(?:users?|you|we|one|contributors?|operators?|developers?|admins?|administrators?)"
                     r"\s+(?:should not|shouldn't|must not|mustn't|should never|must never|never)\s+(?=[a-z])")
_REASON_NEXT = re.compile(r"(?i)^(?:because|otherwise|this (?:will|would|can|could|may|might|causes|breaks|leads|"
                          r"prevents|ensures)|that (?:will|would|can|could|may)|it (?:will|would|can|could|may|breaks|"
                          r"causes)|doing so)\b")
_ADVICE = re.compile(
    r"(?i)^(?:(?:you|we)\s+(?:should|must|need to|have to|can|could|may want to|might want to|will need to|might|"
    r"may)\s+(?:also\s+|always\s+|first\s+|then\s+)?|(?:we|i)\s+(?:recommend|suggest|advise)\s+(?:that\s+)?(?:you\s+)?"
    r"(?:to\s+)?|it(?:'s| is) (?:recommended|advisable|best|a good idea) to\s+|please\s+|just\s+|simply\s+|then\s+|"
    r"also\s+|first,?\s+|finally,?\s+|next,?\s+|alternatively,?\s+)"
)
_CONTEXT_LEAD = re.compile(
    r"(?i)^(?:in (?:this|that|such|these|those|most|some|many) cases?|for (?:this|these|that|those|such) [\w -]+|"
    r"most of the time|generally|usually|in general|if so|to (?:fix|resolve|solve|avoid|address) (?:this|it|that)|"
    r"as a (?:workaround|fix)|in that case|otherwise|here|now|then|after that|instead),\s*"
)
_CONDITION = re.compile(r"(?i)^((?:if|when|whenever|once|after|before|to|in case|for|on|while|during|in|with|"
                        r"unless|where|since)\b[^,]{2,120}),\s*(.+)$")
_NOT_STEP = re.compile(r"(?i)^(?:see|for example|for instance|e\.g\.|refer to|(?:for )?more (?:info|information|details)|"
                       r"read more|learn more|note that|to demonstrate|as an example|thanks|thank you)\b")
def _order_label(label: str) -> bool:
    """Is a list item's "label:" an order ("Run the full Bats test suite", "Lint all shell scripts") rather
    than a field name ("Build System", "Test Framework")? A verb first, and words after it in lower case."""
    words = label.split()
    if len(words) < 3 or words[0].lower() not in _VERBS | {"lint"}:
        return False
    return sum(w[:1].islower() for w in words[1:]) * 2 >= len(words) - 1


_LOOKS_RUN = re.compile(r"^(?:\./|[a-z][\w.-]*(?: |$))[^A-Z]*$")
"""Text after an order's colon that reads as a command line ("make test", "ls -la ./bin/"), not prose."""
_DEFINITION = re.compile(r"^(?:(\*\*[^*]{1,60}\*\*|`[^`]{1,60}`):?\s*[:\u2014\u2013-]|([A-Z][\w /-]{0,40}):)\s+(.+)$")
SYMPTOM = re.compile(
    r"(?i)\b(errors?|exceptions?|fail\w*|unable|cannot|can't|could not|couldn't|not found|not working|doesn't|"
    r"does not|won't|isn't|not (?:start|load|run|connect|show|appear|work|respond)\w*|denied|refused|timeouts?|"
    r"timed out|crash\w*|hang\w*|stuck|slow|missing|out of memory|oom\w*|incorrect|wrong|unexpected|broken|invalid|"
    r"mismatch|conflicts?|problems?|no such|unrecognized|unsupported|cannot find|unavailable|noexec|panic|"
    r"\w+error|\w+exception|nothing|no output|empty|does nothing|not shown)\b"
)


@dataclass
class DocStep:
    text: str
    """The instruction as it reads in a rule (markdown inline, code spans kept)."""
    quote: str
    """Raw text from the document, for evidence."""
    code: list[Code] = field(default_factory=list)
    after: str = ""
    """The sentence right after this step's code (often says what the output shows)."""


@dataclass
class Guard:
    text: str
    quote: str


@dataclass
class Fix:
    """A troubleshooting pair found inside a part: a labelled symptom and the steps that fix it."""

    symptom: str
    steps: list[DocStep]
    quote: str


@dataclass
class Part:
    """One heading's worth of a document and what it asks for."""

    heading: str
    steps: list[DocStep] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    """First meaningful line of each output/log/traceback block: evidence of what happens."""
    prose: list[str] = field(default_factory=list)
    """Sentences that are neither steps nor guardrails (meaning, context, definitions)."""


def lower_first(text: str) -> str:
    """``Check the logs`` -> ``check the logs``; acronyms and code keep their case."""
    word = text.split(" ", 1)[0]
    if len(text) > 1 and text[0].isupper() and not text[1].isupper() and not re.search(r"[A-Z]", word[1:]):
        return text[0].lower() + text[1:]
    return text


def series(items: list[str], last: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c`` (empty items left out)."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def instruction(sentence: str) -> str | None:
    """The sentence as an instruction to the reader, or None when it is not one."""
    s = re.sub(r"(?i)^(?:note|notice|tip|hint|important|warning|caution|info)\s*:\s*", "", sentence.strip())
    if len(s) < 6 or s.endswith("?") or _NOT_STEP.match(s) or _GUARD.search(s):
        return None
    s = _CONTEXT_LEAD.sub("", s)
    by = _FIXED_BY.match(s)
    if by:
        verb = _stem(by.group(1))
        if verb:
            return f"{verb[0].upper()}{verb[1:]}{by.group(2)}"
    advice = _ADVICE.match(s)
    if advice:
        rest = s[advice.end():]
        if is_imperative(rest):
            return rest[0].upper() + rest[1:]
    if is_imperative(s):
        return s[0].upper() + s[1:]
    cond = _CONDITION.match(s)
    if cond and not re.match(r"(?i)^(?:for (?:example|instance)|in (?:general|short|particular))$", cond.group(1)):
        rest = _ADVICE.sub("", cond.group(2))
        if is_imperative(rest):
            return f"{cond.group(1)}, {lower_first(rest)}"
        if cond.group(1).lower().startswith(("if ", "when ", "once ", "after ", "before ", "in case ")):
            return None  # a condition whose consequence is not an instruction
    clause = re.search(r",\s+(?:so\s+|then\s+|and\s+)?([a-z]+)\b", s)
    inside = clause is not None and s[: clause.start()].count("(") > s[: clause.start()].count(")")
    if clause and not inside and clause.group(1) in _VERBS and clause.group(1) not in (
            "use", "set", "test", "log", "file", "state"):
        rest = s[clause.start(1):]
        if is_imperative(rest):
            return rest[0].upper() + rest[1:]
    return None


_FIXED_BY = re.compile(r"(?i)^(?:(?:you|we) can |to )?(?:work around|fix|solve|resolve|avoid|address|mitigate)\s+"
                       r"(?:this|it|that|the (?:issue|problem|error)|this (?:issue|problem|error))\s+by\s+([a-z]+)ing\b(.*)$")
"""A fix told as a means ("You can work around this issue by setting X") is the order "Set X"."""


def _stem(gerund: str) -> str:
    """``sett`` -> ``set``, ``increas`` -> ``increase``, ``edit`` -> ``edit``: the verb of an -ing form, if known."""
    for verb in (gerund, gerund + "e", gerund[:-1] if len(gerund) > 2 and gerund[-1] == gerund[-2] else ""):
        if verb in _VERBS:
            return verb
    return ""


NOUNISH = frozenset(["backup", "log", "file", "state", "test", "use", "set", "trace", "report", "patch", "label", "list", "query", "sync", "source", "type", "store", "search", "post", "review", "build"])
"""Verbs that open noun-phrase headings as often as orders ("Backup information", "Build status")."""


def is_imperative(text: str) -> bool:
    """Whether ``text`` reads as an order to the reader ("Check the logs"); a sentence that opens with a
    tool's name in code (`` `grep`, searches files ``, `` `jq` is a JSON processor ``) describes the tool."""
    if re.match(r"^\s*`[^`]+`\s*(?:[,:;(\u2013\u2014-]|(?:is|are|was|provides?|lets?|allows?|helps?|can|will)\b)",
                text):
        return False
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text.lower())
    if not words or words[0] not in _VERBS:
        return False
    if words[0] in ("make", "be") and (len(words) < 2 or words[1] not in ("sure", "certain", "aware")):
        return words[0] == "make" and len(words) > 2
    return not any(w in _AUX for w in words[1:3])


def guard(sentence: str, following: str = "") -> str | None:
    """A "do not" rule in imperative form, with the next sentence when it gives the reason."""
    s = re.sub(r"(?i)^(?:note|notice|tip|important|warning|caution)\s*:\s*", "", sentence.strip())
    found = _GUARD.search(s)
    if len(s) < 12 or s.endswith("?") or not found or re.match(r"(?i)^(why|how|what|is|are|can|does)\b", s):
        return None
    if not _aimed_at_reader(s[: found.start()]):
        return None
    s = _PERSON.sub("Do not ", s)
    s = re.sub(r"^(?:please |and )", "", s, flags=re.I)
    s = s[0].upper() + s[1:]
    if following and _REASON_NEXT.match(following):
        s = f"{s.rstrip('.')}: {lower_first(following)}"
    return s if s[-1] in ".!)`" else s + "."


_RELATIVE = re.compile(r"(?i)\b(?:that|which|who|whose|where)\s+$")
_DESCRIBED = re.compile(r"\s[—–]\s|^`[^`]+`\s*[:—–-]")


def _aimed_at_reader(lead: str) -> bool:
    """Does the prohibition after ``lead`` govern the sentence, i.e. tell the reader what not to do?

    Not when it sits in a relative clause ("paths that must not reach rules"), in parentheses, or after
    a dash that opens a description ("`file` — a session …"): such sentences describe something a
    prohibition applies to, they give no order.
    """
    return not (lead.count("(") > lead.count(")") or _RELATIVE.search(lead) or _DESCRIBED.search(lead))


def first_clause(text: str, limit: int = 90) -> str:
    """The first sentence of a step, without its trailing colon or full stop, kept under ``limit`` chars."""
    first = sentences(text)[0] if text else ""
    first = first.rstrip(":. ")
    if len(first) > limit:
        cut = max(first.rfind(", ", 0, limit), first.rfind(" (", 0, limit))
        first = first[:cut] if cut > 30 else first[: first.rfind(" ", 0, limit)]
        first = _whole(first)
    return first.rstrip(":,;. ")


_DANGLING = re.compile(
    r"(?i)(?:\s+(?:a|an|the|to|into|onto|in|on|at|of|for|from|with|by|as|and|or|but|which|that|who|whose|where|"
    r"your|its|their|this|these|those|is|are|be|was|were|ex|e\.g|i\.e)\b[:.]?)+$"
)


def _whole(cut: str) -> str:
    """A clause cut short, without a half code span or a word that needs what was cut ("… into")."""
    if cut.count("`") % 2:
        cut = cut[: cut.rfind("`")]
    previous = None
    while previous != cut:
        previous, cut = cut, _DANGLING.sub("", cut.rstrip(" ,;:(")).rstrip(" ,;:(")
    return cut


_DECLARATIVE = re.compile(r"(?i)^(?:the|a|an|this|that|these|those|it|its|there)\b")
"""A numbered item that opens like a statement ("the status subcommand provides …") describes, not orders."""
_OBLIGED = re.compile(r"(?i)\b(?:should|must|needs? to|has to|have to) be \w+(?:ed|en)\b")


def read_part(heading: str, text: str, *, procedural: bool = False, lenient: bool = False) -> Part:
    """Steps, guardrails, fixes and output samples of one part of a document."""
    part = Part(heading)
    items = _fold_lists(blocks(text))
    last: DocStep | None = None  # the step a code block right here belongs to
    lead = ""  # text of the block before this one, for what introduces a code block
    symptom = ""  # a labelled problem ("**Command not found?**") waiting for its fix
    for block in items:
        if block.kind == "heading":
            last, lead, symptom = None, "", ""
            continue
        if block.kind == "table":
            part.fixes.extend(_table_fixes(block.text))
            last, lead = None, ""
            continue
        if block.kind == "code":
            assert block.code is not None
            role = code_role(block.code, lead)
            if role == "output":
                line = _output_line(block.code.text)
                if line:
                    part.outputs.append(line)
                continue
            if last is None:
                text_ = lead.strip() if 0 < len(lead) <= 200 else ("Run:" if role == "command" else "Use:")
                last = DocStep(text_, lead or block.code.text.split("\n", 1)[0])
                (part.fixes[-1].steps if symptom and part.fixes else part.steps).append(last)
            last.code.append(block.code)
            continue
        raw = block.text
        clean = plain(raw)
        label = re.match(r"^\*\*([^*]{3,80}?)\*\*:?$", raw.strip())
        if label:
            symptom = ""
            if label.group(1).endswith("?") or SYMPTOM.search(label.group(1)):
                symptom = label.group(1).rstrip("?:")
                part.fixes.append(Fix(symptom, [], raw))
            last, lead = None, clean
            continue
        if last is not None and last.code and not last.after:
            last.after = sentences(clean)[0] if clean else ""
        made = _read_text(part, block, clean, procedural, lenient)
        if made:
            target = part.fixes[-1].steps if symptom and part.fixes else part.steps
            target.extend(made)
            last = made[-1]
        else:
            last = None
        for more in block.more:
            extra = _read_text(part, Block("para", more), plain(more), procedural=False)
            (part.fixes[-1].steps if symptom and part.fixes else part.steps).extend(extra)
            if extra:
                last = extra[-1]
        lead = clean if not block.more else plain(block.more[-1])
    part.fixes = [f for f in part.fixes if f.steps]
    return part


_PRONOUN_STEP = re.compile(r"^[A-Z][a-z]+ (?:it|them|this|these|that one)\b")
"""A step whose object is a pronoun ("Install it with:") names its thing in the sentence before."""
_CHECK_LEAD = re.compile(r"(?i)\b(?:things?|items?|points?|causes?|reasons?|parameters?|places?)\s+to\s+"
                         r"(check|verify|review|inspect|look (?:at|for)|consider)\b\s*:$")


def _fold_lists(items: list[Block]) -> list[Block]:
    """A list that only details the line introducing it becomes part of that line, so it is neither lost as
    prose nor misread as steps ("Read only filesystem" in a list of causes is not an order to read):

    - items nested under an item ending in ":" ("Check pod template parameters such as:" / pod priority …);
    - a list after a paragraph ending in ":" whose items are mostly not orders ("Other things to check:" /
      app waits for the database …), which becomes one step when its lead names things to check.
    """
    out: list[Block] = []
    i = 0
    while i < len(items):
        block = items[i]
        text = block.text.rstrip()
        if block.kind not in ("item", "para") or not text.endswith(":") or block.more:
            out.append(block)
            i += 1
            continue
        j = i + 1
        run: list[Block] = []
        while j < len(items) and items[j].kind == "item" and not items[j].code and (
                block.kind == "para" or items[j].depth > block.depth):
            run.append(items[j])
            j += 1
        orders = sum(is_imperative(plain(r.text)) for r in run)
        labelled = any(_DEFINITION.match(plain(r.text)) for r in run)  # "**Cause**: … Check x": read as is
        if not run or labelled or block.kind == "para" and orders * 2 >= len(run):
            out.append(block)
            i += 1
            continue
        details = "; ".join(plain(r.text).rstrip(".;") for r in run)
        check = _CHECK_LEAD.search(text) if block.kind == "para" else None
        # No "label:" shape, which reads as a definition-list entry rather than a step.
        lead = f"Also {check.group(1).lower()} for " if check else text.rstrip(":").rstrip() + " "
        out.append(Block("item" if check else block.kind, lead + details, depth=block.depth,
                         numbered=block.numbered, quoted=block.quoted))
        i = j
    return out


def _read_text(part: Part, block: Block, clean: str, procedural: bool, lenient: bool = False) -> list[DocStep]:
    """Steps from one paragraph or list item; guardrails and prose are recorded on ``part``."""
    if not clean or re.fullmatch(r"[\W\d_]*", clean):
        return []
    found = sentences(clean)
    steps: list[str] = []
    for i, sentence in enumerate(found):
        rule = guard(sentence, found[i + 1] if i + 1 < len(found) else "")
        if rule:
            part.guards.append(Guard(rule, sentence))
            continue
        said = instruction(sentence) or (sentence if lenient and _OBLIGED.search(sentence) else None)
        if said and i > 0 and not steps and _PRONOUN_STEP.match(said) and found[i - 1] in part.prose[-1:]:
            # "… is `py.test`. You can install it with:": the step needs the sentence that says what "it" is.
            said = f"{found[i - 1].rstrip('. ')}; {lower_first(said)}"
        if said:
            steps.append(said)
        else:
            part.prose.append(sentence)
    definition = _DEFINITION.match(clean)
    if definition and block.kind == "item":
        label = plain(definition.group(1) or definition.group(2))
        told = [s for s in (instruction(x) for x in sentences(definition.group(3))) if s]
        if not told and definition.group(2) and _order_label(label):
            # "Run the full Bats test suite: make test": the label is the order, the rest its command.
            raw = block.text.strip()  # the command as written: plain text reads "./plugins/*/bin/*" as emphasis
            rest = (raw.split(":", 1)[1] if raw.startswith(definition.group(2)) else definition.group(3)).strip()
            rest = rest.rstrip(".")
            command = rest if "`" in rest or " " not in rest.strip() and not rest[:1].isupper() else ""
            command = command or (f"`{rest}`" if _LOOKS_RUN.match(rest) else rest)
            return [DocStep(f"{label}: {command}", block.text)]
        if not told:
            return []  # a definition list entry: meaning, not a step
        return [DocStep(f"{label}: {' '.join(told)}", block.text)]
    if not steps and block.kind == "item" and block.numbered and procedural and not clean.endswith("?") \
            and not _DECLARATIVE.match(clean):
        steps = [clean]
    if not steps:
        return []
    text = " ".join(steps)
    return [DocStep(text, block.text.split("\n", 1)[0])]


def _output_line(text: str) -> str:
    """The line of an output block that says most: its error line, else its first line."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip() and ln.strip() != "..."]
    errors = [ln for ln in lines if re.search(r"(?i)\b\w*(?:error|exception|fatal|panic)\b\s*:", ln)]
    return (errors[-1] if errors else lines[0] if lines else "")[:200]


def _table_fixes(text: str) -> list[Fix]:
    rows = [[c.strip() for c in row.strip().strip("|").split("|")] for row in text.split("\n")]
    rows = [r for r in rows if not all(re.fullmatch(r":?-{2,}:?", c) or not c for c in r)]
    if len(rows) < 2:
        return []
    head = [c.lower() for c in rows[0]]
    sym = next((i for i, c in enumerate(head) if re.search(r"issue|problem|symptom|error|message|cause", c)), None)
    fix = next((i for i, c in enumerate(head) if re.search(r"solution|fix|resolution|action|remed|workaround|what to do",
                                                           c)), None)
    if sym is None or fix is None:
        return []
    fixes = []
    for row in rows[1:]:
        if max(sym, fix) < len(row) and row[sym] and row[fix]:
            steps = [DocStep(plain(row[fix]), row[fix])]
            fixes.append(Fix(plain(row[sym]), steps, " | ".join(row)))
    return fixes
