//! The small runner every example shares.
//!
//! Each example declares its own flags with clap and flattens [`Common`] into
//! them; [`Run::start`] parses the command line, checks every value up front
//! (a bad value prints one line naming the flag and its allowed range, exits
//! with status 2 and touches no file), decides where figures go, and collects
//! the results and the list of files written.
//!
//! **Where figures go.** With every experiment parameter at its default (the
//! seed included), figures go to `chapters/figures/NAME/`, the book's committed
//! figures, which a default run reproduces byte for byte. With any parameter
//! changed, they go to `target/figures/NAME/` so that a reader's experiment
//! never silently replaces the book's figures; `--out DIR` puts them anywhere,
//! including over the book's own (`git checkout chapters/figures` undoes that).

use std::path::{Path, PathBuf};

use clap::Parser;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Range;
use crate::book::figure::Figure;

pub use crate::book::output::PROJECT_ROOT;

/// Flags every example has.
#[derive(clap::Args, Debug, Clone, PartialEq, Serialize)]
pub struct Common {
    /// Seed for the random number generator (any whole number 0..=18446744073709551615)
    #[arg(long, default_value_t = 42, value_parser = seed)]
    pub seed: u64,
    /// Folder for the figures [default: chapters/figures/NAME at default parameters, target/figures/NAME otherwise]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the results as JSON on stdout (progress and tables go to stderr)
    #[arg(long)]
    pub json: bool,
    /// Threads for independent repetitions (1..=256) [default: one per core]; results do not depend on it
    #[arg(long, value_parser = whole_in(Range::whole(1, 256)))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
}

/// An example's command-line arguments: clap-parsable, comparable (to tell
/// default from custom parameters) and serializable (for `--json`).
pub trait Experiment: Parser + PartialEq + Clone + Serialize {
    /// The flags every example shares.
    fn common(&mut self) -> &mut Common;
}

/// A running example: where it writes, what it has written, what it found.
#[derive(Debug)]
pub struct Run {
    name: String,
    out_dir: PathBuf,
    json: bool,
    files: Vec<PathBuf>,
    results: Map<String, Value>,
    parameters: Value,
    custom: bool,
}

impl Run {
    /// Parses the command line for the example `name`, or exits: status 0
    /// after `--help`, status 2 with a one-line error for a bad value or an
    /// output folder that cannot be written.
    ///
    /// Every flag that takes a value accepts one that starts with a hyphen,
    /// so every negative number in every form (`-1e-3`, `-.5`, `-inf`) reaches
    /// the flag's own check, which accepts it or names the flag and its range.
    /// The hidden flag `--check-args` checks the command line the same way
    /// and then exits with status 0 without running the experiment or
    /// touching any file (the command-line tests use it).
    pub fn start<A: Experiment>(name: &str) -> (A, Run) {
        let mut matches = match command::<A>().try_get_matches_from(std::env::args_os()) {
            Ok(matches) => matches,
            Err(e) => exit_on_clap_error(e),
        };
        let check_only = matches.remove_one::<bool>(CHECK_ARGS).unwrap_or(false);
        let args = match A::from_arg_matches_mut(&mut matches) {
            Ok(args) => args,
            Err(e) => exit_on_clap_error(e),
        };
        // The kernels' ceiling (a testing aid, see `Ceiling`) is read from
        // the environment; a misspelt value must not pass silently as native.
        if let Err(message) = crate::numeric::kernels::Ceiling::from_env() {
            err_line(&format!("error: {message}"));
            std::process::exit(2);
        }
        match Run::prepare(name, args.clone(), !check_only) {
            Ok(_) if check_only => std::process::exit(0),
            Ok(run) => (args, run),
            Err(message) => {
                err_line(&format!("error: {message}"));
                std::process::exit(2);
            }
        }
    }

    /// Builds the run for already-parsed arguments (used by [`Run::start`] and
    /// tests): decides and creates the output folder, and removes temporary
    /// files that runs killed mid-write left behind
    /// ([`crate::book::output::clean_stale_temp_files`]).
    pub fn new<A: Experiment>(name: &str, args: A) -> Result<Run, String> {
        Run::prepare(name, args, true)
    }

