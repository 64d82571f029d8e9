//! The command line every example shares: help, bad input, determinism.

mod common;

use common::{run_example, temp_dir};

/// Every example, discovered from `examples/` (a new chapter's example is
/// checked without being listed here).
fn examples() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(common::root().join("examples"))
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            (path.extension()? == "rs").then(|| path.file_stem().unwrap().to_string_lossy().into())
        })
        .collect();
    names.sort();
    assert!(names.len() >= 7, "found only {names:?} in examples/");
    names
}

/// The long flags an example's `--help` lists (`--name`, one per option line).
fn flags_in_help(help: &str) -> Vec<String> {
    help.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let l = l.strip_prefix("-h, ").unwrap_or(l);
            let flag: String = l
                .strip_prefix("--")?
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (!flag.is_empty()).then(|| format!("--{flag}"))
        })
        .collect()
}

#[test]
fn help_lists_every_flag_with_its_default() {
    for name in examples() {
        let out = run_example(&name, &["--help"]);
        assert!(out.status.success());
        let help = String::from_utf8(out.stdout).unwrap();
        let flags = flags_in_help(&help);
        assert!(flags.len() >= 6, "{name} --help lists only {flags:?}");
        for flag in flags
            .iter()
            .filter(|f| !["--out", "--json", "--help"].contains(&f.as_str()))
        {
            let line = help
                .lines()
                .skip_while(|l| !l.trim_start().starts_with(&format!("{flag} ")))
                .take(3)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                line.contains("[default: "),
                "{name} --help: {flag} has no default shown:\n{help}"
            );
        }
        for always in ["--seed", "--out <DIR>", "--json", "--help"] {
            assert!(help.contains(always), "{name} --help lacks {always}");
        }
    }
}

