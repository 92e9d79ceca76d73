"""Recall of heap-audit's py/list-membership, py/append-in-loop and py/try-in-loop against
ruff's PLR6201, PERF401 and PERF203 on the same files, with every difference sorted into a
reason.

    python3 compare_ruff.py findings.tsv ruff.jsonl SRC_DIR [--list]

findings.tsv comes from `cargo run --example py_findings`; ruff.jsonl is the concatenation of
`ruff check --output-format json` outputs (one JSON array per run). A ruff finding counts as
found when heap-audit reports the paired rule in the same file on the same construct: within
two lines for PLR6201 and PERF401 (both report the literal / the `append` call), and on the
`try` whose handler ruff reports for PERF203. `--list` prints every difference.
"""
import ast
import collections
import json
import os
import sys

PAIRS = {"PLR6201": "py/list-membership", "PERF401": "py/append-in-loop", "PERF203": "py/try-in-loop"}
IO_HINTS = ("import", "open", "read", "write", "get_template", "execute", "load", "send", "resolve", "remove")


def read_ruff(path, src):
    text = open(path, encoding="utf-8").read()
    dec = json.JSONDecoder()
    at, out = 0, []
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            return out
        items, at = dec.raw_decode(text, at)
        for d in items:
            out.append((d["code"], os.path.relpath(d["filename"], src), d["location"]["row"]))


class Files:
    def __init__(self, src):
        self.src, self.trees, self.lines, self.parents = src, {}, {}, {}

    def tree(self, rel):
        if rel not in self.trees:
            text = open(os.path.join(self.src, rel), encoding="utf-8").read()
            tree = ast.parse(text)
            for node in ast.walk(tree):
                for child in ast.iter_child_nodes(node):
                    self.parents[id(child)] = node
            self.trees[rel], self.lines[rel] = tree, text.splitlines()
        return self.trees[rel]

    def line(self, rel, row):
        self.tree(rel)
        return self.lines[rel][row - 1].strip()

    def parent(self, node):
        return self.parents.get(id(node))

    def nodes_at(self, rel, row, kinds):
        return [n for n in ast.walk(self.tree(rel)) if isinstance(n, kinds) and n.lineno == row]


def is_const(e):
    if isinstance(e, ast.Constant):
        return not isinstance(e.value, complex) or True
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        return isinstance(e.operand, ast.Constant)
    if isinstance(e, ast.Tuple):
        return all(is_const(x) for x in e.elts)
    return False


LOOPS = (ast.For, ast.While, ast.AsyncFor, ast.comprehension)


