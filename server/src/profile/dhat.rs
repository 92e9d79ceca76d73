//! DHAT JSON (`dhat-heap.json`), as written by the `dhat` crate and by valgrind's DHAT
//! (`--tool=dhat`).
//!
//! The file holds `pps` (program points), each with `tb` (total bytes), `tbk` (total blocks)
//! and `fs` (indices into `ftbl`, innermost frame first), and `ftbl`, the frame table: strings
//! like `0x55d…: my_crate::build (src/build.rs:42:17)` (the `dhat` crate),
//! `0x10915E: build (build.c:42)` or `0x483DD99: malloc (in /usr/lib/…so)` (valgrind), and
//! `[root]`. Other keys are ignored. Only heap-mode profiles (`mode` `heap` / `rust-heap`) are
//! read: copy and ad-hoc profiles count other units than bytes.
//!
//! A frame is user code unless its function belongs to the allocator, the standard library or
//! the profiler: a Rust path in `alloc`, `core`, `std`, `dhat` or `backtrace` (for a trait
//! method `<T as alloc::…>` the implementing type decides, and a generic or primitive type
//! defers to the trait), the `__rust_`/`__rg_`/`__rdl_` shims, C allocator entry points,
//! C++ `std::`, and symbols with neither a `::` path nor line information.

use std::cell::RefCell;
use std::io::Read;
use std::path::Path;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use super::model::{CallNode, CallTreeBuilder, Format, Frame, Interner, Profile, Stack};
use super::ProfileError;

/// What a read accumulates as the file streams past.
#[derive(Default)]
struct Build {
    strings: Interner,
    nodes: Vec<CallNode>,
    tree: CallTreeBuilder,
    stacks: Vec<Stack>,
    /// The highest frame index any `fs` uses, and the first program point using it.
    max_frame: Option<(u32, usize)>,
}

thread_local! {
    static BUILD: RefCell<Build> = RefCell::new(Build::default());
}

#[derive(Deserialize)]
struct DhatFile {
    #[serde(rename = "dhatFileVersion")]
    version: Option<u32>,
    mode: Option<String>,
    #[serde(deserialize_with = "stream_pps")]
    #[allow(dead_code)]
    pps: (),
    ftbl: Vec<FtblEntry>,
}

/// Folds each program point into the call tree as it is read: only the tree is kept.
fn stream_pps<'de, D: Deserializer<'de>>(d: D) -> Result<(), D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of program points")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut i = 0usize;
            while let Some(pp) = seq.next_element::<ProgramPoint>()? {
                BUILD.with(|b| {
                    let b = &mut *b.borrow_mut();
                    if let Some(&m) = pp.fs.iter().max() {
                        if b.max_frame.is_none_or(|(old, _)| m > old) {
                            b.max_frame = Some((m, i));
                        }
                    }
                    let node = b.tree.insert(&mut b.nodes, pp.fs.iter().rev().copied());
                    b.stacks.push(Stack {
                        node,
                        bytes: pp.tb,
                        blocks: pp.tbk,
                    });
                });
                i += 1;
            }
            Ok(())
        }
    }
    d.deserialize_seq(V)
}

#[derive(Deserialize)]
struct ProgramPoint {
    tb: u64,
    tbk: u64,
    fs: Vec<u32>,
}

/// One `ftbl` string, parsed as it streams past (the raw string is never kept), with its
/// code address (0 when it has none).
struct FtblEntry(Frame, u64);

