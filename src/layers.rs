//! The layers of the engine, held by tests: no file imports itself through others (no cycles),
//! and every module may import only from its own layer
//! or the layers below it (`lib.rs` lists them in order; `docs/architecture.md` says why each
//! sits where it does). Test-only code is exempt: a test may reach anything.
//!
//! The check reads the source files themselves, the way a reviewer would: every `crate::x`
//! path outside comments and `#[cfg(test)]` items, in every file under `src/<layer>/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layers, bottom first. Modules on one line share a layer and may import each other.
const LAYERS: &[&[&str]] = &[
    &["telemetry"],
    &["model", "duration", "client"],
    &["job"],
    &["config"],
    &["state"],
    &["transport"],
    &["consensus"],
    &["cluster"],
    &["node"],
    &["leader"],
    &["api"],
    &["agent"],
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The code of a file without comments, string literals' contents and `#[cfg(test)]` items.
fn production_code(text: &str) -> String {
    // Comments and strings out first, so braces in them do not confuse the item skipping.
    let mut code = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        code.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            '"' => {
                code.push('"');
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                code.push('"');
            }
            // A char literal such as '{' (not a lifetime: those are not closed after one char).
            '\'' => {
                let ahead: Vec<char> = chars.clone().take(3).collect();
                if ahead.len() >= 2 && ahead[1] == '\'' {
                    chars.next();
                    chars.next();
                    code.push_str("' '");
                } else if ahead.len() >= 3 && ahead[0] == '\\' && ahead[2] == '\'' {
                    chars.next();
                    chars.next();
                    chars.next();
                    code.push_str("' '");
                } else {
                    code.push('\'');
                }
            }
            _ => code.push(c),
        }
    }
    // Then every item marked `#[cfg(test)]`: up to its `;` or its balanced `{…}`.
    let mut out = String::with_capacity(code.len());
    let mut rest = code.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let mut depth = 0usize;
        let mut end = item.len();
        for (i, c) in item.char_indices() {
            match c {
                ';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The top-level modules a piece of code names through `crate::`.
fn crate_imports(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `belfry_crate::` or similar, not a path into this crate
        }
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for part in inner.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push(name);
                }
            }
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            found.push(name);
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Files that are test modules as a whole (declared under `#[cfg(test)]`).
fn is_test_file(path: &Path) -> bool {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    stem == "tests" || stem.ends_with("_tests")
}

/// Every import that points up a layer: (file, module it names).
fn imports_up() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for path in files {
        let relative = path.strip_prefix(&src).expect("under src/");
        let top = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|s| s.trim_end_matches(".rs").to_string())
            .unwrap_or_default();
        if top == "lib" || top == "layers" || is_test_file(&path) {
            continue;
        }
        let own = rank(&top).unwrap_or_else(|| {
            panic!("src/{top} is in no layer: add it to LAYERS and to docs/architecture.md")
        });
        let text = std::fs::read_to_string(&path).expect("a readable source file");
        for name in crate_imports(&production_code(&text)) {
            match rank(&name) {
                Some(r) if r <= own => {}
                _ => violations.push((relative.display().to_string(), name)),
            }
        }
    }
    violations.sort();
    violations.dedup();
    violations
}

/// The module path of a file: `src/cluster/voters.rs` is `cluster::voters`, a `mod.rs` is its
/// folder's module.
fn module_of(relative: &Path) -> String {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .filter_map(|c| c.as_os_str().to_str().map(str::to_string))
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// Module paths a piece of code names: `crate::a::b::C` and `super::x` (relative to `module`).
fn module_paths(code: &str, module: &str) -> Vec<Vec<String>> {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    let mut paths = Vec::new();
    for (prefix, base) in [
        ("crate::", Vec::new()),
        ("super::", {
            let mut parent: Vec<String> = module.split("::").map(str::to_string).collect();
            parent.pop();
            parent
        }),
    ] {
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().last();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = rest.chars().take_while(|c| word(*c)).collect();
            let mut full = base.clone();
            full.extend(
                path.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            );
            paths.push(full);
        }
    }
    paths
}

/// Import cycles between files (a module naming its own submodules aside: a parent declares
/// its children). Each cycle is listed once, as the modules in it.
fn file_cycles(crate_dir: &str) -> Vec<Vec<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(crate_dir);
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut code = BTreeMap::new();
    for path in &files {
        let relative = path.strip_prefix(&src).expect("under src/");
        let module = module_of(relative);
        if module == "lib" || module == "main" || module == "layers" || is_test_file(path) {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("a readable source file");
        code.insert(module, production_code(&text));
    }
    let modules: Vec<String> = code.keys().cloned().collect();
    let resolve = |path: &[String]| -> Option<String> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].join("::"))
            .find(|m| code.contains_key(m))
    };
    let mut edges: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &code {
        for path in module_paths(text, module) {
            if let Some(target) = resolve(&path)
                && &target != module
                && !module.starts_with(&format!("{target}::"))
            {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    // Strongly connected components (Tarjan), iterative enough for a few dozen files.
    struct Walk<'a> {
        edges: &'a BTreeMap<String, std::collections::BTreeSet<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        cycles: Vec<Vec<String>>,
    }
    fn visit(w: &mut Walk, v: &str) {
        let i = w.index.len();
        w.index.insert(v.to_string(), i);
        w.low.insert(v.to_string(), i);
        w.stack.push(v.to_string());
        for next in w.edges.get(v).cloned().unwrap_or_default() {
            if !w.index.contains_key(&next) {
                visit(w, &next);
                let low = w.low[v].min(w.low[&next]);
                w.low.insert(v.to_string(), low);
            } else if w.stack.contains(&next) {
                let low = w.low[v].min(w.index[&next]);
                w.low.insert(v.to_string(), low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut component = Vec::new();
            while let Some(m) = w.stack.pop() {
                let done = m == v;
                component.push(m);
                if done {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                w.cycles.push(component);
            }
        }
    }
    let mut walk = Walk {
        edges: &edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        cycles: Vec::new(),
    };
    for module in &modules {
        if !walk.index.contains_key(module) {
            visit(&mut walk, module);
        }
    }
    walk.cycles
}

#[test]
fn no_file_imports_itself_through_others() {
    // The engine, and the two crates above it (their `main.rs`/`lib.rs` declare the modules).
    let cycles: Vec<Vec<String>> = ["src", "commands/src", "tui/src"]
        .into_iter()
        .flat_map(|dir| {
            file_cycles(dir)
                .into_iter()
                .map(move |c| c.into_iter().map(|m| format!("{dir}: {m}")).collect())
        })
        .collect();
    let report: Vec<String> = cycles.iter().map(|c| c.join(" ↔ ")).collect();
    assert!(report.is_empty(), "import cycles:\n{}", report.join("\n"));
}

#[test]
fn imports_point_down() {
    let violations = imports_up();
    let mut by_file: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (file, name) in &violations {
        by_file.entry(file).or_default().push(name);
    }
    let report: Vec<String> = by_file
        .iter()
        .map(|(file, names)| format!("src/{file} imports up: {}", names.join(", ")))
        .collect();
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn the_checker_sees_imports_and_skips_comments_strings_and_tests() {
    let code = production_code(
        "use crate::api::X; // crate::agent\n/* crate::leader */ let s = \"crate::node\";\n\
         fn f() { crate::{state::A, job::B}; }\n#[cfg(test)]\nmod tests { use crate::agent::Y; }\n\
         #[cfg(test)]\nmod more;\nuse crate::cluster::Z;",
    );
    assert_eq!(
        crate_imports(&code),
        vec!["api", "state", "job", "cluster"],
        "code seen: {code}"
    );
}
