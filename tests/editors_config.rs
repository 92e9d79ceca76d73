//! The shipped editor integrations (`editors/**`) against what the server accepts: VS Code's
//! `package.json`, Helix's `languages.toml`, Zed's `extension.toml`, and the copy-paste snippets
//! in `README.md`. The Neovim config is exercised for real by `editors_nvim.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use heap_audit::config::Config;
use heap_audit::engine::Level;
use heap_audit::language::{Family, Lang};
use serde_json::{json, Map, Value};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("server/ has a parent")
        .to_path_buf()
}

fn read(rel: &str) -> String {
    fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn json_file(rel: &str) -> Value {
    serde_json::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn toml_file(rel: &str) -> Value {
    let table: toml::Table = toml::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    serde_json::to_value(table).unwrap()
}

/// Sets `path` (dotted) in `obj` to `value`, creating the objects on the way.
fn insert_dotted(obj: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        Some((head, rest)) => {
            let child = obj.entry(head).or_insert_with(|| json!({}));
            insert_dotted(
                child.as_object_mut().expect("an object on the way"),
                rest,
                value,
            );
        }
        None => {
            obj.insert(path.to_owned(), value);
        }
    }
}

fn from_json(value: &Value) -> Config {
    Config::from_json(value).unwrap_or_else(|e| panic!("the server rejects {value}: {e}"))
}

/// The fenced block after `<!-- editors-readme: NAME -->` in README.md.
fn readme_block(name: &str) -> String {
    block_in("README.md", name)
}

/// The fenced block after `<!-- editors-readme: NAME -->` in the markdown file `rel`.
fn block_in(rel: &str, name: &str) -> String {
    let readme = read(rel);
    let marker = format!("<!-- editors-readme: {name} -->");
    let after = &readme[readme
        .find(&marker)
        .unwrap_or_else(|| panic!("no {marker} in README"))..];
    let body = &after[after.find("```").expect("a fenced block after the marker")..];
    let body = &body[body.find('\n').expect("fence line ends") + 1..];
    body[..body.find("```").expect("the fence closes")].to_owned()
}

/// LSP language ids the server accepts that VS Code does not use (it says javascriptreact and
/// typescriptreact); Helix and Zed send them.
const NOT_VSCODE_IDS: [&str; 2] = ["jsx", "tsx"];
/// `heap-audit.*` settings only the extension reads (see EXTENSION_ONLY_SETTINGS in extension.ts).
const VSCODE_EXTENSION_ONLY: [&str; 2] = ["path", "trace.server"];

fn vscode_manifest() -> Value {
    json_file("editors/vscode/package.json")
}

fn vscode_properties() -> Map<String, Value> {
    vscode_manifest()["contributes"]["configuration"]["properties"]
        .as_object()
        .expect("contributes.configuration.properties")
        .clone()
}

/// The VS Code settings the server receives (the keys without `heap-audit.`).
fn vscode_server_keys() -> Vec<String> {
    vscode_properties()
        .keys()
        .map(|k| {
            k.strip_prefix("heap-audit.")
                .unwrap_or_else(|| panic!("{k} is outside heap-audit."))
                .to_owned()
        })
        .filter(|k| !VSCODE_EXTENSION_ONLY.contains(&k.as_str()))
        .collect()
}

/// A value for the setting that differs from "not set", from its schema.
fn sample_value(key: &str, schema: &Value) -> Value {
    if let Some(example) = schema["examples"].get(0) {
        return example.clone();
    }
    match schema["type"].as_str() {
        Some("boolean") => Value::Bool(!schema["default"].as_bool().unwrap_or(false)),
        Some("object") => {
            let keys = schema["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{key}: no properties"));
            Value::Object(keys.keys().map(|k| (k.clone(), json!("error"))).collect())
        }
        _ => panic!("heap-audit.{key}: give it `examples` so the test can set it"),
    }
}

