//! `py/slice-in-loop` (hot): `data[i:j]` on a bytes or bytearray value inside a loop copies the
//! slice each time; slicing a `memoryview` of it does not copy.

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix};
use crate::rules::python::scope::{binder_root, scope_of, scope_owner_in, Occ, Role, Scope};
use crate::rules::python::syntax::{
    call_args, indent_of, is_bytes_literal, leaves_loop_after, method_call, statement_of, unparen,
};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static SLICE_IN_LOOP: Rule = Rule {
    meta: RuleMeta {
        id: "py/slice-in-loop",
        family: Some(crate::language::Family::Python),
        summary: "Slicing bytes in a loop copies each slice: slice a `memoryview` instead",
        // Information only: in the precision sample (tests/precision/python) 2 of 6 findings
        // were wrong before the fixes for them, too few to trust a warning.
        default: DefaultSeverity::Fixed(crate::engine::Severity::Info),
        hot_only: true,
        fix: FixAvailability::Unsafe,
    },
    kinds: &["subscript"],
    check: slice_in_loop,
};

/// Calls that accept any buffer, so a memoryview slice serves as well as a bytes slice.
const BUFFER_CONSUMERS: &[&str] = &[
    "bytes",
    "bytearray",
    "len",
    "from_bytes",
    "unpack",
    "unpack_from",
    "write",
    "send",
    "sendall",
    "update",
    "crc32",
    "adler32",
    "extend",
    "hexlify",
    "b2a_hex",
    "memoryview",
    "join",
    "frombytes",
];

/// How a binding of the sliced name makes its value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Origin {
    Bytes,
    /// A short bytes literal (a lookup table): slicing it copies a few bytes at most.
    SmallLiteral,
    Bytearray,
    /// `data = data[n:]` / `data += …`: keeps the type it had.
    KeepsType,
    Unknown,
}

/// Whether `expr` names a file object opened in binary mode (`open(p, "rb")`, a name bound by
/// `with open(p, "rb") as f` or `f = open(p, "rb")`, `io.BytesIO(…)`, `sys.stdin.buffer`).
fn is_binary_stream(expr: Node, cx: &Ctx, scope: &Scope) -> bool {
    let expr = unparen(expr);
    match expr.kind() {
        "call" => {
            let Some(f) = expr.child_by_field_name("function") else {
                return false;
            };
            let name = cx.text(f).rsplit('.').next().unwrap_or("");
            if name == "BytesIO" {
                return true;
            }
            if name != "open" {
                return false;
            }
            let args = call_args(expr);
            let mode = args.iter().find_map(|a| match a.kind() {
                "keyword_argument" => a
                    .child_by_field_name("name")
                    .filter(|n| cx.text(*n) == "mode")
                    .and_then(|_| a.child_by_field_name("value")),
                _ => None,
            });
            let mode = mode.or_else(|| args.get(1).copied().filter(|a| a.kind() == "string"));
            mode.is_some_and(|m| m.kind() == "string" && cx.text(m).contains('b'))
        }
        "attribute" => cx.text(expr).ends_with(".buffer"),
        "identifier" => {
            let mut bindings = scope.bindings(cx.text(expr));
            let (Some(b), None) = (bindings.next(), bindings.next()) else {
                return false;
            };
            let Some((kind, _)) = &b.binder else {
                return false;
            };
            let Some(binder) = b.binder_node(binder_root(cx, scope)) else {
                return false;
            };
            match *kind {
                "assignment" => binder
                    .child_by_field_name("right")
                    .is_some_and(|v| is_binary_stream(v, cx, scope)),
                "with_item" => binder
                    .child_by_field_name("value")
                    .and_then(|v| v.named_child(0))
                    .is_some_and(|v| is_binary_stream(v, cx, scope)),
                _ => false,
            }
        }
        _ => false,
    }
}

fn value_origin(value: Node, name: &str, cx: &Ctx, scope: &Scope) -> Origin {
    let value = unparen(value);
    if is_bytes_literal(value, cx.src()) {
        return if value.end_byte() - value.start_byte() < 256 {
            Origin::SmallLiteral
        } else {
            Origin::Bytes
        };
    }
    match value.kind() {
        "subscript"
            if value
                .child_by_field_name("value")
                .is_some_and(|v| cx.text(v) == name) =>
        {
            Origin::KeepsType
        }
        "call" => {
            let Some(f) = value.child_by_field_name("function") else {
                return Origin::Unknown;
            };
            match cx.text(f) {
                "bytes" | "bytes.fromhex" => return Origin::Bytes,
                "bytearray" => return Origin::Bytearray,
                _ => {}
            }
            let Some((recv, method)) = method_call(value) else {
                return Origin::Unknown;
            };
            match cx.text(method) {
                "encode" | "read_bytes" | "recv" | "tobytes" | "digest" => Origin::Bytes,
                "read" | "readline" | "read1" | "getvalue" if is_binary_stream(recv, cx, scope) => {
                    Origin::Bytes
                }
                "join" if is_bytes_literal(recv, cx.src()) => Origin::Bytes,
                _ => Origin::Unknown,
            }
        }
        _ => Origin::Unknown,
    }
}

