//! Languages heap-audit understands: ids, file extensions, LSP language ids and grammars.
//!
//! Knows nothing of rules or LSP; the server and the CLI map their inputs through here.

use std::path::Path;
use std::sync::OnceLock;

use tree_sitter::Language;

/// One grammar heap-audit can parse. JSX is parsed with the JavaScript grammar (it includes JSX);
/// TSX has its own grammar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    Tsx,
}

/// The rule family a language belongs to: `js/` rules cover JavaScript and TypeScript alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    Rust,
    Js,
    Python,
}

impl Family {
    pub const ALL: [Family; 3] = [Family::Rust, Family::Js, Family::Python];

    /// The prefix of this family's rule ids (`rust/…`, `js/…`, `py/…`).
    pub const fn prefix(self) -> &'static str {
        match self {
            Family::Rust => "rust",
            Family::Js => "js",
            Family::Python => "py",
        }
    }

    pub const fn display_name(self) -> &'static str {
        match self {
            Family::Rust => "Rust",
            Family::Js => "JavaScript/TypeScript",
            Family::Python => "Python",
        }
    }
}

impl Lang {
    pub const ALL: [Lang; 5] = [
        Lang::Rust,
        Lang::Python,
        Lang::JavaScript,
        Lang::TypeScript,
        Lang::Tsx,
    ];

    pub const fn family(self) -> Family {
        match self {
            Lang::Rust => Family::Rust,
            Lang::Python => Family::Python,
            Lang::JavaScript | Lang::TypeScript | Lang::Tsx => Family::Js,
        }
    }

    pub const fn index(self) -> usize {
        self as usize
    }

    pub const fn name(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::JavaScript => "javascript",
            Lang::TypeScript => "typescript",
            Lang::Tsx => "tsx",
        }
    }

    /// The LSP `languageId`s the server accepts, with the language each maps to.
    pub const LANGUAGE_IDS: [(&'static str, Lang); 8] = [
        ("rust", Lang::Rust),
        ("python", Lang::Python),
        ("javascript", Lang::JavaScript),
        ("javascriptreact", Lang::JavaScript),
        ("jsx", Lang::JavaScript),
        ("typescript", Lang::TypeScript),
        ("typescriptreact", Lang::Tsx),
        ("tsx", Lang::Tsx),
    ];

    /// File extensions (without the dot) and the language each maps to.
    pub const EXTENSIONS: [(&'static str, Lang); 11] = [
        ("rs", Lang::Rust),
        ("py", Lang::Python),
        ("pyi", Lang::Python),
        ("js", Lang::JavaScript),
        ("mjs", Lang::JavaScript),
        ("cjs", Lang::JavaScript),
        ("jsx", Lang::JavaScript),
        ("ts", Lang::TypeScript),
        ("mts", Lang::TypeScript),
        ("cts", Lang::TypeScript),
        ("tsx", Lang::Tsx),
    ];

    /// Maps an LSP `languageId` to a language.
    pub fn from_language_id(id: &str) -> Option<Lang> {
        Self::LANGUAGE_IDS
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, l)| *l)
    }

    /// Maps a file extension (no dot, any case) to a language.
    pub fn from_extension(ext: &str) -> Option<Lang> {
        Self::EXTENSIONS
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(ext))
            .map(|(_, l)| *l)
    }

    /// Maps a path to a language by its extension.
    pub fn from_path(path: &Path) -> Option<Lang> {
        Self::from_extension(path.extension()?.to_str()?)
    }

    /// The tree-sitter grammar, built once per process.
    pub fn grammar(self) -> &'static Language {
        static GRAMMARS: [OnceLock<Language>; 5] = [const { OnceLock::new() }; 5];
        GRAMMARS[self.index()].get_or_init(|| match self {
            Lang::Rust => tree_sitter_rust::LANGUAGE.into(),
            Lang::Python => tree_sitter_python::LANGUAGE.into(),
            Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_extension_and_language_id_maps() {
        assert_eq!(Lang::from_path(Path::new("a/b.PY")), Some(Lang::Python));
        assert_eq!(Lang::from_path(Path::new("x.pyi")), Some(Lang::Python));
        assert_eq!(Lang::from_path(Path::new("x.mts")), Some(Lang::TypeScript));
        assert_eq!(Lang::from_path(Path::new("x.jsx")), Some(Lang::JavaScript));
        assert_eq!(Lang::from_path(Path::new("x.go")), None);
        assert_eq!(Lang::from_path(Path::new("Makefile")), None);
        assert_eq!(Lang::from_language_id("typescriptreact"), Some(Lang::Tsx));
        assert_eq!(
            Lang::from_language_id("javascriptreact"),
            Some(Lang::JavaScript)
        );
        assert_eq!(Lang::from_language_id("cobol"), None);
        for lang in Lang::ALL {
            assert!(lang.grammar().node_kind_count() > 10, "{lang:?}");
        }
    }
}
