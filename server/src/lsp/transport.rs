//! Our own framing in front of tower-lsp-server.
//!
//! tower-lsp-server answers one malformed frame with -32700 and then stops reading, which kills
//! the session. So we read stdin ourselves: parse `Content-Length` headers, resynchronise after
//! garbage, check that each body is UTF-8 JSON shaped like a JSON-RPC message, and answer bad
//! frames ourselves. Good frames go to tower-lsp through an in-memory pipe with a clean header.
//! tower-lsp's output comes back through another pipe into the one task that writes stdout, which
//! also writes our error frames, whole frames at a time, so the two never interleave.

use std::borrow::Cow;
use std::ops::Range;

use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::Id;

/// Header blocks longer than this are garbage.
const MAX_HEADER_BYTES: usize = 8 * 1024;
/// Larger bodies are refused (and skipped without buffering them).
pub(crate) const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;
/// How much to ask the reader for at a time.
const READ_CHUNK: usize = 64 * 1024;
const CONTENT_LENGTH: &[u8] = b"content-length";

/// One decoded unit of the byte stream.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// A complete frame: `frame` spans header and body, `body` the body alone (offsets into the
    /// decoder's buffer, valid until the next call to [`Decoder::next`] or [`Decoder::read_buf`]).
    Frame {
        frame: Range<usize>,
        body: Range<usize>,
    },
    /// A header block that is not `Name: value` lines with a valid `Content-Length`. The decoder
    /// skips ahead to the next `Content-Length`.
    BadHeader(&'static str),
    /// A body over the size limit; its bytes are dropped as they arrive.
    TooLarge(usize),
}

enum Header {
    Incomplete,
    Bad(&'static str),
    Complete { body_start: usize, len: usize },
}

/// Splits a byte stream into LSP frames (`Content-Length: N\r\n\r\n` + N bytes).
pub(crate) struct Decoder {
    buf: Vec<u8>,
    pos: usize,
    /// Bytes of a refused body still to drop.
    discard: usize,
    /// After a bad header: looking for the next `Content-Length`.
    resync: bool,
    max_body: usize,
}

impl Decoder {
    pub(crate) fn new(max_body: usize) -> Self {
        Self {
            buf: Vec::with_capacity(READ_CHUNK),
            pos: 0,
            discard: 0,
            resync: false,
            max_body,
        }
    }

    /// The buffer to append newly read bytes to (consumed bytes are dropped first).
    pub(crate) fn read_buf(&mut self) -> &mut Vec<u8> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.reserve(READ_CHUNK);
        &mut self.buf
    }

    pub(crate) fn bytes(&self, range: Range<usize>) -> &[u8] {
        &self.buf[range]
    }

    pub(crate) fn next(&mut self) -> Option<Decoded> {
        if self.discard > 0 {
            let n = self.discard.min(self.buf.len() - self.pos);
            self.pos += n;
            self.discard -= n;
            if self.discard > 0 {
                return None;
            }
        }
        if self.resync {
            match find_ignore_case(&self.buf[self.pos..], CONTENT_LENGTH) {
                Some(at) => {
                    self.pos += at;
                    self.resync = false;
                }
                None => {
                    // Keep a tail that may be the start of a split `Content-Length`.
                    let tail = self.buf.len().saturating_sub(CONTENT_LENGTH.len() - 1);
                    self.pos = self.pos.max(tail);
                    return None;
                }
            }
        }
        match self.header() {
            Header::Incomplete => None,
            Header::Bad(why) => {
                self.pos += 1;
                self.resync = true;
                Some(Decoded::BadHeader(why))
            }
            Header::Complete { body_start, len } if len > self.max_body => {
                self.pos = body_start;
                self.discard = len;
                Some(Decoded::TooLarge(len))
            }
            Header::Complete { body_start, len } => {
                let end = body_start + len;
                if self.buf.len() < end {
                    return None;
                }
                // `header()` skipped any blank lines, so the header starts at `pos`.
                let frame = self.pos..end;
                self.pos = end;
                Some(Decoded::Frame {
                    frame,
                    body: body_start..end,
                })
            }
        }
    }

