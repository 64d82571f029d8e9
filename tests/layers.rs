//! The library's layers point one way (see the table in `src/lib.rs`):
//! `numeric` → `nn` → {`deep`, `shift`} → `book`. This test reads every
//! module under `src/` and fails on a reference against that direction, and
//! on terminal or file I/O anywhere outside `book`, and on any import cycle
//! between modules (within a layer too).

use std::path::{Path, PathBuf};

/// The layers in order; a module may use its own layer and the ones before
/// it. `deep` and `shift` are the two parts of the book: neither uses the other.
const LAYERS: [(&str, &[&str]); 5] = [
    ("numeric", &["numeric"]),
    ("nn", &["numeric", "nn"]),
    ("deep", &["numeric", "nn", "deep"]),
    ("shift", &["numeric", "nn", "shift"]),
    ("book", &["numeric", "nn", "deep", "shift", "book"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::LAYER` a file refers to (in `use` lines and in paths).
fn layers_used(text: &str) -> Vec<String> {
    let mut used = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !used.contains(&name) {
            used.push(name);
        }
    }
    used
}

#[test]
fn dependencies_point_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut checked = 0;
    let mut wrong = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let Some((layer, allowed)) = LAYERS.iter().find(|(name, _)| *name == top) else {
            continue; // lib.rs and error.rs sit below every layer
        };
        checked += 1;
        let text = std::fs::read_to_string(file).unwrap();
        for used in layers_used(&text) {
            let is_layer = LAYERS.iter().any(|(name, _)| *name == used);
            if is_layer && !allowed.contains(&used.as_str()) {
                wrong.push(format!("{} ({layer}) uses crate::{used}", rel.display()));
            }
        }
    }
    assert!(checked >= 20, "found only {checked} modules under src/");
    assert!(
        wrong.is_empty(),
        "dependencies against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn only_the_presentation_layer_prints_or_writes_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let forbidden = [
        "println!",
        "eprintln!",
        "print!(",
        "eprint!(",
        "std::fs",
        "File::",
        "stdout()",
        "stderr()",
        "std::process",
    ];
    let mut wrong = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap().to_path_buf();
        if rel.starts_with("book") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for f in forbidden {
                if line.contains(f) {
                    wrong.push(format!("{}:{}: {}", rel.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "I/O outside src/book/:\n{}",
        wrong.join("\n")
    );
}

/// The module a file under `src/` defines, as its path: `nn::mlp`,
/// `shift` (for `shift/mod.rs`), `` (for `lib.rs`).
fn module_of(rel: &Path) -> String {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts.join("::")
}

#[test]
fn no_module_imports_itself_through_others() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: Vec<String> = files
        .iter()
        .map(|f| module_of(f.strip_prefix(&src).unwrap()))
        .collect();
    // Edges: module -> the longest known module each `crate::a::b::…` or
    // `super::…` path names (a module's own submodules are not edges).
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let text = std::fs::read_to_string(file).unwrap();
        let me = &modules[i];
        let parent = me.rsplit_once("::").map_or("", |(p, _)| p).to_string();
        for (prefix, base) in [("crate::", String::new()), ("super::", parent)] {
            for (k, _) in text.match_indices(prefix) {
                if k > 0 && text[..k].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let path: String = text[k + prefix.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let mut segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
                while !segs.is_empty() {
                    let name = if base.is_empty() {
                        segs.join("::")
                    } else {
                        format!("{base}::{}", segs.join("::"))
                    };
                    if let Some(j) = modules.iter().position(|m| *m == name) {
                        let inside = name.starts_with(&format!("{me}::")) || me.is_empty();
                        if j != i && !inside && !edges.contains(&(i, j)) {
                            edges.push((i, j));
                        }
                        break;
                    }
                    segs.pop();
                }
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        v: usize,
        edges: &[(usize, usize)],
        state: &mut [u8],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        state[v] = 1;
        stack.push(v);
        for &(_, w) in edges.iter().filter(|(a, _)| *a == v) {
            if state[w] == 1 {
                let start = stack.iter().position(|&s| s == w).unwrap();
                let mut cycle = stack[start..].to_vec();
                cycle.push(w);
                return Some(cycle);
            }
            if state[w] == 0
                && let Some(c) = visit(w, edges, state, stack)
            {
                return Some(c);
            }
        }
        stack.pop();
        state[v] = 2;
        None
    }
    assert!(edges.len() >= 20, "found only {} imports", edges.len());
    let mut state = vec![0u8; modules.len()];
    for v in 0..modules.len() {
        if state[v] == 0
            && let Some(cycle) = visit(v, &edges, &mut state, &mut Vec::new())
        {
            let names: Vec<&str> = cycle.iter().map(|&c| modules[c].as_str()).collect();
            panic!("import cycle: {}", names.join(" -> "));
        }
    }
}
