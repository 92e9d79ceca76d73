//! V8 sampling heap profiles (`.heapprofile`), as written by `node --heap-prof` and by Chrome
//! DevTools' "Allocation sampling".
//!
//! The file is `{"head": NODE, "samples": [...]}`. A node is
//! `{"callFrame": {"functionName", "scriptId", "url", "lineNumber", "columnNumber"},
//! "selfSize", "id", "children": [NODE…]}`. `lineNumber`/`columnNumber` are 0-based and give
//! the position of the *function* (where its parameters start), not of the allocating line: V8
//! attributes bytes to functions. `selfSize` is the (sampled, scaled) bytes allocated by the
//! function itself and still live when the profile was written. `samples` (optional) lists the
//! samples with their `nodeId`; their count per node becomes the node's block count.
//!
//! A node's stack is the path from it up to the root, innermost first. A frame is not user code
//! when it is a pseudo-node (`(root)`, `(program)`, `(garbage collector)`, …), a builtin
//! (`scriptId` 0), Node.js internals (`node:…` URLs), or nameless with no URL. A user function
//! whose script was garbage-collected before the profile was written has no URL and line -1:
//! it is kept as a frame without line information (keep a reference to the module's functions
//! until exit to avoid this).
//!
//! `--heap-prof` reports what is still live at exit: a program whose data is freed before it
//! ends shows little.
//!
//! Nesting is as deep as the deepest JavaScript stack, so the file is parsed without serde's
//! recursion limit, on a thread with a large stack.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::Deserialize;

use super::model::{CallNode, Format, Frame, FrameTable, Profile, NO_NODE};
use super::ProfileError;

/// The stack of the thread that parses a profile: deep JavaScript recursion nests deeply.
const PARSE_STACK: usize = 256 << 20;

/// What a read accumulates as the file streams past: the call tree is V8's own tree.
#[derive(Default)]
struct Build {
    table: FrameTable,
    nodes: Vec<CallNode>,
    /// (call node, bytes, V8 node id) of every node with a `selfSize`.
    stacks: Vec<(u32, u64, Option<u64>)>,
    samples: HashMap<u64, u64>,
    saw_head: bool,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum FileKey {
    Head,
    Samples,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum NodeKey {
    CallFrame,
    SelfSize,
    Id,
    Children,
    #[serde(other)]
    Other,
}

/// The whole file: `head` streams into the call tree, `samples` into counts per node id.
struct FileSeed<'a>(&'a mut Build);

impl<'de> DeserializeSeed<'de> for FileSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a V8 heap profile object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<FileKey>()? {
            match key {
                FileKey::Head => {
                    map.next_value_seed(NodeSeed {
                        b: &mut *self.0,
                        parent: NO_NODE,
                    })?;
                    self.0.saw_head = true;
                }
                FileKey::Samples => self.0.samples = map.next_value::<SampleCounts>()?.0,
                FileKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !self.0.saw_head {
            return Err(A::Error::missing_field("head"));
        }
        Ok(())
    }
}

/// One node: becomes a call node under `parent`; its children follow under it.
struct NodeSeed<'a> {
    b: &'a mut Build,
    parent: u32,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a profile node")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let idx = self.b.nodes.len() as u32;
        self.b.nodes.push(CallNode {
            frame: NO_NODE,
            parent: self.parent,
        });
        let mut self_size = 0.0f64;
        let mut id = None;
        while let Some(key) = map.next_key::<NodeKey>()? {
            match key {
                NodeKey::CallFrame => {
                    let raw: RawCallFrame = map.next_value()?;
                    let frame = to_frame(&raw, &mut self.b.table);
                    self.b.nodes[idx as usize].frame = self.b.table.add(frame);
                }
                NodeKey::SelfSize => self_size = map.next_value()?,
                NodeKey::Id => id = Some(map.next_value()?),
                NodeKey::Children => map.next_value_seed(ChildrenSeed {
                    b: &mut *self.b,
                    parent: idx,
                })?,
                NodeKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if self.b.nodes[idx as usize].frame == NO_NODE {
            return Err(A::Error::missing_field("callFrame"));
        }
        if self_size.is_finite() && self_size > 0.0 {
            self.b.stacks.push((idx, self_size.round() as u64, id));
        }
        Ok(())
    }
}

struct ChildrenSeed<'a> {
    b: &'a mut Build,
    parent: u32,
}