/// Where a binding of `name` gets its value from.
fn binding_origin(occ: &Occ, name: &str, cx: &Ctx, scope: &Scope) -> Origin {
    let Some((kind, _)) = &occ.binder else {
        return Origin::Unknown;
    };
    let Some(binder) = occ.binder_node(binder_root(cx, scope)) else {
        return Origin::Unknown;
    };
    match (*kind, occ.role) {
        ("augmented_assignment", _) => Origin::KeepsType,
        ("assignment", Role::Store) => {
            let left_is_name = binder
                .child_by_field_name("left")
                .is_some_and(|l| l.byte_range() == occ.range);
            match binder.child_by_field_name("right") {
                Some(v) if left_is_name => value_origin(v, name, cx, scope),
                _ => Origin::Unknown,
            }
        }
        (_, Role::Param) => {
            // `def f(data: bytes)`: the annotated parameter (of a function around the node, so in
            // its item).
            let Some(id) = cx
                .item()
                .descendant_for_byte_range(occ.range.start, occ.range.end)
            else {
                return Origin::Unknown;
            };
            let ty = id
                .parent()
                .and_then(|p| p.child_by_field_name("type"))
                .map(|t| cx.text(t));
            match ty {
                Some("bytes") => Origin::Bytes,
                Some("bytearray") => Origin::Bytearray,
                _ => Origin::Unknown,
            }
        }
        _ => Origin::Unknown,
    }
}

/// Whether a slice's result is used where a memoryview behaves like bytes: passed to a buffer
/// consumer, compared with `==`/`!=`, or assigned to a name.
fn memoryview_ok(slice: Node, cx: &Ctx) -> bool {
    let Some(p) = slice.parent() else {
        return false;
    };
    match p.kind() {
        "argument_list" => {
            let Some(call) = p.parent() else { return false };
            let f = call
                .child_by_field_name("function")
                .map_or("", |f| cx.text(f));
            BUFFER_CONSUMERS.contains(&f.rsplit('.').next().unwrap_or(""))
        }
        "comparison_operator" => {
            let mut c = p.walk();
            let all = p
                .children(&mut c)
                .filter(|n| !n.is_named())
                .all(|op| matches!(op.kind(), "==" | "!="));
            all
        }
        _ => false,
    }
}