#[test]
fn vscode_settings_are_accepted_by_the_server() {
    let properties = vscode_properties();
    for key in VSCODE_EXTENSION_ONLY {
        assert!(
            properties.contains_key(&format!("heap-audit.{key}")),
            "heap-audit.{key} is missing"
        );
    }
    let extension = read("editors/vscode/src/extension.ts");
    assert!(
        extension.contains(r#"const EXTENSION_ONLY_SETTINGS = ["path", "trace.server"];"#),
        "extension.ts must keep exactly these settings from the server: {VSCODE_EXTENSION_ONLY:?}"
    );
    for key in ["rules", "exclude", "unsafeFixes"] {
        assert!(
            properties.contains_key(&format!("heap-audit.{key}")),
            "heap-audit.{key} is missing"
        );
    }

    // All defaults together, as the extension sends them (null = left out), bare and wrapped.
    let mut defaults = Map::new();
    for key in vscode_server_keys() {
        let default = &properties[&format!("heap-audit.{key}")]["default"];
        if !default.is_null() {
            insert_dotted(&mut defaults, &key, default.clone());
        }
    }
    from_json(&Value::Object(defaults.clone()));
    from_json(&json!({ "heap-audit": defaults }));

    // Each setting on its own changes the server's configuration: no key is silently ignored.
    for key in vscode_server_keys() {
        let schema = &properties[&format!("heap-audit.{key}")];
        let mut one = Map::new();
        insert_dotted(&mut one, &key, sample_value(&key, schema));
        let one = Value::Object(one);
        assert_ne!(
            from_json(&one),
            Config::default(),
            "the server ignores heap-audit.{key} (sent as {one})"
        );
    }
}

#[test]
fn vscode_rule_severities_are_the_servers_levels() {
    let rules = &vscode_properties()["heap-audit.rules"];
    let expected: Vec<&str> = vec!["off", "hint", "info", "warning", "error"];
    let mut enums = vec![(
        "additionalProperties".to_owned(),
        &rules["additionalProperties"]["enum"],
    )];
    let selectors = rules["properties"].as_object().expect("rules.properties");
    for (selector, schema) in selectors {
        enums.push((selector.clone(), &schema["enum"]));
        // Each listed selector is one the server accepts.
        from_json(&json!({ "rules": { selector: "off" } }));
    }
    for (at, values) in enums {
        let values: Vec<&str> = values
            .as_array()
            .unwrap_or_else(|| panic!("{at}: no enum"))
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(values, expected, "{at}");
        let levels: Vec<Level> = values
            .iter()
            .map(|v| Level::parse(v).unwrap_or_else(|| panic!("{v} is not a level")))
            .collect();
        for (i, a) in levels.iter().enumerate() {
            assert!(
                levels[i + 1..].iter().all(|b| b != a),
                "{at}: two values mean {a:?}"
            );
        }
    }
    let mut wanted: BTreeSet<String> = Family::ALL
        .iter()
        .map(|f| format!("{}/*", f.prefix()))
        .collect();
    wanted.insert("*".to_owned());
    let listed: BTreeSet<String> = selectors.keys().cloned().collect();
    assert_eq!(
        listed, wanted,
        "rules.properties lists every language selector and `*`"
    );
    assert!(Config::from_json(&json!({ "rules": { "rust/format-literal": "loud" } })).is_err());
}

#[test]
fn vscode_activates_on_every_language_the_server_supports() {
    let manifest = vscode_manifest();
    let activation: BTreeSet<String> = manifest["activationEvents"]
        .as_array()
        .expect("activationEvents")
        .iter()
        .filter_map(|e| e.as_str()?.strip_prefix("onLanguage:").map(str::to_owned))
        .collect();
    let vscode_ids: BTreeSet<String> = Lang::LANGUAGE_IDS
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !NOT_VSCODE_IDS.contains(id))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        activation, vscode_ids,
        "onLanguage activation events vs Lang::LANGUAGE_IDS"
    );
    let covered: BTreeSet<Lang> = activation
        .iter()
        .filter_map(|id| Lang::from_language_id(id))
        .collect();
    assert_eq!(
        covered,
        Lang::ALL.into_iter().collect(),
        "every grammar is reachable from VS Code"
    );
    // The document selector is built from these events.
    assert!(read("editors/vscode/src/extension.ts").contains("packageJSON.activationEvents"));
}