impl<'de> Deserialize<'de> for FtblEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = FtblEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a frame string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<FtblEntry, E> {
                let frame = BUILD.with(|b| parse_frame(s, &mut b.borrow_mut().strings));
                Ok(FtblEntry(frame, address(s)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Reads a DHAT profile from `reader` (streamed). `path` names the file in errors.
pub fn read(path: &Path, reader: impl Read) -> Result<Profile, ProfileError> {
    BUILD.with(|b| *b.borrow_mut() = Build::default());
    let parsed: Result<DhatFile, _> = serde_json::from_reader(reader);
    let build = BUILD.with(|b| std::mem::take(&mut *b.borrow_mut()));
    let file = parsed.map_err(|e| ProfileError::json(path, Format::Dhat, &e))?;
    if let Some(v) = file.version {
        if v != 2 {
            return Err(ProfileError::new(
                path,
                format!("DHAT file version {v} is not supported (expected 2)"),
            ));
        }
    }
    if let Some(mode) = file.mode.as_deref() {
        if mode != "heap" && mode != "rust-heap" {
            return Err(ProfileError::new(
                path,
                format!(
                    "DHAT mode `{mode}` is not a heap profile (its figures are not allocated \
                     bytes); profile with the default heap mode"
                ),
            ));
        }
    }
    let mut profile = Profile::new(path.to_owned(), Format::Dhat);
    let (frames, addresses): (Vec<Frame>, Vec<u64>) =
        file.ftbl.into_iter().map(|e| (e.0, e.1)).unzip();
    profile.frames = frames;
    let n = profile.frames.len();
    if let Some((bad, i)) = build.max_frame.filter(|&(m, _)| m as usize >= n) {
        return Err(ProfileError::new(
            path,
            format!("pps[{i}] refers to frame {bad}, but ftbl has only {n} entries"),
        ));
    }
    profile.nodes = build.nodes;
    demote_inlined_library_frames(&mut profile, &addresses);
    for st in build.stacks {
        profile.push_stack(st.node, st.bytes, st.blocks);
    }
    profile.finish(Some(10));
    Ok(profile)
}

/// The `0x…` address an `ftbl` entry starts with, or 0.
fn address(s: &str) -> u64 {
    s.split_once(": ")
        .and_then(|(a, _)| a.strip_prefix("0x"))
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .unwrap_or(0)
}

/// Valgrind names a function inlined into another by its bare name (`alloc (alloc.rs:95)`,
/// `with_capacity_in<u8, …> (…/raw_vec/mod.rs:177)`), with the same address as the frame it
/// was inlined into: the next outer one. Such a frame inlined into library code is library code.
/// Parents come before children in the call tree, so chains of inlined frames settle in one pass.
fn demote_inlined_library_frames(profile: &mut Profile, addresses: &[u64]) {
    for i in 0..profile.nodes.len() {
        let node = profile.nodes[i];
        let Some(parent) = profile.nodes.get(node.parent as usize).copied() else {
            continue;
        };
        let (f, g) = (node.frame as usize, parent.frame as usize);
        let bare = |fr: &Frame| {
            fr.function
                .as_deref()
                .is_some_and(|n| rust_crate(n).is_none())
        };
        let rust_file = |fr: &Frame| fr.path.as_deref().is_some_and(|p| p.ends_with(".rs"));
        if addresses
            .get(f)
            .is_some_and(|&a| a != 0 && Some(&a) == addresses.get(g))
            && profile.frames[f].user
            && !profile.frames[g].user
            && bare(&profile.frames[f])
            && rust_file(&profile.frames[f])
        {
            profile.frames[f].user = false;
        }
    }
}

/// Parses one `ftbl` entry.
pub(crate) fn parse_frame(s: &str, strings: &mut Interner) -> Frame {
    let rest = match s.split_once(": ") {
        Some((addr, rest)) if addr.starts_with("0x") => rest,
        _ => s,
    };
    let (name, loc) = split_location(rest);
    let mut frame = Frame {
        path: None,
        line: None,
        column: None,
        function: None,
        user: false,
    };
    if let Some(loc) = loc.filter(|l| !l.starts_with("in ")) {
        let (file, line, col) = split_file_line_col(loc);
        if !file.is_empty() && file != "???" {
            frame.path = Some(strings.intern(file));
        }
        frame.line = line.filter(|&l| l > 0);
        frame.column = col.filter(|&c| c > 0);
    }
    let name = name.trim();
    if !name.is_empty() && name != "???" {
        frame.function = Some(strings.intern(name));
    }
    frame.user = is_user(name, frame.path.as_deref(), frame.line.is_some());
    frame
}

/// Splits `name (location)` at the parenthesis group that closes the string.
fn split_location(s: &str) -> (&str, Option<&str>) {
    let s = s.trim_end();
    if !s.ends_with(')') {
        return (s, None);
    }
    let mut depth = 0usize;
    for (i, c) in s.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth -= 1;
                if depth == 0 {
                    if i == 0 {
                        return (s, None);
                    }
                    return (&s[..i], Some(&s[i + 1..s.len() - 1]));
                }
            }
            _ => {}
        }
    }
    (s, None)
}

/// `file:line:col`, `file:line` or `file`, split from the right (paths may hold `:`).
fn split_file_line_col(loc: &str) -> (&str, Option<u32>, Option<u32>) {
    let Some((a, last)) = loc.rsplit_once(':') else {
        return (loc, None, None);
    };
    let Ok(last) = last.parse::<u32>() else {
        return (loc, None, None);
    };
    match a.rsplit_once(':') {
        Some((file, mid)) => match mid.parse::<u32>() {
            Ok(line) => (file, Some(line), Some(last)),
            Err(_) => (a, Some(last), None),
        },
        None => (a, Some(last), None),
    }
}