pub(crate) fn slice_in_loop(node: Node, cx: &mut Ctx) {
    let src = cx.src();
    let (Some(value), Some(index)) = (
        node.child_by_field_name("value"),
        node.child_by_field_name("subscript"),
    ) else {
        return;
    };
    if value.kind() != "identifier" || index.kind() != "slice" {
        return;
    }
    // A slice assignment or deletion writes in place; it does not copy.
    if node.parent().is_some_and(|p| {
        (matches!(p.kind(), "assignment" | "augmented_assignment")
            && p.child_by_field_name("left") == Some(node))
            || p.kind() == "delete_statement"
    }) {
        return;
    }
    let name = cx.text(value);
    let owner = scope_owner_in(cx, node);
    if owner.kind() == "lambda" || owner.kind() == "class_definition" {
        return;
    }
    let chain: Vec<Node> = cx
        .ancestors()
        .map(|f| f.node)
        .take_while(|n| n.id() != owner.id())
        .filter(|n| cx.is_loop(*n))
        .collect();
    let Some(&innermost) = chain.first() else {
        return;
    };
    if leaves_loop_after(node, innermost) {
        return; // taken once, on the way out of the loop
    }
    let scope = scope_of(cx, node);
    let bindings: Vec<&Occ> = scope.bindings(name).collect();
    let origins: Vec<Origin> = bindings
        .iter()
        .map(|b| binding_origin(b, name, cx, &scope))
        .collect();
    if origins.contains(&Origin::Unknown)
        || !origins
            .iter()
            .any(|o| matches!(o, Origin::Bytes | Origin::Bytearray | Origin::SmallLiteral))
    {
        return;
    }
    // A short constant that never grows: its slices are a few bytes, and a view saves nothing.
    if origins.iter().all(|o| *o == Origin::SmallLiteral) {
        return;
    }
    // A fresh buffer per iteration (bound inside the innermost loop) is sliced once or twice:
    // the norm. Re-slicing itself (`buf = buf[n:]`) in the loop is the costly pattern.
    let inside =
        |lp: Node, b: &Occ| b.range.start >= lp.start_byte() && b.range.end <= lp.end_byte();
    let fresh_inside = bindings
        .iter()
        .zip(&origins)
        .any(|(b, o)| inside(innermost, b) && *o != Origin::KeepsType);
    if fresh_inside {
        return;
    }
    let reslices = bindings
        .iter()
        .zip(&origins)
        .any(|(b, o)| inside(innermost, b) && *o == Origin::KeepsType);
    // For `buf = buf[n:]`, the copy of the remainder is the problem: report that slice.
    if reslices
        && !node.parent().is_some_and(|p| {
            p.kind() == "assignment"
                && p.child_by_field_name("right") == Some(node)
                && p.child_by_field_name("left")
                    .is_some_and(|l| cx.text(l) == name)
        })
    {
        return;
    }
    // The outermost loop that does not rebind the name: hoist the memoryview before it.
    let hoist = chain
        .iter()
        .rev()
        .find(|lp| !bindings.iter().any(|b| inside(**lp, b)))
        .copied();
    let mv_name = scope.fresh_name(&format!("{name}_view"));
    let slices: Vec<Node> = hoist
        .map(|lp| {
            scope
                .within(name, lp.byte_range())
                // In a loop around the node: in its item.
                .filter_map(|o| {
                    cx.item()
                        .descendant_for_byte_range(o.range.start, o.range.end)
                })
                .filter_map(|id| {
                    id.parent().filter(|p| {
                        p.kind() == "subscript" && p.child_by_field_name("value") == Some(id)
                    })
                })
                .filter(|s| {
                    s.child_by_field_name("subscript")
                        .is_some_and(|i| i.kind() == "slice")
                })
                .collect()
        })
        .unwrap_or_default();
    if slices.first().is_some_and(|s| s.id() != node.id()) {
        return; // one finding per buffer and loop
    }
    let fix = (|| {
        if reslices || origins.contains(&Origin::Bytearray) {
            return None; // a memoryview pins a bytearray's size; re-slicing needs a restructured loop
        }
        let lp = hoist?;
        if !slices.iter().all(|s| memoryview_ok(*s, cx)) {
            return None;
        }
        let stmt = statement_of(lp)?;
        let indent = indent_of(src, stmt)?;
        let mut edits = vec![Edit::insert(
            stmt.start_byte() - indent.len(),
            format!("{indent}{mv_name} = memoryview({name})\n"),
        )];
        edits.extend(
            slices
                .iter()
                .filter_map(|s| s.child_by_field_name("value"))
                .map(|v| Edit::replace(v.byte_range(), mv_name.clone())),
        );
        Some(Fix::unsafe_(
            "Slice a `memoryview` made before the loop",
            edits,
        ))
    })();
    let message = if reslices {
        format!("`{name} = {name}[…]` in a loop copies the rest of the buffer every iteration (quadratic); keep an offset, or slice a `memoryview` of it")
    } else {
        format!("slicing the bytes `{name}` copies each slice every iteration; a `memoryview` of it slices without copying")
    };
    let finding = cx.report(node.byte_range(), message);
    finding.fix = fix;
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::check;

    #[test]
    fn fires_and_fixes() {
        let src = "def f(path):\n    with open(path, \"rb\") as fh:\n        data = fh.read()\n    out = 0\n    for i in range(0, len(data), 4):\n        out += int.from_bytes(data[i:i + 4], \"little\")\n    return out\n";
        let out = check("x.py", src);
        assert_eq!(out.ids(), ["py/slice-in-loop"]);
        assert_eq!(
            out.fixed,
            "def f(path):\n    with open(path, \"rb\") as fh:\n        data = fh.read()\n    out = 0\n    data_view = memoryview(data)\n    for i in range(0, len(data), 4):\n        out += int.from_bytes(data_view[i:i + 4], \"little\")\n    return out\n"
        );
    }

    #[test]
    fn reslicing_and_params() {
        let src = "def f(buf: bytes, sock):\n    while buf:\n        sent = sock.send(buf)\n        buf = buf[sent:]\n";
        let out = check("x.py", src);
        assert_eq!(out.ids(), ["py/slice-in-loop"]);
        assert!(out.findings[0].message.contains("quadratic") && out.findings[0].fix.is_none());
        // `.decode()` needs bytes: no fix, still a finding.
        let out = check(
            "x.py",
            "def f(data: bytes):\n    for i in range(3):\n        print(data[i:].decode())\n",
        );
        assert_eq!(out.ids(), ["py/slice-in-loop"]);
        assert!(out.findings[0].fix.is_none());
    }

    #[test]
    fn leaves_str_lists_and_fresh_buffers_alone() {
        for src in [
            "def f(s: str):\n    for i in range(3):\n        print(s[i:])\n",
            "def f(xs):\n    for i in range(3):\n        print(xs[i:])\n",
            "def f(path):\n    data = open(path).read()\n    for i in range(3):\n        print(data[i:])\n",
            "def f(sock):\n    while True:\n        data = sock.recv(1024)\n        print(data[:4], data[4:])\n",
            "def f(data: bytes):\n    print(data[1:])\n",
            "def f(data: bytes):\n    for i in range(3):\n        if data[i]:\n            head = bytes(data[:i])\n            return head\n",
            "def f(data: bytearray):\n    for i in range(3):\n        data[i:i + 1] = b'x'\n",
            "def f(n):\n    table = b'0123456789abcdef'\n    out = b''\n    while n:\n        n, d = divmod(n, 16)\n        out = table[d:d + 1] + out\n    return out\n",
        ] {
            assert!(check("x.py", src).ids().is_empty(), "{src}");
        }
    }
}
