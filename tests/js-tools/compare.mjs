// Runs the exported functions of two versions of a module (before and after heap-audit's safe
// fixes) and prints, as JSON, what each returned or threw. Used by tests/js_node.rs.
//
//   node compare.mjs <before.mjs> <after.mjs>
//
// Exported functions that take no declared parameters are called with no arguments (async
// results are awaited); other exports are compared as values. The serialization keeps what
// JSON.stringify loses: key order, undefined, NaN, -0, holes, class names, Map/Set contents.

import { pathToFileURL } from "node:url";

globalThis.h = (tag, props, ...children) => ({ tag, props, children });

function ser(v, seen = new Map(), path = "$") {
  if (v === undefined) return { undefined: true };
  if (typeof v === "number") {
    if (Number.isNaN(v)) return { number: "NaN" };
    if (Object.is(v, -0)) return { number: "-0" };
    if (!Number.isFinite(v)) return { number: String(v) };
    return v;
  }
  if (typeof v === "bigint") return { bigint: String(v) };
  if (typeof v === "symbol") return { symbol: String(v) };
  if (typeof v === "function") return { function: v.name, length: v.length };
  if (v === null || typeof v !== "object") return v;
  if (seen.has(v)) return { ref: seen.get(v) };
  seen.set(v, path);
  if (Array.isArray(v)) {
    const items = [];
    for (let i = 0; i < v.length; i++) items.push(i in v ? ser(v[i], seen, `${path}[${i}]`) : { hole: true });
    const extra = Object.keys(v).filter((k) => !/^\d+$/.test(k));
    return extra.length ? { array: items, props: extra } : items;
  }
  if (v instanceof Map) return { map: [...v].map(([k, x], i) => [ser(k, seen, `${path}<k${i}>`), ser(x, seen, `${path}<v${i}>`)]) };
  if (v instanceof Set) return { set: [...v].map((x, i) => ser(x, seen, `${path}<${i}>`)) };
  const proto = Object.getPrototypeOf(v);
  const cls = proto === null ? "null" : proto.constructor?.name ?? "?";
  const own = Reflect.ownKeys(v).map((k) => [String(k), ser(v[k], seen, `${path}.${String(k)}`)]);
  return { class: cls, own };
}

async function run(mod) {
  const out = {};
  for (const name of Object.keys(mod).sort()) {
    const f = mod[name];
    const isClass = typeof f === "function" && /^class\b/.test(Function.prototype.toString.call(f));
    if (typeof f === "function" && f.length === 0 && !isClass) {
      try {
        let r = f();
        if (r && typeof r.then === "function") r = await r;
        out[name] = { returned: ser(r) };
      } catch (e) {
        out[name] = { threw: `${e?.name}: ${e?.message}` };
      }
    } else if (typeof f !== "function") {
      out[name] = { value: ser(f) };
    }
  }
  return out;
}

const [before, after] = process.argv.slice(2);
const a = await run(await import(pathToFileURL(before).href));
const b = await run(await import(pathToFileURL(after).href));
console.log(JSON.stringify({ before: a, after: b }));
