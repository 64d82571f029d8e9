//! Regenerates the book's figures by running every example, then renders the
//! book to `book/` with its math turned into MathML. Nothing here needs the
//! network.

mod math;
mod pages;
#[cfg(test)]
mod tests;

use mdbook_driver::MDBook;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};

const USAGE: &str = "\
Usage: cargo run -p render-book [-- OPTIONS]

Checks that every {{#include FILE:ANCHOR}} names an anchor FILE has, runs
every example (each writes its figures under chapters/figures/NAME/),
builds the live figures' WebAssembly module (tools/live-figures, for the
target wasm32-wasip1 that rust-toolchain.toml installs), then renders the book with math as MathML into a staging folder that replaces
book/ only when the whole book rendered, and prints the path of
book/index.html. A failed render leaves the previous book/ as it was.

Options:
  --skip-examples  render the book without running the examples
  --help           print this help";

/// What the command line asked for.
#[derive(Debug, PartialEq)]
enum Request {
    Help,
    Render { skip_examples: bool },
}

/// Reads the arguments (without the program name); an unknown one is an
/// error, which `main` reports with exit status 2 as the examples do.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Request, String> {
    let mut skip_examples = false;
    for arg in args {
        match arg.as_str() {
            "--skip-examples" => skip_examples = true,
            "--" => {}
            "--help" | "-h" => return Ok(Request::Help),
            other => return Err(format!("unknown argument `{other}` (see --help)")),
        }
    }
    Ok(Request::Render { skip_examples })
}

fn main() -> ExitCode {
    let skip_examples = match parse_args(std::env::args().skip(1)) {
        Ok(Request::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Request::Render { skip_examples }) => skip_examples,
        Err(e) => {
            eprintln!("render-book: error: {e}");
            return ExitCode::from(2);
        }
    };
    // mdBook reports problems (a missing {{#include}} file, unbalanced HTML)
    // through `tracing`; print them, and fail if any was an error.
    let log = Arc::new(WarningPrinter::default());
    let _ = tracing::subscriber::set_global_default(log.clone());

    let result = book_root().and_then(|root| {
        let book = MDBook::load(&root).map_err(|e| format!("cannot load the book: {e:#}"))?;
        check_includes(&book.source_dir())?;
        if !skip_examples {
            run_examples(&root)?;
        }
        let modules = build_live_modules(&root)?;
        // Loaded again: the examples may have changed what the book shows.
        let book = MDBook::load(&root).map_err(|e| format!("cannot load the book: {e:#}"))?;
        render(book, &modules, || log.errors())
    });
    match result {
        Ok(index) => {
            println!("{}", index.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// Prints the error on one line and fails.
fn fail(message: String) -> ExitCode {
    let line: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    eprintln!("render-book: error: {}", line.join(" | "));
    ExitCode::FAILURE
}

/// The directory holding `book.toml`, searched upwards from the workspace root.
fn book_root() -> Result<PathBuf, String> {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let start = manifest_dir.ancestors().nth(2).unwrap_or(manifest_dir);
    start
        .ancestors()
        .find(|dir| dir.join("book.toml").is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("no book.toml in {} or above", start.display()))
}

/// Builds all examples once, then runs each `examples/*.rs` in name order.
fn run_examples(root: &Path) -> Result<(), String> {
    let dir = root.join("examples");
    let mut names = Vec::new();
    if dir.is_dir() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.extension().is_some_and(|ext| ext == "rs")
                && let Some(name) = path.file_stem().and_then(|s| s.to_str())
            {
                names.push(name.to_owned());
            }
        }
    }
    names.sort();
    if names.is_empty() {
        println!(
            "render-book: no examples in {}, no figures to regenerate",
            dir.display()
        );
        return Ok(());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let run = |args: &[&str], what: &str| -> Result<(), String> {
        let status = Command::new(&cargo)
            .args(args)
            .current_dir(root)
            .status()
            .map_err(|e| format!("cannot start `{cargo}` for {what}: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{what} failed ({status})"))
        }
    };
    println!(
        "render-book: building and running {} example(s)",
        names.len()
    );
    run(&["build", "--examples", "--quiet"], "building the examples")?;
    for name in &names {
        println!("render-book: running example {name}");
        run(
            &["run", "--quiet", "--example", name],
            &format!("example `{name}`"),
        )?;
    }
    Ok(())
}

/// Renders a loaded book with the math preprocessor into a staging folder
/// (`target/book-rendering`), and only if that succeeded and `errors()` (the
/// errors mdBook logged) is 0, swaps it in for the build folder (`book/`);
/// returns the new index.html. On failure the old build folder is untouched.
fn render(
    mut book: MDBook,
    live_modules: &[(&str, Vec<u8>)],
    errors: impl Fn() -> usize,
) -> Result<PathBuf, String> {
    check_includes(&book.source_dir())?;
    let root = book.root.clone();
    let build_dir = root.join(&book.config.build.build_dir);
    let staging = root.join("target").join("book-rendering");
    let old = root.join("target").join("book-replaced");
    for dir in [&staging, &old] {
        remove_dir(dir)?;
    }
    book.config.build.build_dir = staging.clone();
    book.with_preprocessor(math::MathPreprocessor);
    book.with_preprocessor(pages::PagesPreprocessor);
    let built = book
        .build()
        .map_err(|e| format!("building the book failed: {e:#}"))
        .and_then(|()| match errors() {
            0 => Ok(()),
            n => Err(format!("mdBook reported {n} error(s), printed above")),
        });
    let built = built.and_then(|()| {
        live_modules.iter().try_for_each(|(script, module)| {
            let path = staging.join(script);
            std::fs::write(&path, live_module_js(module))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))
        })
    });
    if let Err(e) = built {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(format!("{e} (book/ is unchanged)"));
    }
    let index = book.build_dir_for("html").join("index.html");
    let index = build_dir.join(index.strip_prefix(&staging).unwrap_or(&index));
    let rename = |from: &Path, to: &Path| {
        std::fs::rename(from, to)
            .map_err(|e| format!("cannot move {} to {}: {e}", from.display(), to.display()))
    };
    if build_dir.exists() {
        rename(&build_dir, &old)?;
    }
    rename(&staging, &build_dir)?;
    remove_dir(&old)?;
    Ok(index)
}