    /// [`Run::new`]; with `create` false it only checks the output folder
    /// could be created, and touches nothing.
    fn prepare<A: Experiment>(name: &str, mut args: A, create: bool) -> Result<Run, String> {
        let common = args.common().clone();
        let mut defaults = A::parse_from([name]);
        // Where the figures go, how they are reported and how many threads
        // compute them do not change them.
        *defaults.common() = Common {
            out: None,
            json: false,
            threads: None,
            ..defaults.common().clone()
        };
        let mut as_given = args.clone();
        *as_given.common() = Common {
            out: None,
            json: false,
            threads: None,
            ..common.clone()
        };
        // Compared as JSON, which tells every number apart by its value and
        // sign (a parser that let -0 through would make the run custom, never
        // a silent rewrite of the book's figures).
        let custom =
            crate::book::json::to_value(&as_given) != crate::book::json::to_value(&defaults);
        let out_dir = match &common.out {
            Some(dir) => dir.clone(),
            None if custom => Path::new(PROJECT_ROOT).join("target/figures").join(name),
            None => Path::new(PROJECT_ROOT).join("chapters/figures").join(name),
        };
        let checked = if create {
            check_writable(&out_dir)
        } else {
            check_creatable(&out_dir)
        };
        checked.map_err(|e| format!("--out {}: {e}", out_dir.display()))?;
        if create {
            crate::numeric::random::set_threads(common.threads);
            crate::book::output::clean_stale_temp_files(&crate::book::output::staging_dir());
            crate::book::output::clean_stale_temp_files(&out_dir);
        }
        Ok(Run {
            name: name.to_string(),
            out_dir,
            json: common.json,
            files: Vec::new(),
            results: Map::new(),
            parameters: crate::book::json::to_value(&args),
            custom,
        })
    }

    /// The folder figures are written to.
    pub fn out_dir(&self) -> &Path {
        &self.out_dir
    }

    /// The value of an experiment's result, or, if the library refused its
    /// parameters, one line naming the parameter and its range on stderr and
    /// exit status 2 (the command line checks the same ranges first, so
    /// this is a second line of defence).
    pub fn check<T>(&self, result: Result<T, crate::Error>) -> T {
        result.unwrap_or_else(|e| {
            err_line(&format!("error: {}: {e}", self.name));
            std::process::exit(2);
        })
    }

    /// Prints a line for the reader (stdout, or stderr under `--json`).
    pub fn say(&self, text: impl AsRef<str>) {
        if self.json {
            err_line(text.as_ref());
        } else {
            print_line(text.as_ref());
        }
    }

    /// A progress bar on stderr for a loop of `len` steps, labelled `what`.
    /// It draws only when stderr is a terminal, so logs, pipes and `--json`
    /// output stay clean. Call `inc(1)` per step and `finish_and_clear()`.
    pub fn progress(&self, len: u64, what: &str) -> indicatif::ProgressBar {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(len),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg:32} [{bar:30}] {percent:>3}% {elapsed}, about {eta} left",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        bar
    }

    /// A [`crate::Progress`] for a library experiment, drawn as a progress
    /// bar labelled `what` (see [`Run::progress`]); the bar is sized by the
    /// first report and cleared when the experiment reports its last step.
    pub fn progress_fn(&self, what: &str) -> impl FnMut(usize, usize) + use<> {
        let what = what.to_string();
        let mut bar: Option<indicatif::ProgressBar> = None;
        move |done, total| {
            let bar = bar.get_or_insert_with(|| {
                let b = indicatif::ProgressBar::with_draw_target(
                    Some(total as u64),
                    indicatif::ProgressDrawTarget::stderr(),
                );
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{msg:32} [{bar:30}] {percent:>3}% {elapsed}, about {eta} left",
                ) {
                    b.set_style(style.progress_chars("=> "));
                }
                b.set_message(what.clone());
                b
            });
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            if done >= total {
                bar.finish_and_clear();
            }
        }
    }

    /// Wraps a loop's iterator in a progress bar labelled `what` (see
    /// [`Run::progress`]), cleared when the loop ends:
    /// `for trial in run.steps(0..args.trials, "trials") { … }`.
    pub fn steps<I: ExactSizeIterator>(
        &self,
        iter: I,
        what: &str,
    ) -> impl Iterator<Item = I::Item> + use<I> {
        let bar = self.progress(iter.len() as u64, what);
        let mut inner = iter;
        std::iter::from_fn(move || match inner.next() {
            Some(item) => {
                bar.inc(1);
                Some(item)
            }
            None => {
                bar.finish_and_clear();
                None
            }
        })
    }

    /// Records a result under `key` (it appears in the `--json` output, with
    /// every infinity and NaN written as the string `"inf"`, `"-inf"` or
    /// `"nan"`: see [`crate::book::json`]).
    pub fn record(&mut self, key: &str, value: impl Serialize) {
        let value = crate::book::json::to_value(&value);
        self.results.insert(key.to_string(), value);
    }

    /// Renders `figure` to `out_dir/file` atomically and records the file.
    /// A failure to write ends the run with status 1.
    pub fn figure(&mut self, file: &str, figure: &Figure) {
        let path = self.out_dir.join(file);
        if let Err(e) = figure.save(&path) {
            err_line(&format!("error: {e}"));
            std::process::exit(1);
        }
        self.files.push(path);
    }

    /// Writes a text file (for example a Markdown table the chapter includes)
    /// to `out_dir/file` atomically and records it. A failure ends the run
    /// with status 1.
    pub fn text(&mut self, file: &str, contents: &str) {
        let path = self.out_dir.join(file);
        if let Err(e) = crate::book::output::write_atomic(&path, contents.as_bytes()) {
            err_line(&format!("error: {e}"));
            std::process::exit(1);
        }
        self.files.push(path);
    }

    /// Prints the files written (and the JSON document under `--json`).
    pub fn finish(self) {
        if self.json {
            let doc = serde_json::json!({
                "example": self.name,
                "parameters": self.parameters,
                "results": self.results,
                "files": self.files,
            });
            let text = serde_json::to_string_pretty(&doc).unwrap_or_else(|e| e.to_string());
            print_line(&text);
        } else {
            print_line(&format!("\nwrote {} file(s):", self.files.len()));
            for f in &self.files {
                print_line(&format!("  {}", f.display()));
            }
            if self.custom {
                print_line(
                    "(custom parameters: the book's own figures in chapters/figures/ are untouched)",
                );
            }
        }
    }
}