#[test]
fn vscode_manifest_commands_trace_and_pins() {
    let manifest = vscode_manifest();
    let extension = read("editors/vscode/src/extension.ts");
    let commands: Vec<&str> = manifest["contributes"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    assert_eq!(
        commands,
        [
            "heap-audit.restartServer",
            "heap-audit.fixAll",
            "heap-audit.showOutput"
        ]
    );
    for command in commands {
        let suffix = command.strip_prefix("heap-audit").unwrap();
        assert!(
            extension.contains(&format!("`${{SECTION}}{suffix}`")),
            "extension.ts does not register {command}"
        );
    }
    assert!(extension.contains(r#"const SECTION = "heap-audit";"#));
    assert!(
        extension.contains("SourceFixAll.append(SECTION)"),
        "fix-all runs source.fixAll.heap-audit"
    );
    // vscode-languageclient reads `<client id>.trace.server`.
    assert!(extension.contains("new LanguageClient(SECTION,"));
    let trace = &vscode_properties()["heap-audit.trace.server"];
    assert_eq!(trace["enum"], json!(["off", "messages", "verbose"]));

    // Exact pins; vsce 3 (vsce 4 needs node 22); @types/vscode no newer than the engine.
    let mut pins = BTreeMap::new();
    for section in ["dependencies", "devDependencies"] {
        for (name, version) in manifest[section].as_object().unwrap() {
            let version = version.as_str().unwrap();
            assert!(
                version.chars().next().is_some_and(|c| c.is_ascii_digit()),
                "{name}@{version} is not pinned"
            );
            pins.insert(name.clone(), version.to_owned());
        }
    }
    assert!(pins["@vscode/vsce"].starts_with("3."), "vsce 3.x");
    let engine = manifest["engines"]["vscode"]
        .as_str()
        .unwrap()
        .trim_start_matches('^');
    assert_eq!(
        pins["@types/vscode"], engine,
        "@types/vscode matches engines.vscode"
    );
    let lock = json_file("editors/vscode/package-lock.json");
    for (name, version) in &pins {
        assert_eq!(
            lock["packages"][format!("node_modules/{name}")]["version"],
            json!(version),
            "lockfile has {name}"
        );
    }
    let scripts = &manifest["scripts"];
    for script in ["typecheck", "test", "bundle", "package"] {
        assert!(scripts[script].is_string(), "npm script {script}");
    }
    let build = read("editors/vscode/build.sh");
    for step in [
        "npm ci",
        "npm run typecheck",
        "npm test",
        "npm run bundle",
        "npm run package",
    ] {
        assert!(build.contains(step), "build.sh runs {step}");
    }
}

/// Helix language name → the languageId Helix sends (its default `language-id`s).
const HELIX_LANGUAGES: [(&str, &str); 6] = [
    ("rust", "rust"),
    ("python", "python"),
    ("javascript", "javascript"),
    ("jsx", "javascriptreact"),
    ("typescript", "typescript"),
    ("tsx", "typescriptreact"),
];

#[test]
fn helix_languages_point_to_heap_audit_beside_the_usual_servers() {
    let helix = toml_file("editors/helix/languages.toml");
    let server = &helix["language-server"]["heap-audit"];
    assert_eq!(server["command"], json!("heap-audit"));
    assert_eq!(server["args"], json!(["server"]));
    // `config` is the initializationOptions and, through its "heap-audit" key, the section the
    // server pulls with workspace/configuration.
    let config = &server["config"];
    from_json(config);
    assert!(
        config["heap-audit"].is_object(),
        "config has the heap-audit section"
    );

    let entries = helix["language"].as_array().expect("[[language]] entries");
    let names: Vec<&str> = entries
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, HELIX_LANGUAGES.map(|(n, _)| n));
    let mut covered = BTreeSet::new();
    for (entry, (name, language_id)) in entries.iter().zip(HELIX_LANGUAGES) {
        covered.insert(
            Lang::from_language_id(language_id)
                .unwrap_or_else(|| panic!("server does not accept {language_id}")),
        );
        let keys: Vec<&String> = entry.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["language-servers", "name"],
            "{name}: only the server list is overridden"
        );
        let servers: Vec<&str> = entry["language-servers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(servers.last(), Some(&"heap-audit"), "{name}: {servers:?}");
        let usual: &[&str] = match name {
            "rust" => &["rust-analyzer"],
            "python" => &["ty", "ruff", "jedi", "pylsp"],
            _ => &["typescript-language-server"],
        };
        assert_eq!(
            &servers[..servers.len() - 1],
            usual,
            "{name}: Helix's default servers are kept"
        );
    }
    assert_eq!(
        covered,
        Lang::ALL.into_iter().collect(),
        "every grammar is reachable from Helix"
    );
}

#[test]
fn zed_extension_covers_every_language() {
    let manifest = toml_file("editors/zed/extension.toml");
    assert_eq!(manifest["schema_version"], json!(1));
    let server = &manifest["language_servers"]["heap-audit"];
    assert_eq!(
        server["languages"],
        json!(["Rust", "Python", "JavaScript", "TypeScript", "TSX"])
    );
    let ids = server["language_ids"].as_object().expect("language_ids");
    let mut covered = BTreeSet::new();
    for language in server["languages"].as_array().unwrap() {
        let id = ids[language.as_str().unwrap()]
            .as_str()
            .unwrap_or_else(|| panic!("no language id for {language}"));
        covered.insert(
            Lang::from_language_id(id).unwrap_or_else(|| panic!("server does not accept {id}")),
        );
    }
    assert_eq!(
        covered,
        Lang::ALL.into_iter().collect(),
        "every grammar is reachable from Zed"
    );
    assert!(server["code_action_kinds"]
        .as_array()
        .unwrap()
        .contains(&json!("source.fixAll.heap-audit")));

    let cargo = toml_file("editors/zed/Cargo.toml");
    assert_eq!(
        cargo["workspace"],
        json!({}),
        "an empty [workspace] keeps it out of the root workspace"
    );
    assert_eq!(cargo["lib"]["crate-type"], json!(["cdylib"]));
    assert!(cargo["dependencies"]["zed_extension_api"]
        .as_str()
        .unwrap()
        .starts_with("0.7"));
    let root = toml_file("Cargo.toml");
    assert!(!root["workspace"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m.as_str().unwrap().contains("editors")));
    let lib = read("editors/zed/src/lib.rs");
    assert!(
        lib.contains(r#"const BINARY: &str = "heap-audit";"#)
            && lib.contains(r#"vec!["server".to_owned()]"#)
    );
    assert!(lib.contains(r#"const SECTION: &str = "heap-audit";"#));
}

#[test]
fn readme_ships_the_files_verbatim() {
    assert_eq!(
        readme_block("helix"),
        read("editors/helix/languages.toml"),
        "README Helix block"
    );
    assert_eq!(
        readme_block("nvim-config"),
        read("editors/neovim/lsp/heap_audit.lua"),
        "README Neovim file"
    );
    let enable = readme_block("nvim-enable");
    assert!(enable.contains("vim.lsp.enable('heap_audit')"), "{enable}");
    // nvim-lspconfig: the same command, filetypes and root markers as the shipped file (run for
    // real in editors_nvim.rs).
    let lua = read("editors/neovim/lsp/heap_audit.lua");
    let lspconfig = readme_block("nvim-lspconfig");
    for key in ["cmd = ", "filetypes = "] {
        let shipped = lua
            .lines()
            .find(|l| l.trim_start().starts_with(key))
            .unwrap()
            .trim();
        assert!(
            lspconfig.lines().any(|l| l.trim() == shipped),
            "nvim-lspconfig snippet lacks `{shipped}`"
        );
    }
}

#[test]
fn neovim_readme_has_the_same_snippets() {
    for name in ["nvim-enable", "nvim-lspconfig"] {
        assert_eq!(
            block_in("editors/neovim/README.md", name),
            readme_block(name),
            "{name}"
        );
    }
}

#[test]
fn readme_settings_snippets_are_accepted() {
    // VS Code settings.json: every heap-audit.* key exists, and the server takes the values.
    let vscode: Map<String, Value> =
        serde_json::from_str(&readme_block("vscode-settings")).expect("VS Code JSON");
    let properties = vscode_properties();
    let mut settings = Map::new();
    for (key, value) in &vscode {
        if let Some(short) = key.strip_prefix("heap-audit.") {
            assert!(
                properties.contains_key(key),
                "README uses unknown setting {key}"
            );
            insert_dotted(&mut settings, short, value.clone());
        }
    }
    assert!(!settings.is_empty());
    assert_ne!(from_json(&Value::Object(settings)), Config::default());
    assert_eq!(
        vscode["editor.codeActionsOnSave"],
        json!({ "source.fixAll.heap-audit": "explicit" })
    );

    // Zed settings.json: `lsp.heap-audit.settings` is what the extension passes on.
    let zed: Value = serde_json::from_str(&readme_block("zed-settings")).expect("Zed JSON");
    let lsp = zed["lsp"].as_object().unwrap();
    let name =
        toml_file("editors/zed/extension.toml")["language_servers"]["heap-audit"]["name"].clone();
    assert_eq!(lsp.keys().collect::<Vec<_>>(), [name.as_str().unwrap()]);
    assert_ne!(from_json(&lsp["heap-audit"]["settings"]), Config::default());

    // The settings table: each key with its example is accepted and changes something.
    let readme = read("README.md");
    let table = &readme[readme
        .find("| key | example | meaning |")
        .expect("settings table")..];
    let mut rows = 0;
    for row in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let key = cells[1].trim_matches('`');
        let example: Value = serde_json::from_str(cells[2].trim_matches('`'))
            .unwrap_or_else(|e| panic!("{row}: {e}"));
        let mut one = Map::new();
        insert_dotted(&mut one, key, example);
        assert_ne!(
            from_json(&Value::Object(one)),
            Config::default(),
            "README row {key}"
        );
        rows += 1;
    }
    assert_eq!(
        rows,
        vscode_server_keys().len(),
        "the table lists every server setting"
    );
}