    fn header(&mut self) -> Header {
        let mut i = self.pos;
        let mut len = None;
        loop {
            let Some(nl) = self.buf[i..].iter().position(|&b| b == b'\n') else {
                return if self.buf.len() - self.pos > MAX_HEADER_BYTES {
                    Header::Bad("header block too long")
                } else {
                    Header::Incomplete
                };
            };
            let raw = &self.buf[i..i + nl];
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            let next = i + nl + 1;
            if line.is_empty() {
                if len.is_none() && i == self.pos {
                    // A stray line break between frames.
                    self.pos = next;
                    i = next;
                    continue;
                }
                return match len {
                    Some(len) => Header::Complete {
                        body_start: next,
                        len,
                    },
                    None => Header::Bad("missing Content-Length header"),
                };
            }
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                return Header::Bad("malformed header line");
            };
            let name = &line[..colon];
            if name.is_empty() || !name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-') {
                return Header::Bad("malformed header name");
            }
            if name.eq_ignore_ascii_case(CONTENT_LENGTH) {
                let value = line[colon + 1..].trim_ascii();
                match std::str::from_utf8(value)
                    .ok()
                    .filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
                {
                    Some(v) if !v.is_empty() => match v.parse::<usize>() {
                        Ok(n) => len = Some(n),
                        Err(_) => return Header::Bad("Content-Length out of range"),
                    },
                    _ => return Header::Bad("invalid Content-Length value"),
                }
            }
            i = next;
            if i - self.pos > MAX_HEADER_BYTES {
                return Header::Bad("header block too long");
            }
        }
    }
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if haystack.len() < needle.len() {
        return None;
    }
    (0..=haystack.len() - needle.len())
        .find(|&i| haystack[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

/// The parts of a JSON-RPC message we check. Parsing ignores `params`/`result` without building
/// them; tower-lsp parses the body again for real.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default, borrow)]
    jsonrpc: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(default)]
    id: Option<Id>,
}

#[derive(Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: Option<Id>,
}

/// serde_json refuses values nested deeper than 128 levels; tower-lsp would give up on the
/// stream over such a message, so we refuse it first, with a margin.
const MAX_NESTING: usize = 100;

/// How deeply arrays and objects nest in a JSON text (strings skipped, escapes honoured).
fn nesting_depth(text: &[u8]) -> usize {
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < text.len() {
        match text[i] {
            b'"' => {
                // Skip the string: to the next unescaped quote.
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', text.get(i..).unwrap_or_default()) {
                        Some(k) if text[i + k] == b'\\' => i += k + 2,
                        Some(k) => {
                            i += k;
                            break;
                        }
                        None => return max,
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    max
}

/// What to do with a frame's body.
#[derive(Debug, PartialEq)]
pub(crate) enum Verdict {
    /// Forward it. `exit` marks the `exit` notification, after which nothing more is read.
    Forward { exit: bool },
    /// Answer with this error frame instead.
    Reject(Vec<u8>),
}

/// Checks that a body is a UTF-8 JSON object shaped like a JSON-RPC 2.0 message: what
/// tower-lsp-server needs to decode it without giving up on the stream.
pub(crate) fn validate(body: &[u8]) -> Verdict {
    let Ok(text) = std::str::from_utf8(body) else {
        return Verdict::Reject(error_frame(
            -32700,
            "Parse error: the message body is not UTF-8",
            None,
        ));
    };
    if !text.trim_start().starts_with('{') {
        let (code, message) = match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => (
                -32600,
                "Invalid request: a message must be a JSON object (batches are not supported)",
            ),
            Err(_) => (-32700, "Parse error: the message body is not valid JSON"),
        };
        return Verdict::Reject(error_frame(code, message, None));
    }
    if nesting_depth(body) > MAX_NESTING {
        return Verdict::Reject(error_frame(
            -32700,
            "Parse error: the message nests too deeply",
            None,
        ));
    }
    match serde_json::from_str::<Envelope>(text) {
        Ok(env) if env.jsonrpc.as_deref() == Some("2.0") => Verdict::Forward {
            exit: env.method.as_deref() == Some("exit") && env.id.is_none(),
        },
        Ok(env) => Verdict::Reject(error_frame(
            -32600,
            "Invalid request: `jsonrpc` must be \"2.0\"",
            env.id,
        )),
        Err(e) if e.is_data() => {
            let id = serde_json::from_str::<IdOnly>(text).ok().and_then(|v| v.id);
            let message = format!("Invalid request: {e}");
            Verdict::Reject(error_frame(-32600, &message, id))
        }
        Err(e) => Verdict::Reject(error_frame(-32700, &format!("Parse error: {e}"), None)),
    }
}

/// A complete JSON-RPC error response frame.
pub(crate) fn error_frame(code: i64, message: &str, id: Option<Id>) -> Vec<u8> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": id.unwrap_or(Id::Null),
        "error": { "code": code, "message": message },
    })
    .to_string();
    let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    frame.extend_from_slice(body.as_bytes());
    frame
}