const LIBRARY_CRATES: &[&str] = &["alloc", "core", "std", "dhat", "backtrace", "__rustc"];
const C_ALLOCATORS: &[&str] = &[
    "malloc",
    "calloc",
    "realloc",
    "reallocarray",
    "free",
    "memalign",
    "posix_memalign",
    "aligned_alloc",
    "valloc",
    "strdup",
    "strndup",
];

/// Whether a frame is the user's code (see the module docs).
fn is_user(name: &str, path: Option<&str>, has_line: bool) -> bool {
    if name.is_empty() || name == "???" || name == "[root]" || name.starts_with("(below main)") {
        return false;
    }
    let last = name.rsplit("::").next().unwrap_or(name);
    if ["__rust_", "__rg_", "__rdl_", "__libc_", "_start"]
        .iter()
        .any(|p| name.starts_with(p) || last.starts_with(p))
    {
        return false;
    }
    if path.is_some_and(|p| p.ends_with("vg_replace_malloc.c")) {
        return false;
    }
    // glibc's versioned symbols and C's reserved identifiers (`__x`, `_X…`).
    let reserved = name.starts_with("__")
        || (name.starts_with('_') && name[1..].starts_with(|c: char| c.is_ascii_uppercase()));
    if name.contains("@GLIBC") || (reserved && !name.contains("::")) {
        return false;
    }
    if name.starts_with("operator new") || name.starts_with("operator delete") {
        return false;
    }
    if path.is_some_and(is_std_source) {
        return false;
    }
    if let Some(krate) = rust_crate(name) {
        return !LIBRARY_CRATES.contains(&krate) && krate != "__gnu_cxx";
    }
    // A C symbol: user code when it has a line and is not an allocator entry point.
    has_line && !C_ALLOCATORS.contains(&name)
}