impl<'de> DeserializeSeed<'de> for ChildrenSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ChildrenSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of profile nodes")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(NodeSeed {
                b: &mut *self.b,
                parent: self.parent,
            })?
            .is_some()
        {}
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ScriptId {
    Text(String),
    Number(i64),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCallFrame {
    #[serde(default)]
    function_name: String,
    #[serde(default)]
    script_id: Option<ScriptId>,
    #[serde(default)]
    url: String,
    #[serde(default = "minus_one")]
    line_number: i64,
    #[serde(default = "minus_one")]
    column_number: i64,
}

fn minus_one() -> i64 {
    -1
}

/// `samples`, counted per node id as they stream past.
struct SampleCounts(HashMap<u64, u64>);

impl<'de> Deserialize<'de> for SampleCounts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        count_samples(d).map(SampleCounts)
    }
}

fn count_samples<'de, D: Deserializer<'de>>(d: D) -> Result<HashMap<u64, u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        node_id: u64,
    }
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = HashMap<u64, u64>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of samples")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut counts = HashMap::new();
            while let Some(s) = seq.next_element::<Sample>()? {
                *counts.entry(s.node_id).or_insert(0) += 1;
            }
            Ok(counts)
        }
    }
    d.deserialize_seq(V)
}

fn to_frame(raw: &RawCallFrame, t: &mut FrameTable) -> Frame {
    let name = raw.function_name.as_str();
    let builtin = matches!(&raw.script_id, Some(ScriptId::Text(s)) if s == "0")
        || matches!(raw.script_id, Some(ScriptId::Number(0)));
    let url = raw.url.as_str();
    let user = !(builtin
        || (url.is_empty() && (name.is_empty() || name.starts_with('(')))
        || url.starts_with("node:")
        || url.starts_with("internal/"));
    let path = (!url.is_empty()).then(|| t.strings.intern(&url_to_path(url)));
    let line = (raw.line_number >= 0 && path.is_some()).then(|| raw.line_number as u32 + 1);
    let column = (raw.column_number >= 0 && line.is_some()).then(|| raw.column_number as u32 + 1);
    Frame {
        path,
        line,
        column,
        function: (!name.is_empty()).then(|| t.strings.intern(name)),
        user,
    }
}

/// `file:///a/b%20c.js` → `/a/b c.js`; other URLs and plain paths unchanged.
pub(crate) fn url_to_path(url: &str) -> String {
    let Some(rest) = url.strip_prefix("file://") else {
        return url.to_owned();
    };
    // `file:///C:/x` → `C:/x`.
    let rest = match rest.as_bytes() {
        [b'/', d, b':', ..] if d.is_ascii_alphabetic() => &rest[1..],
        _ => rest,
    };
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| rest.to_owned())
}

/// Reads a V8 heap profile from `reader` (streamed). `path` names the file in errors.
pub fn read(path: &Path, reader: impl Read + Send) -> Result<Profile, ProfileError> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("heap-audit-v8-profile".into())
            .stack_size(PARSE_STACK)
            .spawn_scoped(scope, || read_on_this_thread(path, reader));
        match handle {
            Ok(h) => h.join().unwrap_or_else(|_| {
                Err(ProfileError::new(
                    path,
                    "the V8 profile reader panicked".to_owned(),
                ))
            }),
            Err(e) => Err(ProfileError::new(
                path,
                format!("cannot start the reader thread: {e}"),
            )),
        }
    })
}