def in_loop(files, node):
    """Whether a node runs per iteration of a loop of its own function."""
    n = files.parent(node)
    while n is not None and not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
        if isinstance(n, (ast.For, ast.While, ast.AsyncFor, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return True
        n = files.parent(n)
    return False


def why_plr6201_missed(files, rel, row):
    literals = [n for n in files.nodes_at(rel, row, (ast.List, ast.Tuple)) if isinstance(files.parent(n), ast.Compare)]
    if not literals:
        return "other"
    lit = literals[0]
    cmp = files.parent(lit)
    if not all(is_const(e) for e in lit.elts):
        return "has non-constant elements (names, attributes, calls): a set of them is built anew on every evaluation, slower than the tuple"
    if any(isinstance(e, ast.Starred) for e in lit.elts):
        return "has a starred element"
    return "other: " + ast.dump(cmp)[:80]


def why_perf401_missed(files, rel, row):
    calls = files.nodes_at(rel, row, ast.Call)
    call = next((c for c in calls if isinstance(c.func, ast.Attribute) and c.func.attr == "append"), None)
    if call is None:
        return "other"
    name = call.func.value
    loop = files.parent(call)
    while loop is not None and not isinstance(loop, (ast.For, ast.AsyncFor)):
        loop = files.parent(loop)
    if loop is None:
        return "other"
    if isinstance(loop, ast.AsyncFor):
        return "`async for` (a comprehension would need `async for` too; not flagged)"
    if any(isinstance(n, ast.NamedExpr) for n in ast.walk(loop)):
        return "the loop uses `:=` (scoping differs in a comprehension; not flagged)"
    if loop.orelse:
        return "the loop has an `else` clause"
    block = files.parent(loop)
    siblings = None
    for field in ("body", "orelse", "finalbody"):
        seq = getattr(block, field, None)
        if isinstance(seq, list) and loop in seq:
            siblings = seq
    if not isinstance(name, ast.Name):
        return "appends to an attribute or subscript, not a local list"
    prev = siblings[siblings.index(loop) - 1] if siblings and siblings.index(loop) > 0 else None
    fresh = (
        isinstance(prev, (ast.Assign, ast.AnnAssign))
        and isinstance(getattr(prev, "value", None), ast.List)
        and not prev.value.elts
        and any(isinstance(t, ast.Name) and t.id == name.id for t in (prev.targets if isinstance(prev, ast.Assign) else [prev.target]))
    )
    if not fresh:
        return "the list is not bound to `[]` by the statement right before the loop (ruff then suggests `extend`)"
    return "other"


def why_perf203_missed(files, rel, row):
    handlers = files.nodes_at(rel, row, ast.ExceptHandler)
    if not handlers:
        return "other"
    tr = files.parent(handlers[0])
    text = ast.unparse(ast.Module(body=tr.body, type_ignores=[]))
    if any(h in text for h in IO_HINTS):
        return "the retry idiom: the loop body is only a `try` around I/O (imports, files, templates, DB, network), which heap-audit leaves alone"
    return "other"


def why_extra(rule, files, rel, row, sev):
    if rule == "py/list-membership":
        cmps = files.nodes_at(rel, row, ast.Compare)
        for c in cmps:
            if len(c.ops) > 1:
                return "a chained comparison (`a == b in (…)`), which ruff skips"
            if any(isinstance(x, ast.Name) for x in c.comparators):
                return "`x in some_list` inside a loop, where the list is a local built before it (a heap-audit-only check)"
        names = [n for n in files.nodes_at(rel, row, ast.Name)]
        if names:
            return "`x in some_list` inside a loop, where the list is a local built before it (a heap-audit-only check)"
        return "other (multi-line literal reported on another line)"
    if rule == "py/append-in-loop":
        calls = files.nodes_at(rel, row, ast.Call)
        call = next((c for c in calls if isinstance(c.func, ast.Attribute) and c.func.attr == "append"), None)
        loop = files.parent(call) if call else None
        while loop is not None and not isinstance(loop, ast.For):
            loop = files.parent(loop)
        if loop is not None and isinstance(loop.target, ast.Tuple):
            return "the loop unpacks a tuple (`for k, v in …`), which ruff's PERF401 does not report"
        return "the list has other bindings or uses that ruff's PERF401 does not accept"
    if rule == "py/try-in-loop":
        if sev == "info":
            return "target Python ≥ 3.11: ruff's PERF203 reports nothing there; heap-audit reports information only"
        trys = files.nodes_at(rel, row, ast.Try)
        t = trys[0] if trys else None
        parent = files.parent(t) if t else None
        if parent is not None and isinstance(parent, (ast.For, ast.While, ast.AsyncFor)) and parent.body == [t]:
            if any(isinstance(n, (ast.Break, ast.Continue)) for n in ast.walk(ast.Module(body=t.body, type_ignores=[]))):
                return "the `try` body has `break`/`continue`, which ruff's PERF203 skips"
            return "other"
        return "the `try` is not the only statement of the loop body (ruff's PERF203 reports only loops whose whole body is the `try`)"
    return "other"


def main(findings_path, ruff_path, src, listing=False):
    ours = collections.defaultdict(list)
    for line in open(findings_path, encoding="utf-8"):
        rule, rel, row, sev, fix, text = line.rstrip("\n").split("\t", 5)
        ours[(rule, rel)].append((int(row), sev))
    ruff = read_ruff(ruff_path, src)
    files = Files(src)
    for code, rule in PAIRS.items():
        theirs = [r for r in ruff if r[0] == code]
        matched, used = 0, set()
        missed = collections.Counter()
        examples = collections.defaultdict(list)
        for _, rel, row in theirs:
            candidates = ours.get((rule, rel), [])
            if code == "PERF203":
                handlers = files.nodes_at(rel, row, ast.ExceptHandler)
                tries = {files.parent(h).lineno for h in handlers}
                hit = [c for c in candidates if c[0] in tries]
            else:
                hit = [c for c in candidates if abs(c[0] - row) <= 2]
            if hit:
                matched += 1
                used.update((rel, c[0]) for c in hit)
                continue
            why = {"PLR6201": why_plr6201_missed, "PERF401": why_perf401_missed, "PERF203": why_perf203_missed}[code](files, rel, row)
            missed[why] += 1
            examples[why].append(f"{rel}:{row}  {files.line(rel, row)}")
        extra = collections.Counter()
        extra_examples = collections.defaultdict(list)
        for (r, rel), found in sorted(ours.items()):
            if r != rule:
                continue
            for row, sev in found:
                if (rel, row) in used:
                    continue
                why = why_extra(rule, files, rel, row, sev)
                extra[why] += 1
                extra_examples[why].append(f"{rel}:{row}  {files.line(rel, row)}")
        total = sum(len(v) for (r, _), v in ours.items() if r == rule)
        recall = 100.0 * matched / len(theirs) if theirs else float("nan")
        print(f"## {code} → {rule}")
        print(f"ruff: {len(theirs)}; found by heap-audit: {matched}; recall {recall:.1f}%")
        for why, n in missed.most_common():
            print(f"  missed {n:4d}  {why}")
            for e in examples[why][: (None if listing else 2)]:
                print(f"               e.g. {e}")
        print(f"heap-audit: {total}; not reported by ruff: {sum(extra.values())}")
        for why, n in extra.most_common():
            print(f"  extra  {n:4d}  {why}")
            for e in extra_examples[why][: (None if listing else 2)]:
                print(f"               e.g. {e}")
        print()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--list"]
    main(*args[:3], listing="--list" in sys.argv)
