// Compares heap-audit's js/delete-property and js/array-holes with Biome's noDelete,
// useArrayLiterals and noSparseArray on the same files. Used by biome.sh.
//
//   node biome-compare.mjs <corpus/sel> <findings.tsv> <biome.json output>
//
// Prints, per pair of rules, how many Biome findings heap-audit also reports (recall on the
// overlap) and every finding only one of the two tools reports, with its source line.

import { readFileSync } from "node:fs";
import { join } from "node:path";

const [selDir, tsvPath, biomePath] = process.argv.slice(2);

const lineOf = (() => {
  const cache = new Map();
  return (file, line) => {
    if (!cache.has(file)) cache.set(file, readFileSync(join(selDir, file), "utf8").split("\n"));
    return (cache.get(file)[line - 1] ?? "").trim().slice(0, 110);
  };
})();

// heap-audit findings: rule, file, line, col, severity, depth, fix, source, message
const ours = readFileSync(tsvPath, "utf8")
  .split("\n")
  .slice(1)
  .filter(Boolean)
  .map((l) => l.split("\t"))
  .map(([rule, file, line, col, , , , , message]) => ({ rule, file, line: +line, col: +col, message }));

const biome = JSON.parse(readFileSync(biomePath, "utf8")).diagnostics.map((d) => ({
  rule: d.category.split("/").pop(),
  file: d.location.path,
  line: d.location.start.line,
  col: d.location.start.column,
}));

// Which of our array-holes findings belong to which Biome rule.
const holeKind = (f) =>
  f.message.startsWith("this array literal has holes")
    ? "noSparseArray"
    : f.message.startsWith("the Array constructor")
      ? "useArrayLiterals"
      : "holes"; // `new Array(n)`: outside Biome's rules, which allow a single numeric length

const pairs = [
  ["noDelete", (f) => f.rule === "js/delete-property"],
  ["useArrayLiterals", (f) => f.rule === "js/array-holes" && holeKind(f) === "useArrayLiterals"],
  ["noSparseArray", (f) => f.rule === "js/array-holes" && holeKind(f) === "noSparseArray"],
];

const key = (f) => `${f.file}:${f.line}`;
for (const [biomeRule, isOurs] of pairs) {
  const theirs = biome.filter((d) => d.rule === biomeRule);
  const mine = ours.filter(isOurs);
  const used = new Set();
  const onlyBiome = [];
  for (const d of theirs) {
    // Same file and line; the closest column wins when a line has several.
    const candidates = mine.filter((m, i) => !used.has(i) && key(m) === key(d));
    if (candidates.length) {
      candidates.sort((a, b) => Math.abs(a.col - d.col) - Math.abs(b.col - d.col));
      used.add(mine.indexOf(candidates[0]));
    } else {
      onlyBiome.push(d);
    }
  }
  const onlyOurs = mine.filter((_, i) => !used.has(i));
  const matched = theirs.length - onlyBiome.length;
  const recall = theirs.length ? ((100 * matched) / theirs.length).toFixed(0) : "n/a";
  console.log(`\n## ${biomeRule}: Biome ${theirs.length}, heap-audit ${mine.length}, both ${matched}, recall ${recall}%`);
  for (const d of onlyBiome) console.log(`only Biome\t${d.file}:${d.line}\t${lineOf(d.file, d.line)}`);
  for (const m of onlyOurs) console.log(`only heap-audit\t${m.file}:${m.line}\t${lineOf(m.file, m.line)}`);
}
const holes = ours.filter((f) => f.rule === "js/array-holes" && holeKind(f) === "holes").length;
console.log(`\njs/array-holes findings on \`new Array(n)\` / \`Array(n)\` (no Biome counterpart): ${holes}`);