/// The hidden flag that checks the command line and exits (see [`Run::start`]).
const CHECK_ARGS: &str = "check-args";

/// The example's command: its own flags and [`Common`], where every flag
/// that takes a value (except `--out`, a folder) also takes one that starts
/// with a hyphen, plus the hidden `--check-args`.
fn command<A: Experiment>() -> clap::Command {
    A::command()
        // Wide enough that every example's help has one layout, each flag's
        // text beside it (clap moves it below when the flags take much of
        // the width, which `covariate_shift`'s longer names did).
        .term_width(120)
        .allow_negative_numbers(true)
        .mut_args(|arg| {
            let takes_value = arg.get_action().takes_values();
            if takes_value && arg.get_id() != "out" {
                arg.allow_hyphen_values(true)
            } else {
                arg
            }
        })
        .arg(
            clap::Arg::new(CHECK_ARGS)
                .long(CHECK_ARGS)
                .hide(true)
                .action(clap::ArgAction::SetTrue)
                .help("Check the command line, then exit without running"),
        )
}

/// Ends the process for a clap error: `--help` prints the help on stdout
/// (status 0); anything else prints one line on stderr, with clap's
/// suggestion for a mistyped flag, and exits with status 2.
fn exit_on_clap_error(e: clap::Error) -> ! {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        write_stdout(&e.render().to_string());
        std::process::exit(0);
    }
    let rendered = e.render().to_string();
    let first = rendered
        .lines()
        .next()
        .unwrap_or("error: invalid arguments");
    let suggestion = match e.get(ContextKind::SuggestedArg) {
        Some(ContextValue::String(s)) => format!("did you mean '{s}'? "),
        Some(ContextValue::Strings(v)) if !v.is_empty() => {
            format!("did you mean '{}'? ", v.join("' or '"))
        }
        _ => String::new(),
    };
    err_line(&format!("{first} ({suggestion}see --help)"));
    std::process::exit(2);
}

/// Prints a line on stdout (see [`write_stdout`]).
fn print_line(text: &str) {
    write_stdout(&format!("{text}\n"));
}

/// Writes `text` to stdout and flushes it. A reader who pipes the output into
/// `head` closes the pipe early: that is not an error (the figures are
/// written regardless), so a broken pipe is ignored. Any other failure (a
/// full disk, an I/O error) ends the run with status 1 and a message on
/// stderr, so that output lost is never reported as success.
fn write_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            err_line(&format!("error: cannot write to standard output: {e}"));
            std::process::exit(1);
        }
        _ => {}
    }
}

/// Prints a line on stderr. If stderr itself cannot be written (other than a
/// closed pipe), there is nowhere left to report it: the run ends with
/// status 1, as for stdout, and never with a panic.
fn err_line(text: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let written = writeln!(err, "{text}").and_then(|()| err.flush());
    if written.is_err_and(|e| e.kind() != std::io::ErrorKind::BrokenPipe) {
        std::process::exit(1);
    }
}

