//! Every value of every flag: a table-driven attack on the command line.
//!
//! The flags and their ranges are discovered from each example's `--help`
//! (a new flag or a new example is attacked without being listed here), and
//! the ranges the help states are checked against what the flag really
//! accepts. For each flag the test tries the boundaries and other in-range
//! forms (which must be accepted), and values just out of range, non-finite
//! values and odd forms (which must be rejected with exit status 2, one line
//! on stderr naming the flag and its range, nothing on stdout and no folder
//! created). The hidden flag `--check-args` makes an example check its
//! command line and exit without running, so the whole table takes seconds.

mod common;

use common::{command_for, example_bin, temp_dir};
use std::path::Path;

/// What a flag takes, as its `--help` line states it.
#[derive(Debug, Clone, PartialEq)]
enum Takes {
    /// A range `(lo..=hi)`: whole numbers or finite numbers (told apart by
    /// trying a fraction).
    Range(String, String),
    /// Anything else that takes a value (a name from a list, an
    /// initialization): only its default is known to be valid.
    Other(String),
}

#[derive(Debug)]
struct Flag {
    name: String,
    takes: Takes,
}

/// The flags that take a value, from `--help` (except `--out`, a folder,
/// attacked in `cli.rs`).
fn flags(help: &str) -> Vec<Flag> {
    // Entries start at lines whose first word is a flag; a description may
    // continue on the following lines.
    let mut entries: Vec<String> = Vec::new();
    for line in help.lines() {
        let t = line.trim_start();
        if t.starts_with("--") || t.starts_with("-h, --") {
            entries.push(t.to_string());
        } else if let Some(last) = entries.last_mut().filter(|_| !t.is_empty()) {
            last.push(' ');
            last.push_str(t);
        }
    }
    entries
        .iter()
        .filter_map(|e| {
            let name: String = e
                .strip_prefix("--")?
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            let rest = &e[2 + name.len()..];
            if !rest.trim_start().starts_with('<') || name == "out" {
                return None;
            }
            let range = rest.split('(').skip(1).find_map(|s| {
                let inner = s.split(')').next()?;
                let inner = inner.rsplit(' ').next()?;
                let (lo, hi) = inner.split_once("..=")?;
                Some(Takes::Range(lo.to_string(), hi.to_string()))
            });
            let default = rest
                .split("[default: ")
                .nth(1)
                .and_then(|d| d.split(']').next())
                .unwrap_or("")
                .to_string();
            Some(Flag {
                name: format!("--{name}"),
                takes: range.unwrap_or(Takes::Other(default)),
            })
        })
        .collect()
}

