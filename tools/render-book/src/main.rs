//! Regenerates the book's figures by running every example, then renders the
//! book to `book/` with its math turned into MathML. Nothing here needs the
//! network.

mod math;
#[cfg(test)]
mod tests;

use mdbook_driver::MDBook;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};

const USAGE: &str = "\
Usage: cargo run -p render-book [-- OPTIONS]

Runs every example (each writes its figures under chapters/figures/NAME/),
then renders the book into book/ with math as MathML, and prints the path
of book/index.html.

Options:
  --skip-examples  render the book without running the examples
  --help           print this help";

fn main() -> ExitCode {
    let mut skip_examples = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--skip-examples" => skip_examples = true,
            "--" => {}
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => return fail(format!("unknown argument `{other}` (see --help)")),
        }
    }
    // mdBook reports problems (a missing {{#include}} file, unbalanced HTML)
    // through `tracing`; print them, and fail if any was an error.
    let log = Arc::new(WarningPrinter::default());
    let _ = tracing::subscriber::set_global_default(log.clone());

    let result = book_root().and_then(|root| {
        if !skip_examples {
            run_examples(&root)?;
        }
        let book = MDBook::load(&root).map_err(|e| format!("cannot load the book: {e:#}"))?;
        let index = render(book)?;
        match log.errors() {
            0 => Ok(index),
            n => Err(format!("mdBook reported {n} error(s), printed above")),
        }
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

/// Renders a loaded book with the math preprocessor; returns its index.html.
fn render(mut book: MDBook) -> Result<PathBuf, String> {
    book.with_preprocessor(math::MathPreprocessor);
    book.build()
        .map_err(|e| format!("building the book failed: {e:#}"))?;
    Ok(book.build_dir_for("html").join("index.html"))
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
