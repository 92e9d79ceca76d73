//! `py/try-in-loop` (hot): `try`/`except` inside a loop body. Before Python 3.11 entering the
//! `try` costs a block setup on every iteration; on every version, an exception raised per
//! iteration allocates an exception object and a traceback. The severity follows the target
//! version: information only from 3.11 on (zero-cost `try`).

use tree_sitter::Node;

use crate::engine::{Ctx, Severity};
use crate::rules::python::syntax::statements;
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static TRY_IN_LOOP: Rule = Rule {
    meta: RuleMeta {
        id: "py/try-in-loop",
        family: Some(crate::language::Family::Python),
        summary: "`try`/`except` inside a loop (information only on Python ≥ 3.11)",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: true,
        fix: FixAvailability::None,
    },
    kinds: &["try_statement"],
    check: try_in_loop,
};

/// Calls that do I/O (files, sockets, processes, databases, HTTP, imports, sleeping, locks):
/// a `try` around them costs nothing next to the call itself.
const IO_CALLS: &[&str] = &[
    "open",
    "read",
    "readline",
    "readlines",
    "write",
    "writelines",
    "flush",
    "close",
    "recv",
    "recv_into",
    "recvfrom",
    "send",
    "sendall",
    "sendto",
    "connect",
    "accept",
    "bind",
    "listen",
    "request",
    "urlopen",
    "get",
    "post",
    "put",
    "delete",
    "head",
    "patch",
    "fetch",
    "fetchone",
    "fetchall",
    "execute",
    "executemany",
    "commit",
    "rollback",
    "cursor",
    "sleep",
    "select",
    "poll",
    "wait",
    "communicate",
    "run",
    "call",
    "check_call",
    "check_output",
    "Popen",
    "mkdir",
    "makedirs",
    "remove",
    "unlink",
    "rmdir",
    "removedirs",
    "rename",
    "renames",
    "replace",
    "stat",
    "lstat",
    "listdir",
    "scandir",
    "walk",
    "chmod",
    "chown",
    "symlink",
    "readlink",
    "link",
    "copy",
    "copy2",
    "copyfile",
    "copytree",
    "copystat",
    "copymode",
    "move",
    "rmtree",
    "getaddrinfo",
    "gethostbyname",
    "create_connection",
    "import_module",
    "__import__",
    "find_spec",
    "exec_module",
    "load_module",
    "exists",
    "isfile",
    "isdir",
    "islink",
    "getsize",
    "getmtime",
    "getatime",
    "getctime",
    "iterdir",
    "glob",
    "rglob",
    "read_text",
    "write_text",
    "read_bytes",
    "write_bytes",
    "touch",
    "resolve",
    "acquire",
    "kill",
    "terminate",
    "getpwnam",
    "getpwuid",
    "getgrnam",
    "utime",
    "fsync",
    "lockf",
    "flock",
    "ioctl",
    "fcntl",
    "truncate",
    "seek",
    "send_mail",
    "urlretrieve",
    "getresponse",
    "putrequest",
    "endheaders",
    "load",
    "dump",
    "mkstemp",
    "mkdtemp",
    "NamedTemporaryFile",
    "import_string",
    "load_extension",
    "get_template",
    "select_template",
];

/// Whether the subtree does I/O: an I/O call, an `await`, an `import`.
fn does_io(node: Node, src: &str) -> bool {
    let mut stack = vec![node];
    let mut c = node.walk();
    while let Some(n) = stack.pop() {
        match n.kind() {
            "await" | "import_statement" | "import_from_statement" => return true,
            "call" => {
                let name = n.child_by_field_name("function").map(|f| match f.kind() {
                    "attribute" => f
                        .child_by_field_name("attribute")
                        .map_or("", |a| &src[a.byte_range()]),
                    _ => &src[f.byte_range()],
                });
                if name.is_some_and(|name| IO_CALLS.contains(&name)) {
                    return true;
                }
            }
            "function_definition" | "class_definition" | "lambda" => continue,
            _ => {}
        }
        stack.extend(n.named_children(&mut c));
    }
    false
}

pub(crate) fn try_in_loop(node: Node, cx: &mut Ctx) {
    let src = cx.src();
    let mut c = node.walk();
    let has_except = node
        .named_children(&mut c)
        .any(|n| matches!(n.kind(), "except_clause" | "except_group_clause"));
    if !has_except {
        return; // `try`/`finally` catches nothing
    }
    let Some(lp) = cx.enclosing_loop() else {
        return;
    };
    // The retry idiom: the loop body is only this `try`, and the `try` wraps I/O.
    let only_statement = lp
        .child_by_field_name("body")
        .filter(|b| b.kind() == "block")
        .is_some_and(|b| matches!(statements(b)[..], [only] if only.id() == node.id()));
    let body = node.child_by_field_name("body");
    if only_statement && body.is_some_and(|b| does_io(b, src)) {
        return;
    }
    let zero_cost = cx.settings().python_target >= (3, 11);
    let message = if zero_cost {
        "`try` costs nothing on Python 3.11+ until something raises, but each exception raised in this loop allocates an exception object and a traceback; if it raises often, check before instead (`dict.get`, `str.isdigit`, `hasattr`)"
    } else {
        "before Python 3.11 every iteration pays to set up this `try` block, and each exception raised allocates an exception object and a traceback; move the `try` around the loop, or check before instead of catching"
    };
    let finding = cx.report(node.start_byte()..node.start_byte() + 3, message);
    if zero_cost {
        finding.severity = finding.severity.min(Severity::Info);
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::{analyze_str, Settings, Severity};
    use crate::language::Lang;

    fn run(src: &str, target: (u32, u32)) -> Vec<(&'static str, Severity)> {
        let mut s = Settings::default();
        s.python_target = target;
        analyze_str(Lang::Python, src, &s)
            .unwrap()
            .iter()
            .map(|f| (f.rule_id(), f.severity))
            .collect()
    }

    #[test]
    fn severity_follows_the_target() {
        let src = "def f(xs):\n    out = 0\n    for x in xs:\n        try:\n            out += int(x)\n        except ValueError:\n            pass\n    return out\n";
        assert_eq!(run(src, (3, 11)), [("py/try-in-loop", Severity::Info)]);
        assert_eq!(run(src, (3, 12)), [("py/try-in-loop", Severity::Info)]);
        assert_eq!(run(src, (3, 10)), [("py/try-in-loop", Severity::Warning)]);
    }

    #[test]
    fn quiet_cases() {
        for src in [
            // retry around I/O
            "def f(url):\n    for attempt in range(3):\n        try:\n            return urlopen(url)\n        except OSError:\n            sleep(1)\n",
            "def f(paths):\n    for p in paths:\n        try:\n            os.remove(p)\n        except OSError:\n            pass\n",
            // try/finally only
            "def f(xs):\n    for x in xs:\n        try:\n            g(x)\n        finally:\n            h()\n",
            // not in a loop
            "def f(x):\n    try:\n        g(x)\n    except E:\n        pass\n",
            // the loop is outside the function
            "for x in xs:\n    def f():\n        try:\n            g()\n        except E:\n            pass\n",
        ] {
            assert!(run(src, (3, 8)).is_empty(), "{src}");
        }
        // I/O but other statements in the body: fires.
        let src = "def f(paths):\n    for p in paths:\n        n = len(p)\n        try:\n            os.remove(p)\n        except OSError:\n            pass\n";
        assert_eq!(run(src, (3, 8)).len(), 1);
    }
}