/// Why the input ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputEnd {
    /// The `exit` notification was forwarded.
    Exit,
    /// End of input (or a read error): the client is gone.
    Eof,
    /// tower-lsp stopped reading.
    ServerGone,
}

/// Reads frames from `input`, forwards good ones to `to_lsp` and sends error frames for bad ones
/// to the output task through `errors`.
pub(crate) async fn pump_input<R, W>(
    mut input: R,
    mut to_lsp: W,
    errors: mpsc::UnboundedSender<Vec<u8>>,
) -> InputEnd
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut dec = Decoder::new(MAX_BODY_BYTES);
    let mut header = String::with_capacity(32);
    loop {
        while let Some(unit) = dec.next() {
            match unit {
                Decoded::Frame { body, .. } => match validate(dec.bytes(body.clone())) {
                    Verdict::Forward { exit } => {
                        use std::fmt::Write as _;
                        header.clear();
                        let _ = write!(header, "Content-Length: {}\r\n\r\n", body.len());
                        let sent = async {
                            to_lsp.write_all(header.as_bytes()).await?;
                            to_lsp.write_all(dec.bytes(body)).await?;
                            to_lsp.flush().await
                        };
                        if sent.await.is_err() {
                            return InputEnd::ServerGone;
                        }
                        if exit {
                            return InputEnd::Exit;
                        }
                    }
                    Verdict::Reject(frame) => {
                        let _ = errors.send(frame);
                    }
                },
                Decoded::BadHeader(why) => {
                    let _ = errors.send(error_frame(-32700, &format!("Parse error: {why}"), None));
                }
                Decoded::TooLarge(len) => {
                    let message = format!("Parse error: a message of {len} bytes is over the {MAX_BODY_BYTES}-byte limit");
                    let _ = errors.send(error_frame(-32700, &message, None));
                }
            }
        }
        match input.read_buf(dec.read_buf()).await {
            Ok(0) | Err(_) => return InputEnd::Eof,
            Ok(_) => {}
        }
    }
}

/// Frame buffers handed back by the output writer for the next frames. A `publishDiagnostics`
/// of a 10k-line file is about 90 KB, over the 64 KB above which glibc maps each block by itself
/// (see `fix_malloc_thresholds`): a fresh buffer per publish would be a `mmap`, its page faults
/// and a `munmap` on every keystroke.
#[derive(Default)]
pub(crate) struct FramePool {
    free: std::sync::Mutex<Vec<Vec<u8>>>,
}

impl FramePool {
    /// Buffers kept: one being written, one being filled, one spare.
    const KEEP: usize = 3;
    /// Buffers larger than this go back to the system (one huge document's frames are not
    /// kept for the rest of the session).
    const MAX_KEPT_BYTES: usize = 4 << 20;

    /// An empty buffer, with the capacity of an earlier frame when one is free.
    pub(crate) fn take(&self) -> Vec<u8> {
        self.free
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default()
    }

    /// Hands a written frame's buffer back.
    pub(crate) fn put(&self, mut buf: Vec<u8>) {
        if buf.capacity() > Self::MAX_KEPT_BYTES {
            return;
        }
        buf.clear();
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if free.len() < Self::KEEP {
            free.push(buf);
        }
    }

