//! JavaScript/TypeScript rules (one set for .js .mjs .cjs .jsx .ts .mts .cts .tsx). One file
//! per rule; add each to `RULES`. `syntax` holds the helpers they share (kind names differ
//! between the JavaScript and TypeScript grammars).

use crate::rules::Rule;

pub mod arguments_object;
pub mod array_holes;
pub mod chained_array_methods;
pub mod closure_in_loop;
pub mod delete_property;
pub mod large_object_literal;
pub mod late_property;
pub mod mixed_element_kinds;
pub mod property_order;
pub mod string_concat_in_loop;
pub(crate) mod syntax;

/// In the order of the rule catalog.
pub static RULES: &[&Rule] = &[
    &array_holes::ARRAY_HOLES,
    &late_property::LATE_PROPERTY,
    &property_order::PROPERTY_ORDER,
    &delete_property::DELETE_PROPERTY,
    &arguments_object::ARGUMENTS_OBJECT,
    &large_object_literal::LARGE_OBJECT_LITERAL,
    &closure_in_loop::CLOSURE_IN_LOOP,
    &chained_array_methods::CHAINED_ARRAY_METHODS,
    &string_concat_in_loop::STRING_CONCAT_IN_LOOP,
    &mixed_element_kinds::MIXED_ELEMENT_KINDS,
];

#[cfg(test)]
mod tests {
    use crate::rules::test_support::check;

    /// Type-only TypeScript (interfaces, type aliases, `declare` blocks, declaration-file
    /// content, annotations) never runs, so it never allocates: no js/ rule may fire on it.
    #[test]
    fn type_only_code_never_fires() {
        let src = r#"
interface Point { x: number; y: number; tags: [1, 2.5, "a"]; holes: Array<number> }
interface Mixed { a: [string, number]; b: { y: 1; x: 2 }; c: { x: 1; y: 2 } }
type Row = [1, 2.5, -0, "x"];
type Fn = (this: Window, ...rest: any[]) => void;
type Obj = { x: number; y: number } | { y: number; x: number };
type Tpl = `a${string}b`;
declare const big: { a: 1; b: "x" };
declare function arguments_(...args: any[]): void;
declare class Shape { constructor(); area(): number; x: number; }
declare namespace NS { const table: readonly [1, 2.5]; function f(a: number): number[]; }
declare module "lib" { export function map<T>(xs: T[]): T[]; export const holes: number[]; }
declare global { interface Window { cache: { y: number; x: number } } }
export declare const data: { readonly rows: readonly [0, 0.5, "x"][] };
export type Deep = { a: { b: { c: string } } };
export interface Api { get(): Promise<{ b: 1; a: 2 }>; put(v: { a: 2; b: 1 }): void }
export declare function overload(a: number): void;
export declare function overload(a: string): void;
export default interface Cfg { y?: number; x?: number }
"#;
        for name in ["x.ts", "x.d.ts", "x.mts", "x.tsx"] {
            let out = check(name, src);
            assert!(out.ids().is_empty(), "{name}: {:?}", out.findings);
        }
    }
}

#[cfg(test)]
mod loop_depth_tests {
    use crate::rules::test_support::check;

    /// The depth the engine gives the `new Array()` in each snippet (read from the finding).
    fn depth(src: &str) -> u32 {
        let out = check("x.js", src);
        let f = out
            .findings
            .iter()
            .find(|f| f.rule_id() == "js/array-holes")
            .unwrap_or_else(|| panic!("no finding in {src}"));
        f.loop_depth
    }

    /// Issue 4: loop depth counts for/for…of/for…in/while/do and callbacks passed to
    /// forEach/map/filter/reduce/some/every/flatMap; it restarts in a named function.
    #[test]
    fn loops_and_iteration_callbacks_count() {
        for src in [
            "for (let i = 0; i < n; i++) { new Array(); }",
            "for (const x of xs) { new Array(); }",
            "async function f() { for await (const x of xs) { new Array(); } }",
            "for (const k in o) { new Array(); }",
            "while (c) { new Array(); }",
            "do { new Array(); } while (c);",
            "while (new Array().length) {}",
            "xs.forEach((x) => new Array());",
            "xs.map(function (x) { return new Array(); });",
            "xs.filter((x) => new Array());",
            "xs.reduce((a, x) => new Array(), 0);",
            "xs.some((x) => new Array());",
            "xs.every((x) => new Array());",
            "xs.flatMap((x) => new Array());",
        ] {
            assert_eq!(depth(src), 1, "{src}");
        }
        assert_eq!(
            depth("for (;;) { xs.forEach((x) => { new Array(); }); }"),
            2
        );
        assert_eq!(
            depth("for (let i = new Array(); i; ) {}"),
            0,
            "the initializer runs once"
        );
        assert_eq!(depth("for (;;) { function f() { new Array(); } }"), 0);
        assert_eq!(depth("const cb = (x) => new Array(); xs.forEach(cb);"), 0);
    }
}

#[cfg(test)]
mod extension_tests {
    use crate::rules::test_support::check;

    /// Every JS/TS extension is analysed by the pack.
    #[test]
    fn every_extension_is_covered() {
        let src = "export function f(o) {\n  delete o.a;\n  return new Array(1, 2);\n}\n";
        for name in [
            "x.js", "x.mjs", "x.cjs", "x.jsx", "x.ts", "x.mts", "x.cts", "x.tsx",
        ] {
            assert_eq!(
                check(name, src).ids(),
                ["js/delete-property", "js/array-holes"],
                "{name}"
            );
        }
    }
}
