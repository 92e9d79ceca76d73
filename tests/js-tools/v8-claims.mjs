// Checks, with V8's natives syntax, the engine facts the js/ rules and the guide rely on.
// Run by tests/js_node.rs as `node --allow-natives-syntax v8-claims.mjs`; prints one line per
// claim, `ok <claim>` or `FAIL <claim>`, and exits non-zero if any claim fails.
//
// The %-calls only parse with --allow-natives-syntax, so they live in `new Function` bodies.

const natives = (body) => new Function("a", "b", body);
const holey = natives("return %HasHoleyElements(a);");
const smi = natives("return %HasSmiElements(a);");
const dbl = natives("return %HasDoubleElements(a);");
const obj = natives("return %HasObjectElements(a);");
const fast = natives("return %HasFastProperties(a);");
const sameMap = natives("return %HaveSameMap(a, b);");

let failed = 0;
function claim(text, ok) {
  console.log(`${ok ? "ok" : "FAIL"} ${text}`);
  if (!ok) failed++;
}

// js/array-holes
const n = 3;
claim("new Array(n) is HOLEY", holey(new Array(n)));
claim("new Array(n).fill(v) stays HOLEY", holey(new Array(n).fill(0)));
claim("Array.from({ length: n }, () => 0) is PACKED_SMI", !holey(Array.from({ length: n }, () => 0)) && smi(Array.from({ length: n }, () => 0)));
claim("[1, , 3] is HOLEY", holey([1, , 3]));
claim("pushing onto [] stays PACKED", (() => { const a = []; for (let i = 0; i < n; i++) a.push(i); return !holey(a) && smi(a); })());
claim("new Array(1, 2) equals the literal's PACKED_SMI", !holey(new Array(1, 2)) && smi(new Array(1, 2)));

// js/mixed-element-kinds
claim("[1, 2] is SMI", smi([1, 2]));
claim("[1, 2.5] is DOUBLE", dbl([1, 2.5]));
claim("[0, 1, -0] is DOUBLE", dbl([0, 1, -0]));
claim("[0, NaN] is DOUBLE", dbl([0, NaN]));
claim("[1, 'a'] is ELEMENTS", obj([1, "a"]));
claim("pushing 2.5 onto [1, 2, 3] makes it DOUBLE", (() => { const a = [1, 2, 3]; a.push(2.5); return dbl(a); })());
claim("an elements kind never narrows back", (() => { const a = [1, 2, 3]; a.push(2.5); a.pop(); return dbl(a); })());

// js/delete-property
claim("delete of a non-last property drops to dictionary mode", (() => { const o = { a: 1, b: 2, c: 3 }; delete o.a; return !fast(o); })());
claim("assigning undefined keeps fast properties", (() => { const o = { a: 1, b: 2, c: 3 }; o.a = undefined; return fast(o); })());

// js/property-order and js/late-property
claim("same keys in another order: different hidden classes", !sameMap({ x: 1, y: 2 }, { y: 2, x: 1 }));
claim("same keys in the same order: one hidden class", sameMap({ x: 1, y: 2 }, { x: 3, y: 4 }));
claim("a late property gives another hidden class than the literal", (() => { const a = { x: 1 }; a.y = 2; return !sameMap(a, { x: 1, y: 2 }); })());

// js/arguments-object
claim("a rest parameter is a PACKED array", (function (...args) { return Array.isArray(args) && !holey(args); })(1, 2, 3));

process.exit(failed ? 1 : 0);