fn read_on_this_thread(path: &Path, reader: impl Read) -> Result<Profile, ProfileError> {
    let mut build = Build::default();
    let mut de = serde_json::Deserializer::from_reader(reader);
    de.disable_recursion_limit();
    FileSeed(&mut build)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| ProfileError::json(path, Format::V8, &e))?;
    let mut profile = Profile::new(path.to_owned(), Format::V8);
    profile.frames = build.table.frames;
    profile.nodes = build.nodes;
    for (node, bytes, id) in build.stacks {
        let blocks = id
            .and_then(|id| build.samples.get(&id).copied())
            .unwrap_or(0);
        profile.push_stack(node, bytes, blocks);
    }
    let nameless = profile
        .frames
        .iter()
        .filter(|f| f.user && f.path.is_none())
        .count();
    if nameless > 0 {
        profile.notes.push(format!(
            "{nameless} functions have no script URL or line (their script was garbage-collected \
             before the profile was written; keep a reference to the module's functions until \
             exit)"
        ));
    }
    profile.finish(None);
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"{"head":{"callFrame":{"functionName":"(root)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":0,"id":1,"children":[
      {"callFrame":{"functionName":"","scriptId":"81","url":"/srv/app/main.js","lineNumber":0,"columnNumber":0},"selfSize":100,"id":2,"children":[
        {"callFrame":{"functionName":"makeRows","scriptId":"81","url":"/srv/app/main.js","lineNumber":1,"columnNumber":17},"selfSize":5000,"id":3,"children":[
          {"callFrame":{"functionName":"push","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":700,"id":4,"children":[]}]},
        {"callFrame":{"functionName":"lost","scriptId":"82","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":30,"id":5,"children":[]},
        {"callFrame":{"functionName":"resolve","scriptId":"33","url":"node:path","lineNumber":1216,"columnNumber":9},"selfSize":64,"id":6,"children":[]}]}]},
      "samples":[{"size":5000,"nodeId":3,"ordinal":1},{"size":5000,"nodeId":3,"ordinal":2},{"size":700,"nodeId":4,"ordinal":3}]}"#;

    #[test]
    fn reads_a_small_tree() {
        let p = read(Path::new("a.heapprofile"), SMALL.as_bytes()).unwrap();
        assert_eq!(p.total_bytes, 5894);
        assert_eq!(p.stacks.len(), 5);
        let make = p.stacks.iter().find(|s| s.bytes == 5000).unwrap();
        assert_eq!(make.blocks, 2);
        let f = &p.frames[p.site(make).unwrap() as usize];
        assert_eq!(f.function.as_deref(), Some("makeRows"));
        assert_eq!(
            (f.path.as_deref(), f.line, f.column),
            (Some("/srv/app/main.js"), Some(2), Some(18))
        );
        // A builtin's bytes go to the user function that called it.
        let push = p.stacks.iter().find(|s| s.bytes == 700).unwrap();
        assert!(!p.frames[p.stack_frames(push).next().unwrap() as usize].user);
        assert_eq!(p.site(push), p.site(make));
        // A function whose script was collected: user, no line.
        let lost = p.stacks.iter().find(|s| s.bytes == 30).unwrap();
        let f = &p.frames[p.site(lost).unwrap() as usize];
        assert!(f.line.is_none() && f.function.as_deref() == Some("lost"));
        assert!(
            p.notes.iter().any(|n| n.contains("garbage-collected")),
            "{:?}",
            p.notes
        );
        // Node internals are not user code; the module's top level is.
        let internal = p.stacks.iter().find(|s| s.bytes == 64).unwrap();
        assert_eq!(p.frames[p.site(internal).unwrap() as usize].line, Some(1));
    }

    #[test]
    fn deep_trees_parse() {
        let depth = 5000;
        let mut s = String::from(r#"{"head":"#);
        for i in 0..depth {
            s.push_str(&format!(
                r#"{{"callFrame":{{"functionName":"f","scriptId":"9","url":"/a.js","lineNumber":{i},"columnNumber":0}},"selfSize":1,"id":{i},"children":["#
            ));
        }
        s.push_str(&"]}".repeat(depth));
        s.push('}');
        let p = read(Path::new("deep.heapprofile"), s.as_bytes()).unwrap();
        assert_eq!(p.stacks.len(), depth);
        assert_eq!(
            p.stacks.iter().map(|s| p.stack_frames(s).count()).max(),
            Some(depth)
        );
        assert_eq!(p.nodes.len(), depth, "the call tree is V8's own tree");
    }

    #[test]
    fn file_urls_become_paths() {
        assert_eq!(
            url_to_path("file:///home/a/my%20app/x.mjs"),
            "/home/a/my app/x.mjs"
        );
        assert_eq!(url_to_path("file:///C:/src/x.js"), "C:/src/x.js");
        assert_eq!(url_to_path("/plain/x.js"), "/plain/x.js");
        assert_eq!(url_to_path("file:///bad%zz"), "/bad%zz");
    }

    #[test]
    fn truncated_is_an_error() {
        let e = read(Path::new("t.heapprofile"), &SMALL.as_bytes()[..200]).unwrap_err();
        assert!(e.to_string().starts_with("t.heapprofile: truncated"), "{e}");
    }
}
