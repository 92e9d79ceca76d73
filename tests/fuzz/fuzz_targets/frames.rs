//! Arbitrary bytes into the server's framing layer, split into arbitrary chunk sizes: the
//! decoder and the JSON-RPC validator must never panic, and a stream split differently must
//! decode to the same frames.
#![no_main]

use heap_audit::lsp::fuzzing::frames;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, rest)) = data.split_first() else { return };
    let whole = frames(rest, rest.len().max(1));
    let split = frames(rest, chunk as usize % 17 + 1);
    assert_eq!(whole.0, split.0, "frame count depends on how the input was split");
});