    /// Drops the kept buffers (when the server idles after a document closed).
    pub(crate) fn clear(&self) {
        self.free.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// `body` framed for the output writer, in a kept buffer when there is one.
    pub(crate) fn frame(&self, body: &str) -> Vec<u8> {
        use std::io::Write;
        let mut out = self.take();
        out.reserve(body.len() + 32);
        let _ = write!(out, "Content-Length: {}\r\n\r\n", body.len());
        out.extend_from_slice(body.as_bytes());
        out
    }
}

/// The one writer of `out`: whole frames from tower-lsp (read from `from_lsp`) and our error
/// frames, each written and flushed in one piece; the buffers of our frames go back to `pool`.
/// Returns when both sources are done.
pub(crate) async fn pump_output<R, W>(
    mut from_lsp: R,
    mut errors: mpsc::UnboundedReceiver<Vec<u8>>,
    mut out: W,
    pool: std::sync::Arc<FramePool>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut dec = Decoder::new(usize::MAX);
    let mut lsp_open = true;
    let mut errors_open = true;
    while lsp_open || errors_open {
        tokio::select! {
            read = from_lsp.read_buf(dec.read_buf()), if lsp_open => match read {
                Ok(0) | Err(_) => lsp_open = false,
                Ok(_) => {
                    while let Some(unit) = dec.next() {
                        if let Decoded::Frame { frame, .. } = unit {
                            if write_frame(&mut out, dec.bytes(frame)).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            },
            frame = errors.recv(), if errors_open => match frame {
                Some(frame) => {
                    if write_frame(&mut out, &frame).await.is_err() {
                        return;
                    }
                    pool.put(frame);
                }
                None => errors_open = false,
            },
        }
    }
    let _ = out.flush().await;
}

async fn write_frame<W: AsyncWrite + Unpin>(out: &mut W, frame: &[u8]) -> std::io::Result<()> {
    out.write_all(frame).await?;
    out.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    /// Feeds `input` in chunks of `chunk` bytes and collects what the decoder yields.
    fn decode(input: &[u8], chunk: usize) -> Vec<Result<String, String>> {
        let mut dec = Decoder::new(1000);
        let mut out = Vec::new();
        for piece in input.chunks(chunk.max(1)) {
            dec.read_buf().extend_from_slice(piece);
            while let Some(unit) = dec.next() {
                out.push(match unit {
                    Decoded::Frame { frame, body } => {
                        let f = String::from_utf8(dec.bytes(frame).to_vec()).unwrap();
                        let b = String::from_utf8(dec.bytes(body).to_vec()).unwrap();
                        assert!(
                            f.ends_with(&b) && f.to_ascii_lowercase().starts_with("content-"),
                            "{f:?}"
                        );
                        Ok(b)
                    }
                    Decoded::BadHeader(why) => Err(why.to_owned()),
                    Decoded::TooLarge(n) => Err(format!("too large {n}")),
                });
            }
        }
        out
    }

    #[test]
    fn frames_split_anywhere_decode_the_same() {
        let a = r#"{"jsonrpc":"2.0","method":"a"}"#;
        let b = r#"{"jsonrpc":"2.0","id":1,"method":"é😀"}"#;
        let stream = format!("{}\r\n{}", frame(a), frame(b));
        for chunk in [1, 2, 3, 7, 64, 4096] {
            assert_eq!(
                decode(stream.as_bytes(), chunk),
                [Ok(a.to_owned()), Ok(b.to_owned())],
                "chunk {chunk}"
            );
        }
        let with_type = format!("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: {}\r\n\r\n{a}", a.len());
        assert_eq!(decode(with_type.as_bytes(), 5), [Ok(a.to_owned())]);
        let lower = format!("content-length: {}\n\n{a}", a.len());
        assert_eq!(decode(lower.as_bytes(), 3), [Ok(a.to_owned())]);
    }

    #[test]
    fn garbage_headers_resync_to_the_next_frame() {
        let a = r#"{"jsonrpc":"2.0","method":"a"}"#;
        let cases = [
            format!("garbage without colon\r\n\r\n{}", frame(a)),
            format!("hello\r\n{}", frame(a)),
            format!("Content-Length: abc\r\n\r\n{{\"x\":1}}{}", frame(a)),
            format!("Content-Type: text/plain\r\n\r\n{}", frame(a)),
            format!(
                "Content-Length: 99999999999999999999999\r\n\r\n{}",
                frame(a)
            ),
            format!("xyz{}", frame(a)),
        ];
        for case in &cases {
            for chunk in [1, 5, 4096] {
                let got = decode(case.as_bytes(), chunk);
                let oks: Vec<_> = got.iter().filter_map(|r| r.as_ref().ok()).collect();
                assert_eq!(oks, [a], "{case:?} / {chunk}: {got:?}");
                assert!(
                    got.iter().any(|r| r.is_err()),
                    "{case:?}: the garbage is reported"
                );
                assert_eq!(
                    got.iter().filter(|r| r.is_err()).count(),
                    1,
                    "{case:?}/{chunk}: reported once: {got:?}"
                );
            }
        }
    }

    #[test]
    fn oversized_bodies_are_skipped() {
        let a = r#"{"jsonrpc":"2.0","method":"a"}"#;
        let big = "x".repeat(1500);
        let stream = format!("{}{}", frame(&big), frame(a));
        for chunk in [7, 100, 5000] {
            assert_eq!(
                decode(stream.as_bytes(), chunk),
                [Err("too large 1500".to_owned()), Ok(a.to_owned())]
            );
        }
    }

    #[test]
    fn endless_garbage_is_bounded() {
        let garbage = "x".repeat(3 * MAX_HEADER_BYTES);
        let got = decode(garbage.as_bytes(), 1000);
        assert_eq!(got, [Err("header block too long".to_owned())]);
        let mut dec = Decoder::new(10);
        dec.read_buf().extend_from_slice(garbage.as_bytes());
        while dec.next().is_some() {}
        assert!(
            dec.read_buf().len() < CONTENT_LENGTH.len(),
            "resync keeps only a short tail"
        );
    }

    fn code_and_id(v: &Verdict) -> (i64, serde_json::Value) {
        let Verdict::Reject(frame) = v else {
            panic!("expected a rejection, got {v:?}")
        };
        let text = std::str::from_utf8(frame).unwrap();
        let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
        assert_eq!(
            text[16..text.find('\r').unwrap()].parse::<usize>().unwrap(),
            body.len()
        );
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        (json["error"]["code"].as_i64().unwrap(), json["id"].clone())
    }

    #[test]
    fn bodies_are_validated() {
        let ok = |s: &str| validate(s.as_bytes());
        assert_eq!(
            ok(r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#),
            Verdict::Forward { exit: false }
        );
        assert_eq!(
            ok(r#" {"jsonrpc":"2.0","id":"x","result":[1,{"a":null}]}"#),
            Verdict::Forward { exit: false }
        );
        assert_eq!(
            ok(r#"{"method":"exit","jsonrpc":"2.0"}"#),
            Verdict::Forward { exit: true }
        );
        assert_eq!(
            ok(r#"{"jsonrpc":"2.0","method":"ex\u0069t"}"#),
            Verdict::Forward { exit: true }
        );
        assert_eq!(
            code_and_id(&ok(r#"{"jsonrpc":"2.0","method":"#)),
            (-32700, serde_json::Value::Null)
        );
        assert_eq!(code_and_id(&ok("not json")).0, -32700);
        assert_eq!(code_and_id(&validate(b"{\"a\":\"\xff\"}")).0, -32700);
        assert_eq!(
            code_and_id(&ok(r#"{"jsonrpc":"2.0","method":"a"} trailing"#)).0,
            -32700
        );
        assert_eq!(code_and_id(&ok("[1,2]")).0, -32600);
        assert_eq!(
            code_and_id(&ok(r#"{"id":3,"method":"a"}"#)),
            (-32600, serde_json::json!(3))
        );
        assert_eq!(
            code_and_id(&ok(r#"{"jsonrpc":"2.0","id":7,"method":5}"#)),
            (-32600, serde_json::json!(7))
        );
        assert_eq!(
            code_and_id(&ok(r#"{"jsonrpc":"2.0","id":1.5,"method":"a"}"#)),
            (-32600, serde_json::Value::Null)
        );
        let deep = format!(
            "{{\"jsonrpc\":\"2.0\",\"params\":{}{}}}",
            "[".repeat(500),
            "]".repeat(500)
        );
        assert_eq!(
            code_and_id(&ok(&deep)).0,
            -32700,
            "nesting beyond serde_json's limit is refused"
        );
        let tricky = format!(
            r#"{{"jsonrpc":"2.0","method":"m","params":["{}\\\"", {{"a":"]]]"}}]}}"#,
            "[".repeat(200)
        );
        assert_eq!(
            ok(&tricky),
            Verdict::Forward { exit: false },
            "brackets in strings do not count"
        );
        assert_eq!(nesting_depth(br#"{"a":[1,{"b":"\"}"}],"c":{}}"#), 3);
    }

    #[tokio::test]
    async fn output_frames_never_interleave() {
        let (mut lsp_w, lsp_r) = tokio::io::duplex(16);
        let (tx, rx) = mpsc::unbounded_channel();
        let (out_w, mut out_r) = tokio::io::duplex(1 << 20);
        let task = tokio::spawn(pump_output(lsp_r, rx, out_w, Default::default()));
        let body = format!(
            r#"{{"jsonrpc":"2.0","method":"m","params":"{}"}}"#,
            "p".repeat(300)
        );
        let writer = tokio::spawn(async move {
            for _ in 0..20 {
                lsp_w.write_all(frame(&body).as_bytes()).await.unwrap();
            }
        });
        for _ in 0..20 {
            tx.send(error_frame(-32700, "e", None)).unwrap();
            tokio::task::yield_now().await;
        }
        drop(tx);
        writer.await.unwrap();
        task.await.unwrap();
        let mut all = Vec::new();
        out_r.read_to_end(&mut all).await.unwrap();
        let got = decode(&all, 1 << 20);
        assert_eq!(got.len(), 40);
        for unit in got {
            let json: serde_json::Value =
                serde_json::from_str(&unit.unwrap()).expect("every frame is whole");
            assert_eq!(json["jsonrpc"], "2.0");
        }
    }
}