/// The exit status, stdout and stderr of `example --out DIR --check-args
/// FLAG VALUE`; panics if DIR was created.
fn check(example: &Path, dir: &Path, flag: &str, value: &str) -> (Option<i32>, String, String) {
    let out = command_for(example)
        .arg("--out")
        .arg(dir)
        .arg("--check-args")
        .args([flag, value])
        .output()
        .expect("example runs");
    assert!(
        !dir.exists(),
        "{}: {flag} {value:?} created the output folder",
        example.display()
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `None` if `flag value` is accepted, else what went wrong.
fn accepted(example: &Path, dir: &Path, flag: &str, value: &str) -> Option<String> {
    let (code, stdout, stderr) = check(example, dir, flag, value);
    (code != Some(0) || !stdout.is_empty())
        .then(|| format!("{flag} {value:?} is in range but got exit {code:?}: {stderr}"))
}

/// `None` if `flag value` is rejected as it should be: exit status 2, one
/// line on stderr naming the flag (and stating `range`, if given), nothing
/// on stdout; else what went wrong.
fn rejected(
    example: &Path,
    dir: &Path,
    flag: &str,
    value: &str,
    range: Option<&str>,
) -> Option<String> {
    let (code, stdout, stderr) = check(example, dir, flag, value);
    if code != Some(2) {
        Some(format!("{flag} {value:?}: exit {code:?}, not 2: {stderr}"))
    } else if stderr.trim_end().lines().count() != 1 || !stderr.contains(flag) || !stdout.is_empty()
    {
        Some(format!(
            "{flag} {value:?}: not one line naming {flag}: {stderr}"
        ))
    } else {
        range
            .filter(|r| !stderr.contains(r))
            .map(|r| format!("{flag} {value:?}: the message does not state {r}: {stderr}"))
    }
}

/// The values to try on one flag: (in range, out of range or malformed,
/// the range as error messages state it).
fn values(example: &Path, dir: &Path, flag: &Flag) -> (Vec<String>, Vec<String>, Option<String>) {
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let (lo_text, hi_text) = match &flag.takes {
        Takes::Other(default) => {
            return (
                vec![default.clone()],
                strings(&["no-such-value", "", "-1", "nan"]),
                None,
            );
        }
        Takes::Range(lo, hi) => (lo.clone(), hi.clone()),
    };
    let (lo, hi): (f64, f64) = (lo_text.parse().unwrap(), hi_text.parse().unwrap());
    // A flag that takes whole numbers rejects a fraction in its range.
    let fraction = lo.floor() + 0.5;
    let whole =
        fraction <= hi && check(example, dir, &flag.name, &fraction.to_string()).0 == Some(2);
    if whole {
        let lo: u128 = lo_text.parse().expect("a whole lower bound");
        let hi: u128 = hi_text.parse().expect("a whole upper bound");
        let below = if lo == 0 {
            "-1".to_string()
        } else {
            (lo - 1).to_string()
        };
        let mut bad = vec![below, (hi + 1).to_string(), format!("{lo}.5")];
        bad.extend(strings(&[
            "-0.5", "nan", "inf", "-inf", "", "x", "0x10", "1e3", "1,5", "- 1",
        ]));
        let ok = vec![
            lo.to_string(),
            hi.to_string(),
            format!("+{lo}"),
            format!("0{hi}"),
        ];
        (ok, bad, Some(format!("{lo}..={hi}")))
    } else {
        let mut ok = vec![
            lo_text,
            hi_text,
            format!("{lo:e}"),
            format!("{hi:e}"),
            format!("{lo:e}")
                .replace("e-", "e=")
                .replace('e', "e+")
                .replace("e+=", "e-"),
            ((lo + hi) / 2.0).to_string(),
        ];
        if lo < 0.0 {
            ok.extend([format!("{:e}", lo / 10.0), "-.5".into(), "-0".into()]);
        }
        if lo < 1e-3 && hi > 1e-3 {
            ok.push(".001".into());
        }
        let mut bad = vec![lo.next_down().to_string(), hi.next_up().to_string()];
        bad.extend(strings(&[
            "nan", "NaN", "inf", "-inf", "infinity", "1e400", "-1e400", "", "x", "1,5", "0x10",
            "1e",
        ]));
        (ok, bad, Some(format!("[{lo}, {hi}]")))
    }
}

/// Attacks every flag of one example; returns the failures (empty if none)
/// and how many values were tried.
fn attack(name: &str) -> (Vec<String>, usize) {
    let bin = example_bin(name);
    let help = String::from_utf8(command_for(&bin).arg("--help").output().unwrap().stdout).unwrap();
    let flags = flags(&help);
    assert!(flags.len() >= 6, "{name}: found only {flags:?} in\n{help}");
    assert!(
        flags.iter().any(|f| f.name == "--seed"),
        "{name}: no --seed"
    );
    let scratch = temp_dir(&format!("values-{name}"));
    let dir = scratch.join("never-created");
    let mut failures = Vec::new();
    let mut tried = 0;
    for flag in &flags {
        let f = flag.name.as_str();
        let (ok, bad, range) = values(&bin, &dir, flag);
        tried += ok.len() + bad.len() + 1;
        failures.extend(ok.iter().filter_map(|v| accepted(&bin, &dir, f, v)));
        failures.extend(
            bad.iter()
                .filter_map(|v| rejected(&bin, &dir, f, v, range.as_deref())),
        );
        // The flag without its value.
        let out = command_for(&bin)
            .arg("--out")
            .arg(&dir)
            .arg(f)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(2)
            || !stderr.contains(f)
            || stderr.trim_end().lines().count() != 1
        {
            failures.push(format!(
                "{f} without a value: {:?} {stderr}",
                out.status.code()
            ));
        }
        assert!(
            !dir.exists(),
            "{name}: {f} without a value created the folder"
        );
    }
    let failures = failures
        .into_iter()
        .map(|m| format!("{name}: {m}"))
        .collect();
    (failures, tried)
}

#[test]
fn every_flag_accepts_its_whole_range_and_rejects_everything_else() {
    let mut examples: Vec<String> = std::fs::read_dir(common::root().join("examples"))
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            (path.extension()? == "rs").then(|| path.file_stem().unwrap().to_string_lossy().into())
        })
        .collect();
    examples.sort();
    assert!(examples.len() >= 7, "found only {examples:?}");
    for name in &examples {
        example_bin(name); // build each once, before the threads
    }
    let results: Vec<(Vec<String>, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = examples
            .iter()
            .map(|n| s.spawn(move || attack(n)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let tried: usize = results.iter().map(|r| r.1).sum();
    let failures: Vec<String> = results.into_iter().flat_map(|r| r.0).collect();
    assert!(tried > 500, "only {tried} values tried");
    assert!(
        failures.is_empty(),
        "{} of {tried} values misbehaved:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn help_parsing_finds_ranges_and_other_values() {
    let help = "Options:\n      --seed <SEED>  Seed (any whole number 0..=18446744073709551615) [default: 42]\n      --out <DIR>  Folder\n      --json  Print\n      --activation <A>\n          Hidden activation: tanh, relu [default: tanh]\n      --lr <LR>  Rate (1e-6..=10) [default: 0.05]\n";
    let found = flags(help);
    let names: Vec<&str> = found.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["--seed", "--activation", "--lr"]);
    assert_eq!(
        found[0].takes,
        Takes::Range("0".into(), "18446744073709551615".into())
    );
    assert_eq!(found[1].takes, Takes::Other("tanh".into()));
    assert_eq!(found[2].takes, Takes::Range("1e-6".into(), "10".into()));
}
