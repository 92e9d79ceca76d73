// Profiled by tests/profile_real.rs with `node --heap-prof`. --heap-prof reports what is still
// live at exit, so the data stays reachable to the end; so do the functions, because V8 drops
// the location of functions whose script was garbage-collected before the profile is written.
"use strict";

const keep = [];

function makeRows(n) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    const row = { id: i, name: "row-" + i, tags: [i, i + 1], scratch: i };
    delete row.scratch;
    rows.push(row);
  }
  return rows;
}

function smallStrings(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push("s" + i);
  }
  return out;
}

keep.push(makeRows(200000));
keep.push(smallStrings(2000));
globalThis.heapAuditDemo = { keep, makeRows, smallStrings };
