//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The path of a compiled example, built first if needed. A plain
/// `cargo test` has already built every example; `cargo test --test NAME` has
/// not, so we ask cargo (a no-op when the example is fresh) once per process.
pub fn example_bin(name: &str) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/..");
    let bin = profile_dir.join("examples").join(name);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|b| b == name) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let profile = profile_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let profile = if profile == "debug" {
            "dev".to_string()
        } else {
            profile
        };
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "--profile", &profile, "--example", name]);
        if let Some(target) = cross_target() {
            build.args(["--target", target]);
        }
        let status = build.current_dir(root()).status().expect("cargo runs");
        assert!(status.success(), "building example {name} failed");
        built.push(name.to_string());
    }
    bin
}

/// A command that runs example `name` (built first if needed, as
/// [`example_bin`]), through cargo's runner for the tests' target if one is
/// set ([`command_for`]).
pub fn example_command(name: &str) -> Command {
    command_for(&example_bin(name))
}

/// A command that runs the compiled example `bin`. When the tests run under
/// an emulator (`CARGO_TARGET_<TRIPLE>_RUNNER`, e.g. `qemu-aarch64 -L
/// /usr/aarch64-linux-gnu` for a cross-built `--target
/// aarch64-unknown-linux-gnu`, or `qemu-x86_64 -cpu Nehalem`), cargo starts
/// the test programs through it, and the examples they start must go through
/// it too: otherwise a cross-built example cannot start, and a native one
/// would run on this processor instead of the emulated one. (Only the
/// environment variable is seen here: a runner set in a `.cargo/config.toml`
/// runs the tests but not the examples they start.)
pub fn command_for(bin: &Path) -> Command {
    let runner = std::env::var(format!(
        "CARGO_TARGET_{}_RUNNER",
        TARGET.to_uppercase().replace(['-', '.'], "_")
    ))
    .unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(bin);
            command
        }
        None => Command::new(bin),
    }
}

/// The target the tests are built for (the build script passes it on).
const TARGET: &str = env!("STABLE_LEARNING_TARGET");

/// The `--target` the tests were built with, if any: cargo then puts them
/// under a folder named after it, between the target folder and the profile.
fn cross_target() -> Option<&'static str> {
    let exe = std::env::current_exe().expect("test executable path");
    let above_profile = exe.ancestors().nth(3)?.file_name()?;
    (above_profile == TARGET).then_some(TARGET)
}

/// Runs an example with `args`.
pub fn run_example(name: &str, args: &[&str]) -> Output {
    example_command(name)
        .args(args)
        .output()
        .expect("example runs")
}

/// A fresh, empty temporary folder unique to this test, deleted with
/// everything in it when the returned guard goes out of scope (so the tests
/// leave nothing behind in the system's temporary folder). It reads as a
/// `&Path` wherever one is expected.
pub fn temp_dir(tag: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("stable-learning-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// A folder from [`temp_dir`], removed on drop.
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs an example with `--out DIR` (plus `args`), asserts that it
/// succeeded (showing its stderr if not), and returns its output.
pub fn run_example_into(name: &str, out: &Path, args: &[&str]) -> Output {
    let mut all = vec!["--out", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let output = run_example(name, &all);
    assert!(
        output.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs example `name` with `args` into the folder `dir`, and returns a
/// reader of the files it wrote there (a file's bytes by its name): for the
/// tests that compare two runs file by file.
pub fn files_of(name: &str, dir: &Path, args: &[&str]) -> impl Fn(&str) -> Vec<u8> + use<> {
    run_example_into(name, dir, args);
    let dir = dir.to_path_buf();
    move |file| {
        let path = dir.join(file);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}

/// Runs an example with `--json --out DIR` (plus `args`) and returns the
/// parsed JSON document.
pub fn example_json(name: &str, args: &[&str], out: &Path) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let output = run_example_into(name, out, &all);
    serde_json::from_slice(&output.stdout).expect("--json prints one JSON document")
}

/// The typed result an example recorded under `key` (`run.record(key, &result)`)
/// in a document from [`example_json`]: the test reads the same struct the
/// library returned, so a renamed or missing field fails to compile or to parse.
pub fn result<T: serde::de::DeserializeOwned>(doc: &serde_json::Value, key: &str) -> T {
    let value = doc["results"]
        .get(key)
        .unwrap_or_else(|| panic!("the example recorded no result `{key}`"));
    serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("result `{key}` does not parse as the library's type: {e}"))
}

/// A chapter's Markdown source.
pub fn chapter(name: &str) -> String {
    std::fs::read_to_string(root().join("chapters").join(name)).unwrap()
}

/// Formats `v` as the chapters write numbers in math: `3.69 \times 10^{24}`
/// with `digits` digits after the point.
pub fn tex_sci(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$e}");
    let (mantissa, exp) = s.split_once('e').unwrap();
    format!("{mantissa} \\times 10^{{{exp}}}")
}

/// Asserts the chapter's text contains `needle`, with a helpful message.
pub fn assert_mentions(text: &str, needle: &str, what: &str) {
    assert!(
        text.contains(needle),
        "the chapter should state {what} as `{needle}` (computed by the code)"
    );
}

/// A chapter's text with every run of white space folded into one space, so
/// that a number can be looked up wherever the prose happens to wrap.
pub fn chapter_words(name: &str) -> String {
    chapter(name)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// [`assert_mentions`] for a text from [`chapter_words`]: white space in
/// `needle` is folded the same way.
pub fn assert_mentions_words(text: &str, needle: &str, what: &str) {
    let needle = needle.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_mentions(text, &needle, what);
}