/// Creates `dir` if needed and checks a file can be created in it.
fn check_writable(dir: &Path) -> Result<(), String> {
    if dir.exists() && !dir.is_dir() {
        return Err("is not a folder".to_string());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create the folder: {e}"))?;
    let probe = dir.join(format!(".write-check.{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| format!("cannot write in the folder: {e}"))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Checks, without creating anything, that `dir` is a folder or could be
/// created: its nearest existing ancestor is a folder.
fn check_creatable(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        return if dir.is_dir() {
            Ok(())
        } else {
            Err("is not a folder".to_string())
        };
    }
    match dir.ancestors().skip(1).find(|a| a.exists()) {
        Some(a) if !a.is_dir() => Err(format!(
            "cannot create the folder: {} is not a folder",
            a.display()
        )),
        _ => Ok(()),
    }
}

/// A clap value parser for `--seed`: any whole number a `u64` holds; the
/// message states the range for every bad form (negative, too large, a
/// fraction, empty, hexadecimal).
///
/// ```
/// let p = stable_learning::book::runner::seed;
/// assert_eq!(p("+7"), Ok(7));
/// assert!(p("-1").unwrap_err().contains("0..=18446744073709551615"));
/// assert!(p("0x10").unwrap_err().contains("0..=18446744073709551615"));
/// ```
pub fn seed(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| format!("must be a whole number in 0..={}", u64::MAX))
}

/// A clap value parser for a whole number in `range`: the same [`Range`]
/// the library's parameter check uses (for example
/// `whole_in(SymmetryParams::HIDDEN)`), so a flag and the library agree on
/// what is allowed, and the message names the range.
///
/// ```
/// use stable_learning::Range;
/// let p = stable_learning::book::runner::whole_in(Range::whole(1, 10));
/// assert_eq!(p("3"), Ok(3));
/// assert!(p("0").unwrap_err().contains("1..=10"));
/// ```
pub fn whole_in(
    range: Range,
) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync + 'static {
    move |s| match s.trim().parse::<usize>() {
        Ok(v) if range.contains(v as f64) => Ok(v),
        _ => Err(format!("must be {range}")),
    }
}

/// A clap value parser for a finite number in `range` (see [`whole_in`]).
///
/// ```
/// use stable_learning::Range;
/// let p = stable_learning::book::runner::number_in(Range::closed(0.0, 1.0));
/// assert_eq!(p("0.5"), Ok(0.5));
/// assert!(p("NaN").is_err() && p("inf").is_err() && p("2").is_err());
/// assert!(p("-0").unwrap().is_sign_positive());
/// ```
pub fn number_in(
    range: Range,
) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync + 'static {
    // `+ 0.0` turns -0 into +0 (and changes nothing else): "-0" is the
    // number 0, so a run given it is a default run and writes "0".
    move |s| match s.trim().parse::<f64>() {
        Ok(v) if range.contains(v) => Ok(v + 0.0),
        _ => Err(format!("must be {range}")),
    }
}

/// A comma-separated list of numbers given to one flag (`--arms 0.1,0.5`),
/// parsed by [`numbers_in`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Numbers(pub Vec<f64>);

/// A clap value parser for a comma-separated list of `count` numbers (a
/// [`Range::whole`]), each a finite number in `range`: one flag, one value,
/// so a bad list is reported against its flag like any other bad value.
///
/// ```
/// use stable_learning::Range;
/// let p = stable_learning::book::runner::numbers_in(Range::closed(0.0, 1.0), Range::whole(2, 3));
/// assert_eq!(p("0.1, 0.5").unwrap().0, vec![0.1, 0.5]);
/// assert!(p("0.5").unwrap_err().contains("2..=3"));
/// assert!(p("0.5,2").unwrap_err().contains("[0, 1]"));
/// assert!(p("0.5,,0.7").is_err());
/// ```
pub fn numbers_in(
    range: Range,
    count: Range,
) -> impl Fn(&str) -> Result<Numbers, String> + Clone + Send + Sync + 'static {
    let one = number_in(range);
    move |s| {
        let values = s
            .split(',')
            .map(|v| one(v).map_err(|e| format!("{:?} {e}", v.trim())))
            .collect::<Result<Vec<f64>, String>>()?;
        if count.contains(values.len() as f64) {
            Ok(Numbers(values))
        } else {
            Err(format!(
                "has {} number(s); how many must be {count}",
                values.len()
            ))
        }
    }
}

/// [`whole_in`] for `lo..=hi` ([`Range::whole`]).
pub fn int_in(
    lo: usize,
    hi: usize,
) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync + 'static {
    whole_in(Range::whole(lo, hi))
}

/// [`number_in`] for `[lo, hi]` ([`Range::closed`]).
pub fn float_in(
    lo: f64,
    hi: f64,
) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync + 'static {
    number_in(Range::closed(lo, hi))
}