/// The crate (or C++ namespace) a demangled Rust function path belongs to: the first path
/// segment; for `<Type as Trait>::f` the type's crate, or the trait's when the type is a
/// generic parameter or a primitive. `None` for names with no `::`.
pub(crate) fn rust_crate(name: &str) -> Option<&str> {
    let name = name.trim();
    if let Some(inner) = name.strip_prefix('<') {
        // The type part ends at the first ` as ` or at the `>` that closes the group.
        let mut depth = 0usize;
        let mut end = inner.len();
        let mut as_at = None;
        for (i, c) in inner.char_indices() {
            match c {
                '<' => depth += 1,
                '>' if depth == 0 => {
                    end = i;
                    break;
                }
                '>' => depth -= 1,
                ' ' if depth == 0 && inner[i..].starts_with(" as ") => {
                    as_at = Some(i);
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let ty = strip_type_prefixes(&inner[..end]);
        if ty.contains("::") {
            return first_segment(ty);
        }
        let tr = as_at.map(|i| inner[i + 4..].trim_start())?;
        return first_segment(tr);
    }
    // Only a `::` outside generic arguments makes a path: `with_capacity_in<u8,
    // alloc::alloc::Global>` (an inlined frame as valgrind names it) is not one.
    let outside = &name[..name.find('<').unwrap_or(name.len())];
    if !outside.contains("::") {
        return None;
    }
    first_segment(name)
}

/// Whether a path is in the Rust standard library's sources (`/rustc/<hash>/library/alloc/…`,
/// `…/rustlib/src/rust/library/core/…`, or valgrind's `library/std/src/…`).
fn is_std_source(path: &str) -> bool {
    let p = path.replace('\\', "/");
    p.starts_with("/rustc/")
        || [
            "library/alloc/",
            "library/core/",
            "library/std/",
            "library/proc_macro/",
        ]
        .iter()
        .any(|lib| p.starts_with(lib) || p.contains(&format!("/{lib}")))
}

fn strip_type_prefixes(mut ty: &str) -> &str {
    loop {
        let before = ty;
        ty = ty.trim_start();
        for p in ["&", "mut ", "dyn ", "*const ", "*mut ", "[", "("] {
            if let Some(r) = ty.strip_prefix(p) {
                ty = r;
            }
        }
        if ty == before {
            return ty;
        }
    }
}

fn first_segment(path: &str) -> Option<&str> {
    let seg = path.split("::").next()?.trim();
    let seg = seg.split('<').next()?.trim();
    (!seg.is_empty()).then_some(seg)
}

/// The crate a frame's function belongs to, for choosing among same-named files
/// (`src/lib.rs`) in a multi-crate workspace.
pub(crate) fn crate_hint(frame: &Frame) -> Option<&str> {
    frame.function.as_deref().and_then(rust_crate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(s: &str) -> Frame {
        parse_frame(s, &mut Interner::default())
    }

    #[test]
    fn parses_dhat_crate_frames() {
        let f = frame("0x55d5c3a1b2c3: dhat_demo::build_labels (dhat-demo/src/main.rs:12:24)");
        assert_eq!(f.function.as_deref(), Some("dhat_demo::build_labels"));
        assert_eq!(f.path.as_deref(), Some("dhat-demo/src/main.rs"));
        assert_eq!((f.line, f.column), (Some(12), Some(24)));
        assert!(f.user);
        let f = frame("0x1: <alloc::alloc::Global as core::alloc::Allocator>::allocate (alloc/src/alloc.rs:241:9)");
        assert!(!f.user);
        let f = frame("0x1: alloc::fmt::format::format_inner (alloc/src/fmt.rs:642:16)");
        assert!(!f.user);
        let f = frame("0x1: <dhat_demo::Row as core::clone::Clone>::clone (src/main.rs:3:10)");
        assert!(f.user);
        let f =
            frame("0x1: <str as alloc::string::ToString>::to_string (alloc/src/string.rs:2600:9)");
        assert!(!f.user);
        let f = frame("0x1: <T as alloc::vec::spec_from_elem::SpecFromElem>::from_elem (x.rs:1:1)");
        assert!(!f.user);
        let f = frame("0x1: <&mut serde_json::de::Deserializer<R> as serde::de::Deserializer>::deserialize_str (src/de.rs:1:1)");
        assert!(
            f.user,
            "a dependency is user code as far as the reader can tell"
        );
        assert_eq!(crate_hint(&f), Some("serde_json"));
        // The global allocator shim is attributed to the `#[global_allocator]` line.
        let f = frame("0x1: __rustc::__rust_alloc (dhat-demo/src/main.rs:5:15)");
        assert!(!f.user);
        let f = frame("0x1: alloc::slice::<impl [T]>::repeat (alloc/src/slice.rs:524:23)");
        assert!(!f.user);
        // Valgrind names inlined frames without their path.
        let f = frame("0x1B5A14: with_capacity_in<u8, alloc::alloc::Global> (library/alloc/src/raw_vec/mod.rs:177)");
        assert!(!f.user);
        assert_eq!(
            rust_crate("with_capacity_in<u8, alloc::alloc::Global>"),
            None
        );
        let f = frame("0x268A57: alloc (library/alloc/src/alloc.rs:95)");
        assert!(!f.user);
        let f = frame("0x2: core::fmt::write (/rustc/5980761/library/core/src/fmt/mod.rs:1:1)");
        assert!(!f.user);
        let f = frame("0x3: grow (/home/me/rustlib/src/rust/library/std/src/x.rs:1)");
        assert!(!f.user);
        let f = frame("0x4: copies (main.rs:11)");
        assert!(f.user, "an inlined user frame as valgrind shows it");
        let f = frame("[root]");
        assert!(!f.user && f.path.is_none() && f.line.is_none());
    }

    #[test]
    fn frames_without_line_information() {
        let f = frame("0x7f00: ??? (???:0:0)");
        assert!(f.path.is_none() && f.line.is_none() && f.function.is_none() && !f.user);
        let f = frame("0x7f00: my_app::run (???:0:0)");
        assert!(f.user && f.line.is_none() && f.path.is_none());
        let f = frame("0x483DD99: malloc (in /usr/libexec/valgrind/vgpreload_dhat-amd64-linux.so)");
        assert!(!f.user && f.path.is_none());
        let f = frame("0x10916A: helper (in /tmp/a.out)");
        assert!(!f.user, "a C symbol with no line information");
    }

    #[test]
    fn parses_valgrind_frames() {
        let f = frame("0x10915E: build (build.c:42)");
        assert_eq!(
            (f.path.as_deref(), f.line, f.column),
            (Some("build.c"), Some(42), None)
        );
        assert!(f.user);
        let f = frame("0x4849013: operator new(unsigned long) (vg_replace_malloc.c:483)");
        assert_eq!(f.function.as_deref(), Some("operator new(unsigned long)"));
        assert!(!f.user);
        let f = frame(
            "0x1: std::vector<int, std::allocator<int> >::reserve(unsigned long) (vector.tcc:72)",
        );
        assert!(!f.user);
        let f = frame("0x1: run (C:\\src\\a.c:3)");
        assert_eq!((f.path.as_deref(), f.line), (Some("C:\\src\\a.c"), Some(3)));
    }

    #[test]
    fn inlined_library_frames_as_valgrind_names_them() {
        // Real valgrind output for a Rust program (addresses shared by inlined frames).
        let json = r#"{"dhatFileVersion":2,"mode":"heap","pps":[{"tb":2048,"tbk":1,"fs":[1,2,3,4,5]}],
          "ftbl":["[root]",
            "0x48417B4: malloc (in /usr/libexec/valgrind/vgpreload_dhat-amd64-linux.so)",
            "0x268A57: alloc (alloc.rs:95)",
            "0x268A57: alloc::alloc::Global::alloc_impl_runtime (library/alloc/src/alloc.rs:190)",
            "0x17B2C4: copies (main.rs:11)",
            "0x17B2C4: dhat_demo::main (main.rs:42)"]}"#;
        let p = read(Path::new("vg.json"), json.as_bytes()).unwrap();
        let user: Vec<bool> = p.frames.iter().map(|f| f.user).collect();
        assert_eq!(user, vec![false, false, false, false, true, true]);
        let site = p.site(&p.stacks[0]).unwrap();
        assert_eq!(p.frames[site as usize].function.as_deref(), Some("copies"));
        assert!(!frame("0x1: _IO_file_doallocate (filedoalloc.c:101)").user);
        assert!(!frame("0x1: pthread_getattr_np@@GLIBC_2.32 (pthread_getattr_np.c:180)").user);
        assert!(frame("0x1: make_buffer (buf.c:7)").user);
    }

    #[test]
    fn reads_a_small_file() {
        let json = r#"{"dhatFileVersion":2,"mode":"rust-heap","verb":"Allocated","pps":[
            {"tb":4096,"tbk":2,"tl":1,"fs":[1,2,3]},
            {"tb":10,"tbk":1,"fs":[1,3]}],
          "ftbl":["[root]",
            "0x1: alloc::alloc::alloc (alloc/src/alloc.rs:1:1)",
            "0x2: demo::inner (src/main.rs:5:9)",
            "0x3: demo::main (src/main.rs:12:5)"]}"#;
        let p = read(Path::new("dhat-heap.json"), json.as_bytes()).unwrap();
        assert_eq!((p.total_bytes, p.total_blocks), (4106, 3));
        assert_eq!(p.stacks.len(), 2);
        assert_eq!(p.nodes.len(), 4, "both stacks share their outermost call");
        assert!(p.notes.is_empty(), "{:?}", p.notes);
        // Stacks cut before reaching user code: a note says why and what to do.
        let json = r#"{"dhatFileVersion":2,"pps":[{"tb":900,"tbk":1,"fs":[1,1,1,1,1,1,1,1,1,1]},{"tb":100,"tbk":1,"fs":[2]}],
          "ftbl":["[root]","0x1: alloc::alloc::alloc (alloc/src/alloc.rs:1:1)","0x2: demo::main (src/main.rs:2:5)"]}"#;
        let cut = read(Path::new("dhat-heap.json"), json.as_bytes()).unwrap();
        assert!(
            cut.notes[0].starts_with("90% of the bytes have no user frame")
                && cut.notes[0].contains("trim_backtraces"),
            "{:?}",
            cut.notes
        );
        let site = p.site(&p.stacks[0]).unwrap();
        assert_eq!(p.frames[site as usize].line, Some(5));
        let site = p.site(&p.stacks[1]).unwrap();
        assert_eq!(p.frames[site as usize].line, Some(12));
    }

    #[test]
    fn rejects_bad_files() {
        let e = read(
            Path::new("d.json"),
            &br#"{"dhatFileVersion":2,"pps":[{"tb":1,"tbk":1,"fs":[0"#[..],
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("d.json: truncated"), "{e}");
        let e = read(
            Path::new("d.json"),
            &br#"{"dhatFileVersion":2,"mode":"copy","pps":[],"ftbl":[]}"#[..],
        )
        .unwrap_err();
        assert!(e.to_string().contains("mode `copy`"), "{e}");
        let e = read(
            Path::new("d.json"),
            &br#"{"pps":[{"tb":1,"tbk":1,"fs":[7]}],"ftbl":["[root]"]}"#[..],
        )
        .unwrap_err();
        assert!(e.to_string().contains("pps[0] refers to frame 7"), "{e}");
        let e = read(Path::new("d.json"), &br#"{"ftbl":[]}"#[..]).unwrap_err();
        assert!(e.to_string().contains("missing field `pps`"), "{e}");
    }
}