/// The live figures' WebAssembly module, built twice: with 128-bit vector
/// instructions (every current browser), and with relaxed SIMD as well,
/// whose fused multiply-add makes the matrix product about ten times as
/// fast where the browser has it. The page loads one (`chapters/style/live.js`
/// picks), each from a script at the book's root under this name.
struct LiveModule {
    script: &'static str,
    target_dir: &'static str,
    rustflags: Option<&'static str>,
}

const LIVE_MODULES: [LiveModule; 2] = [
    LiveModule {
        script: "live-module.js",
        target_dir: "",
        rustflags: None,
    },
    LiveModule {
        script: "live-module-relaxed.js",
        target_dir: "live-relaxed",
        rustflags: Some("-C target-feature=+simd128,+relaxed-simd"),
    },
];

/// Builds `tools/live-figures` for WebAssembly, both ways; returns each
/// module with the name of its script.
fn build_live_modules(root: &Path) -> Result<Vec<(&'static str, Vec<u8>)>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_absolute() { t } else { root.join(t) })
        .unwrap_or_else(|| root.join("target"));
    ensure_wasm_target(root)?;
    // Both builds at once: each ends in a single-threaded link.
    let mut builds = Vec::new();
    for m in &LIVE_MODULES {
        println!("render-book: building the live figures ({})", m.script);
        let dir = target.join(m.target_dir);
        let mut command = Command::new(&cargo);
        command
            .args(["build", "--quiet", "-p", "live-figures"])
            .args(["--target", "wasm32-wasip1", "--profile", "live"])
            .arg("--target-dir")
            .arg(&dir)
            .current_dir(root);
        if let Some(flags) = m.rustflags {
            command.env("CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS", flags);
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start `{cargo}` to build the live figures: {e}"))?;
        builds.push((m, dir, child));
    }
    let mut modules = Vec::new();
    for (m, dir, mut child) in builds {
        let status = child
            .wait()
            .map_err(|e| format!("building the live figures: {e}"))?;
        if !status.success() {
            return Err(format!(
                "building the live figures ({}) failed ({status})",
                m.script
            ));
        }
        let path = dir.join("wasm32-wasip1/live/live_figures.wasm");
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        modules.push((m.script, bytes));
    }
    Ok(modules)
}

/// Adds the `wasm32-wasip1` target with rustup when the toolchain lacks it.
/// rust-toolchain.toml lists it, and rustup adds it when it installs the
/// toolchain; but a toolchain already installed (or rustup told not to
/// install anything by itself, `RUSTUP_AUTO_INSTALL=0`) may lack it.
fn ensure_wasm_target(root: &Path) -> Result<(), String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let libdir = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", "wasm32-wasip1"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if libdir.is_some_and(|dir| dir.is_dir()) {
        return Ok(());
    }
    println!("render-book: adding the target wasm32-wasip1 (rustup target add wasm32-wasip1)");
    let status = Command::new("rustup")
        .args(["target", "add", "wasm32-wasip1"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("the live figures need the target wasm32-wasip1, and rustup could not be started to add it: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`rustup target add wasm32-wasip1` failed ({status}); the live figures need that target"
        ))
    }
}