#[test]
fn bad_values_exit_2_name_the_flag_and_touch_nothing() {
    let scratch = temp_dir("cli-file");
    let not_a_dir = scratch.join("plain-file");
    std::fs::write(&not_a_dir, b"x").unwrap();
    let under_file = not_a_dir.join("figures");
    type Cases<'a> = &'a [(&'a [&'a str], &'a str)];
    let gradients: Cases = &[
        (&["--depth", "0"], "--depth"),
        (&["--depth", "-3"], "--depth"),
        (&["--width", "many"], "--width"),
        (&["--scale", "NaN"], "--scale"),
        (&["--scale", "inf"], "--scale"),
        (&["--lr", "-0.1"], "--lr"),
        (&["--trials"], "--trials"),
        (&["--batch", "5000"], "--batch"),
        (&["--seed", "-1"], "--seed"),
        (&["--no-such-flag"], "--no-such-flag"),
    ];
    let symmetry: Cases = &[
        (&["--hidden", "1"], "--hidden"),
        (&["--value", "nan"], "--value"),
        (&["--epochs", "0"], "--epochs"),
        (&["--dropout", "1"], "--dropout"),
        (&["--lr", "1e9"], "--lr"),
        (&["--batch"], "--batch"),
    ];
    let xavier: Cases = &[
        (&["--depth", "0"], "--depth"),
        (&["--width", "100000"], "--width"),
        (&["--activation", "softplus"], "--activation"),
        (&["--init", "lecun"], "--init"),
        (&["--init", "normal"], "--init"),
        (&["--init", "normal:-1"], "--init"),
        (&["--lr", "inf"], "--lr"),
        (&["--minibatch", "0"], "--minibatch"),
    ];
    let he: Cases = &[
        (&["--depth", "-30"], "--depth"),
        (&["--deep-depth", "0"], "--deep-depth"),
        (&["--deep-width", "1"], "--deep-width"),
        (&["--init", "xavier-normal:abc"], "--init"),
        (&["--epochs", "1.5"], "--epochs"),
        (&["--train-width"], "--train-width"),
    ];
    let covariate_shift: Cases = &[
        (&["--n-train", "5"], "--n-train"),
        (&["--train-std", "0"], "--train-std"),
        (&["--noise", "NaN"], "--noise"),
        (&["--alpha", "0.9"], "--alpha"),
        (&["--digits-shift", "-1"], "--digits-shift"),
        (&["--permutations", "lots"], "--permutations"),
    ];
    let label_shift: Cases = &[
        (&["--m", "0"], "--m"),
        (&["--rho", "1.5"], "--rho"),
        (&["--class", "10"], "--class"),
        (&["--alpha", "inf"], "--alpha"),
        (&["--small-source", "10"], "--small-source"),
        (&["--max-m"], "--max-m"),
    ];
    let concept_shift: Cases = &[
        (&["--length", "100"], "--length"),
        (&["--change-at", "1"], "--change-at"),
        (&["--angle", "270"], "--angle"),
        (&["--noise", "0.5"], "--noise"),
        (&["--adwin-delta", "0"], "--adwin-delta"),
        (&["--ph-lambda", "-5"], "--ph-lambda"),
    ];
    let order_chaos: Cases = &[
        (&["--sigma-b2", "-0.1"], "--sigma-b2"),
        (&["--chaotic", "inf"], "--chaotic"),
        (&["--width", "1"], "--width"),
        (&["--jacobian-depth", "0"], "--jacobian-depth"),
        (&["--epochs", "1000"], "--epochs"),
        (&["--lr", "0"], "--lr"),
        (&["--train-seeds", "many"], "--train-seeds"),
        (&["--grid", "huge"], "--grid"),
    ];
    let feedback: Cases = &[
        (&["--arms", "0.5"], "--arms"),
        (&["--arms", "0.5,1.5"], "--arms"),
        (&["--steps", "5"], "--steps"),
        (&["--epsilon", "-0.1"], "--epsilon"),
        (&["--rates-a", "0"], "--rates-a"),
        (&["--days", "1"], "--days"),
        (&["--loss", "0"], "--loss"),
        (&["--explore", "0"], "--explore"),
        (&["--applicants", "10"], "--applicants"),
    ];
    let all_cases = [
        ("gradients", gradients),
        ("symmetry", symmetry),
        ("xavier", xavier),
        ("he", he),
        ("order_chaos", order_chaos),
        ("covariate_shift", covariate_shift),
        ("label_shift", label_shift),
        ("concept_shift", concept_shift),
        ("feedback", feedback),
    ];
    for name in examples() {
        assert!(
            all_cases.iter().any(|(n, c)| *n == name && c.len() >= 5),
            "{name}: give it at least five bad inputs here"
        );
    }
    for (name, args, flag) in all_cases
        .iter()
        .flat_map(|(name, cases)| cases.iter().map(move |(a, f)| (name, a, f)))
    {
        let parent = temp_dir("cli-bad");
        let out_dir = parent.join("never-created");
        let mut all = vec!["--out", out_dir.to_str().unwrap()];
        all.extend_from_slice(args);
        let out = run_example(name, &all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{args:?}: not one line:\n{stderr}"
        );
        assert!(
            stderr.contains(flag),
            "{args:?}: message does not name {flag}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: printed results");
        assert!(!out_dir.exists(), "{args:?}: the output folder was created");
    }
    // Out-of-range messages state the allowed range.
    let out = run_example("gradients", &["--depth", "0"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("1..=1000"));
    // An output folder that cannot be created.
    let out = run_example("gradients", &["--out", under_file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--out"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}

#[test]
fn same_seed_gives_byte_identical_figures_and_json() {
    let (a, b) = (temp_dir("cli-det-a"), temp_dir("cli-det-b"));
    let args = ["--json", "--trials", "20", "--depth", "12", "--seed", "5"];
    let run = |dir: &std::path::Path| {
        let mut all = vec!["--out", dir.to_str().unwrap()];
        all.extend_from_slice(&args);
        let out = run_example("gradients", &all);
        assert!(out.status.success());
        out.stdout
    };
    let (ja, jb) = (run(&a), run(&b));
    // The JSON names the output folder; everything else must match.
    let strip = |j: &[u8], dir: &std::path::Path| {
        String::from_utf8_lossy(j).replace(dir.to_str().unwrap(), "OUT")
    };
    assert_eq!(strip(&ja, &a), strip(&jb, &b));
    let mut files: Vec<_> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    for f in files {
        assert_eq!(
            std::fs::read(a.join(&f)).unwrap(),
            std::fs::read(b.join(&f)).unwrap(),
            "{f:?} differs"
        );
    }
    // And another seed gives other numbers.
    let c = temp_dir("cli-det-c");
    let mut all = vec!["--out", c.to_str().unwrap()];
    all.extend_from_slice(&["--json", "--trials", "20", "--depth", "12", "--seed", "6"]);
    let jc = run_example("gradients", &all).stdout;
    assert_ne!(strip(&ja, &a), strip(&jc, &c));
}

#[test]
fn custom_parameters_never_write_into_the_book() {
    // Without --out, a non-default run writes to target/figures/NAME.
    let out = run_example(
        "gradients",
        &["--trials", "3", "--depth", "3", "--seed", "9"],
    );
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let written: Vec<&str> = stdout.lines().filter(|l| l.starts_with("  /")).collect();
    assert!(
        written
            .iter()
            .any(|l| l.contains("target/figures/gradients/")),
        "{stdout}"
    );
    assert!(
        !written.iter().any(|l| l.contains("chapters/figures")),
        "{stdout}"
    );
}

/// A tiny, fast gradients run into `dir` (with `extra` flags).
fn tiny_gradients(dir: &std::path::Path, extra: &[&str]) -> std::process::Command {
    let mut cmd = common::example_command("gradients");
    cmd.arg("--out").arg(dir).args([
        "--depth",
        "1",
        "--width",
        "2",
        "--batch",
        "1",
        "--trials",
        "1",
        "--factors",
        "2",
    ]);
    cmd.args(extra);
    cmd
}

#[test]
fn json_keeps_infinities_and_nans() {
    // A 1000-layer scalar chain overflows: the table says inf, and so must
    // the JSON (serde_json alone would write null).
    let dir = temp_dir("cli-json-inf");
    let out = tiny_gradients(&dir, &["--json", "--chain-depth", "1000"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = doc.to_string();
    assert!(!text.contains("null"), "a value was lost: {text}");
    assert_eq!(
        doc.pointer("/results/clipping/final_loss_plain"),
        Some(&serde_json::json!("inf")),
        "{text}"
    );
}

#[test]
fn minus_zero_is_zero() {
    // "-0" is the number 0: the run records 0 (and so counts as a default
    // run, never rewriting a committed figure with "-0" in it).
    let dir = temp_dir("cli-minus-zero");
    let out = run_example(
        "covariate_shift",
        &[
            "--out",
            dir.to_str().unwrap(),
            "--json",
            "--test-mean",
            "-0",
            "--trials",
            "1",
            "--power-trials",
            "1",
            "--permutations",
            "1",
            "--digits-repeats",
            "1",
            "--n-target",
            "10",
            "--power-n",
            "4",
        ],
    );
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mean = doc
        .pointer("/parameters/test_mean")
        .and_then(serde_json::Value::as_f64)
        .unwrap_or_else(|| panic!("no test_mean in {doc}"));
    assert!(mean == 0.0 && mean.is_sign_positive(), "{mean:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn output_that_cannot_be_written_is_an_error_not_a_panic() {
    use std::process::Stdio;
    let dir = temp_dir("cli-full");
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let cases: [(&str, std::process::Command); 4] = [
        ("--json > /dev/full", {
            let mut c = tiny_gradients(&dir, &["--json"]);
            c.stdout(full()).stderr(Stdio::piped());
            c
        }),
        ("--json 2> /dev/full", {
            let mut c = tiny_gradients(&dir, &["--json"]);
            c.stdout(Stdio::null()).stderr(full());
            c
        }),
        ("--depth 0 2> /dev/full", {
            let mut c = common::example_command("gradients");
            c.args(["--depth", "0"]).stderr(full());
            c
        }),
        ("--help > /dev/full", {
            let mut c = common::example_command("gradients");
            c.arg("--help").stdout(full()).stderr(Stdio::piped());
            c
        }),
    ];
    for (what, mut cmd) in cases {
        let out = cmd.output().unwrap();
        let code = out.status.code();
        assert!(
            code.is_some_and(|c| c != 0 && c != 101),
            "{what}: exit {code:?} (0 loses the output silently, 101 is a panic)"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        if what.contains("> /dev/full") && !what.contains("2>") {
            assert!(stderr.contains("cannot write"), "{what}: {stderr}");
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_run_removes_temporary_files_that_killed_runs_left() {
    // A temporary file of a process that no longer runs (pid beyond Linux's
    // maximum) is stale; one of a running process (this test) is not.
    let staging = common::root().join("target/.staging");
    std::fs::create_dir_all(&staging).unwrap();
    let stale = staging.join(format!(".left-by-test.svg.{}.tmp", 99_999_999));
    let live = staging.join(format!(".left-by-test.svg.{}.tmp", std::process::id()));
    std::fs::write(&stale, b"half a figure").unwrap();
    std::fs::write(&live, b"being written").unwrap();
    let dir = temp_dir("cli-stale");
    let out = tiny_gradients(&dir, &[]).output().unwrap();
    assert!(out.status.success());
    let (stale_left, live_left) = (stale.exists(), live.exists());
    let _ = std::fs::remove_file(&live);
    assert!(
        !stale_left,
        "the killed run's temporary file is still there"
    );
    assert!(live_left, "a running process's temporary file was removed");
}

/// Repetitions run on every core, and the number of threads changes only
/// the wall time: one thread and three give the same bytes in every figure,
/// table and JSON result.
#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let cases: &[(&str, &[&str])] = &[
        (
            "xavier",
            &["--seeds", "3", "--epochs", "1", "--width", "50"],
        ),
        ("concept_shift", &["--trials", "6", "--length", "3000"]),
        (
            "gradients",
            &["--seeds", "3", "--trials", "20", "--depth", "10"],
        ),
        (
            "label_shift",
            &["--seeds", "3", "--trials", "2", "--max-m", "200"],
        ),
        (
            "he",
            &[
                "--seeds",
                "3",
                "--epochs",
                "1",
                "--depth",
                "5",
                "--deep-depth",
                "10",
            ],
        ),
    ];
    for (name, args) in cases {
        let run = |threads: &str| {
            let dir = temp_dir(&format!("cli-threads-{name}-{threads}"));
            let mut all = vec![
                "--json",
                "--threads",
                threads,
                "--out",
                dir.to_str().unwrap(),
            ];
            all.extend_from_slice(args);
            let out = run_example(name, &all);
            assert!(out.status.success(), "{name} --threads {threads}");
            let text = String::from_utf8_lossy(&out.stdout).replace(dir.to_str().unwrap(), "OUT");
            let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
            let given = json["parameters"]["threads"].take();
            assert_eq!(given, serde_json::json!(threads.parse::<u64>().unwrap()));
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            files.sort();
            let bytes: Vec<Vec<u8>> = files
                .iter()
                .map(|f| std::fs::read(dir.join(f)).unwrap())
                .collect();
            (json, files, bytes)
        };
        let (one, three) = (run("1"), run("3"));
        assert_eq!(one.0, three.0, "{name}: JSON");
        assert_eq!(one.1, three.1, "{name}: files");
        for (f, (a, b)) in one.1.iter().zip(one.2.iter().zip(&three.2)) {
            assert!(a == b, "{name}: {f:?} depends on the number of threads");
        }
    }
}