/// A module as a script that sets `window.liveModuleBase64`: pages opened
/// from disk may load scripts but not fetch files.
fn live_module_js(module: &[u8]) -> String {
    format!(
        "// The book's live figures (tools/live-figures), compiled to WebAssembly.\n\
         window.liveModuleBase64 = \"{}\";\n",
        base64(module)
    )
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Removes a folder and everything in it, if it exists.
fn remove_dir(dir: &Path) -> Result<(), String> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {e}", dir.display()))
        }
        _ => Ok(()),
    }
}

/// Checks every `{{#include FILE:ANCHOR}}` (and `{{#rustdoc_include …}}`) in
/// the Markdown under `src`: mdBook renders an anchor FILE does not have as
/// an empty code block without a word, so a renamed anchor would silently
/// empty a listing. Line numbers and ranges (`FILE:3:10`) are not checked;
/// a missing FILE is left to mdBook, which reports it.
fn check_includes(src: &Path) -> Result<(), String> {
    let mut pages = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "md") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    let mut problems = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).map_err(|e| format!("{}: {e}", page.display()))?;
        let shown = page.strip_prefix(src).unwrap_or(page).display();
        for (number, line) in text.lines().enumerate() {
            for (link, file, anchor) in anchored_includes(line) {
                if anchor.chars().all(|c| c.is_ascii_digit() || c == ':') {
                    continue;
                }
                let path = page.parent().unwrap_or(src).join(file);
                let Ok(source) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let has = |marker: &str| {
                    source.lines().any(|l| {
                        l.split_once(marker)
                            .is_some_and(|(_, rest)| rest.trim() == anchor)
                    })
                };
                if !has("ANCHOR:") || !has("ANCHOR_END:") {
                    problems.push(format!(
                        "{shown}:{}: {{{{#{link}}}}}: {file} has no anchor `{anchor}` \
                         (no `ANCHOR: {anchor}` … `ANCHOR_END: {anchor}` pair)",
                        number + 1
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// The `{{#include FILE:ANCHOR}}` links in a line, as (link text, FILE,
/// ANCHOR); escaped links (`\{{#include …}}`) are skipped.
fn anchored_includes(line: &str) -> Vec<(&str, &str, &str)> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("{{#") {
        let escaped = rest[..start].ends_with('\\');
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else {
            break;
        };
        let link = after[..end].trim();
        rest = &after[end + 2..];
        let target = link
            .strip_prefix("include ")
            .or_else(|| link.strip_prefix("rustdoc_include "));
        if escaped {
            continue;
        }
        if let Some((file, anchor)) = target.and_then(|t| t.trim().split_once(':')) {
            found.push((link, file.trim(), anchor.trim()));
        }
    }
    found
}

/// A minimal `tracing` subscriber: prints warnings and errors to stderr and
/// keeps them (the tests check that mdBook has nothing to warn about).
#[derive(Default)]
struct WarningPrinter {
    seen: Mutex<Vec<String>>,
}

impl WarningPrinter {
    fn errors(&self) -> usize {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.iter().filter(|line| line.starts_with("ERROR")).count()
    }
}

impl tracing::Subscriber for WarningPrinter {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        *metadata.level() <= tracing::Level::WARN
    }

    fn event(&self, event: &tracing::Event<'_>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                match field.name() {
                    "message" => self.0.push_str(&format!("{value:?}")),
                    name => self.0.push_str(&format!(" {name}={value:?}")),
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        let line = format!("{}: {}", event.metadata().level(), message.0);
        eprintln!("render-book: {line}");
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line);
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}
