//! The book is consistent: every chapter is in SUMMARY.md, every figure it
//! shows exists, has alt text and a caption, and is written by its example;
//! every `{{#include}}` file and anchor exists; and the committed figures are
//! exactly what the examples produce now.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{root, run_example, temp_dir};

fn chapters() -> Vec<(String, String)> {
    let dir = root().join("chapters");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// The text between each `open` and the next `close`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(open) {
        rest = &rest[i + open.len()..];
        let Some(j) = rest.find(close) else { break };
        out.push(&rest[..j]);
        rest = &rest[j + close.len()..];
    }
    out
}

#[test]
fn every_chapter_is_in_the_summary_and_every_link_exists() {
    let summary = std::fs::read_to_string(root().join("chapters/SUMMARY.md")).unwrap();
    let linked: BTreeSet<&str> = between(&summary, "](", ")").into_iter().collect();
    for link in &linked {
        assert!(
            root().join("chapters").join(link).exists(),
            "SUMMARY.md links to missing {link}"
        );
    }
    for (name, _) in chapters() {
        if name != "SUMMARY.md" {
            assert!(
                linked.contains(name.as_str()),
                "{name} is not in SUMMARY.md"
            );
        }
    }
}

#[test]
fn every_chapter_snippet_is_compiled_by_cargo_test() {
    // `cargo test` runs a chapter's Rust snippets only if src/lib.rs lists
    // the chapter in its doctest module; a forgotten entry would skip them.
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    for (name, _) in chapters() {
        if name != "SUMMARY.md" {
            let entry = format!("include_str!(\"../chapters/{name}\")");
            assert!(
                lib.contains(&entry),
                "src/lib.rs does not doctest {name}: add `#[doc = {entry}]` to `mod chapters`"
            );
        }
    }
}

#[test]
fn every_example_belongs_to_a_chapter_with_tests() {
    let all: String = chapters().into_iter().map(|(_, text)| text).collect();
    let mut examples = 0;
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        examples += 1;
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(
            root().join(format!("chapters/{name}.md")).exists(),
            "examples/{name}.rs has no chapter chapters/{name}.md"
        );
        assert!(
            all.contains(&format!("cargo run --example {name}")),
            "no chapter tells the reader to run `cargo run --example {name}`"
        );
        assert!(
            root().join(format!("tests/{name}_chapter.rs")).exists(),
            "examples/{name}.rs has no tests/{name}_chapter.rs checking its chapter's numbers"
        );
    }
    assert!(examples >= 7, "found only {examples} examples");
}

#[test]
fn every_figure_exists_has_alt_text_and_a_caption_and_is_written_by_its_example() {
    let mut seen = 0;
    for (name, text) in chapters() {
        for figure in between(&text, "<figure>", "</figure>") {
            seen += 1;
            let src = between(figure, "src=\"", "\"")[0];
            let path = root().join("chapters").join(src);
            assert!(path.exists(), "{name}: figure {src} does not exist");
            let alt = between(figure, "alt=\"", "\"");
            assert!(
                alt.first().is_some_and(|a| a.len() > 30),
                "{name}: {src} needs alt text that says what it shows"
            );
            let caption = between(figure, "<figcaption>", "</figcaption>");
            let caption = caption
                .first()
                .unwrap_or_else(|| panic!("{name}: {src} has no caption"));
            assert!(
                caption.starts_with("Figure "),
                "{name}: {src}: captions are numbered"
            );
            // figures/<example>/<file>: the example must write that file.
            let mut parts = src.split('/').skip(1);
            let (example, file) = (parts.next().unwrap(), parts.next().unwrap());
            assert!(
                caption.contains(&format!("cargo run --example {example}")),
                "{name}: {src}: caption must say how to regenerate it"
            );
            let source =
                std::fs::read_to_string(root().join("examples").join(format!("{example}.rs")))
                    .unwrap_or_else(|_| panic!("{name}: {src}: no examples/{example}.rs"));
            assert!(
                source.contains(&format!("\"{file}\"")),
                "{name}: examples/{example}.rs never writes {file}"
            );
        }
        assert!(
            !text.lines().any(|l| l.trim_start().starts_with("![")),
            "{name}: show images as <figure> with alt text and a caption"
        );
    }
    assert!(seen >= 5, "expected the chapters' figures, found {seen}");
}

#[test]
fn every_include_and_anchor_exists() {
    let mut seen = 0;
    for (name, text) in chapters() {
        for directive in between(&text, "{{#include ", "}}") {
            seen += 1;
            let (file, anchor) = match directive.trim().split_once(':') {
                Some((f, a)) => (f, Some(a)),
                None => (directive.trim(), None),
            };
            let path = root().join("chapters").join(file);
            let content = std::fs::read_to_string(&path)
                .unwrap_or_else(|_| panic!("{name}: include {file} does not exist"));
            if let Some(anchor) = anchor {
                assert!(
                    content.contains(&format!("ANCHOR: {anchor}\n"))
                        && content.contains(&format!("ANCHOR_END: {anchor}\n")),
                    "{name}: {file} has no anchor {anchor}"
                );
            }
        }
    }
    assert!(seen > 0);
}

/// The lines between `// ANCHOR: name` and `// ANCHOR_END: name` in `content`.
fn anchored<'a>(content: &'a str, anchor: &str) -> Vec<&'a str> {
    content
        .lines()
        .skip_while(|l| l.trim() != format!("// ANCHOR: {anchor}"))
        .skip(1)
        .take_while(|l| l.trim() != format!("// ANCHOR_END: {anchor}"))
        .filter(|l| !l.trim_start().starts_with("// ANCHOR"))
        .collect()
}

#[test]
fn every_included_listing_is_a_whole_item() {
    // A listing the reader sees is a complete function, type or impl (with
    // its doc comment), never a fragment of a longer body: it starts at an
    // item, ends with the item's closing brace, and its braces balance.
    let starts = [
        "pub fn ",
        "fn ",
        "pub struct ",
        "struct ",
        "pub enum ",
        "enum ",
        "impl",
        "pub const ",
        "const ",
        "#[",
        "///",
        "//!",
        "use ",
        "pub type ",
    ];
    let mut seen = 0;
    for (name, text) in chapters() {
        for directive in between(&text, "{{#include ", "}}") {
            let Some((file, anchor)) = directive.trim().split_once(':') else {
                continue;
            };
            if !file.ends_with(".rs") {
                continue;
            }
            seen += 1;
            let content = std::fs::read_to_string(root().join("chapters").join(file)).unwrap();
            let lines = anchored(&content, anchor);
            let first = lines
                .iter()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim());
            let last = lines
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim());
            let what = format!("{name}: {{{{#include {}}}}}", directive.trim());
            assert!(
                first.is_some_and(|f| starts.iter().any(|s| f.starts_with(s))),
                "{what} does not start at an item: {first:?}"
            );
            assert!(
                last.is_some_and(|l| l == "}" || l.ends_with(';')),
                "{what} does not end an item: {last:?}"
            );
            let body: String = lines.join("\n");
            let opened = body.matches('{').count();
            let closed = body.matches('}').count();
            assert_eq!(opened, closed, "{what}: braces do not balance");
        }
    }
    assert!(seen >= 7, "expected the chapters' listings, found {seen}");
}

#[test]
fn every_example_main_is_short() {
    // The examples are the chapters' command lines: `main` calls the
    // experiments and their reports; the experiments live in the library.
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines
            .iter()
            .position(|l| l.starts_with("fn main()"))
            .unwrap_or_else(|| panic!("{} has no main", path.display()));
        let len = lines[start..].iter().position(|l| *l == "}").unwrap() + 1;
        assert!(
            len <= 60,
            "{}: main is {len} lines (at most 60)",
            path.display()
        );
    }
}

/// Byte-for-byte: each chapters/figures/NAME/ equals a fresh default run of
/// the example NAME (written elsewhere with --out).
#[test]
fn committed_figures_equal_a_fresh_run() {
    let figures = root().join("chapters/figures");
    for entry in std::fs::read_dir(&figures).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let example = dir.file_name().unwrap().to_string_lossy().into_owned();
        let fresh = temp_dir(&format!("fresh-{example}"));
        let out = run_example(&example, &["--out", fresh.to_str().unwrap()]);
        assert!(out.status.success(), "{example} failed");
        let list = |d: &Path| -> BTreeSet<String> {
            std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        };
        assert_eq!(
            list(&dir),
            list(&fresh),
            "{example}: the set of figure files differs (stale or missing)"
        );
        for f in list(&dir) {
            assert!(
                std::fs::read(dir.join(&f)).unwrap() == std::fs::read(fresh.join(&f)).unwrap(),
                "chapters/figures/{example}/{f} is stale: run `cargo book` (or `cargo run --example {example}`) and commit"
            );
        }
    }
}

/// The appendix's prose quotes ratios from the measured table it includes
/// (`chapters/measurements/numpy.md`, written by the measuring script): a new
/// measurement that changes them must change the sentence too.
#[test]
fn the_appendix_quotes_its_measured_ratios() {
    let table = std::fs::read_to_string(root().join("chapters/measurements/numpy.md")).unwrap();
    let cell = |case: &str, column: usize| -> String {
        let row = table
            .lines()
            .find(|line| line.starts_with(&format!("| `{case}` |")))
            .unwrap_or_else(|| panic!("no row {case} in numpy.md"));
        row.split('|').nth(column).unwrap().trim().to_string()
    };
    let ratio = |case: &str| cell(case, 4);
    let number = |case: &str| -> f64 { ratio(case).parse().unwrap() };
    // "with single rounds on either side of 1"
    for case in [
        "matmul_256x1000x1000",
        "train_step_glorot_batch10",
        "train_step_glorot_batch256",
    ] {
        let range = cell(case, 5);
        let (low, high) = range.split_once('–').expect("a range low–high");
        let (low, high): (f64, f64) = (low.parse().unwrap(), high.parse().unwrap());
        assert!(
            low < 1.0 && high > 1.0,
            "{case}: rounds {range} are not on either side of 1"
        );
    }
    // "about one per cent on a product alone, and nothing we can measure on
    // a training step" (and README: "none on a training step").
    assert!((1.0..=1.02).contains(&number("matmul_256x1000x1000")));
    assert!(number("train_step_glorot_batch10") <= 1.0);
    assert!(number("train_step_glorot_batch256") <= 1.0);
    let prose = std::fs::read_to_string(root().join("chapters/performance.md")).unwrap();
    let prose = prose.split_whitespace().collect::<Vec<_>>().join(" ");
    let (step10, step256) = (
        ratio("train_step_glorot_batch10"),
        ratio("train_step_glorot_batch256"),
    );
    for sentence in [
        format!(
            "takes {} times OpenBLAS's time",
            ratio("matmul_256x1000x1000")
        ),
        format!(
            "a training step {step10} times NumPy's at minibatch 10 and {step256} times at minibatch 256"
        ),
        format!(
            "and now takes {} times NumPy's time",
            ratio("forward_1000_layers_width256")
        ),
    ] {
        assert!(
            prose.contains(&sentence),
            "performance.md should say: {sentence}"
        );
    }
    // The README quotes the same ratios.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    let sentence = format!(
        "takes {step10} times NumPy's time at minibatch 10 and {step256} times at 256, and a large matrix product {} times OpenBLAS's",
        ratio("matmul_256x1000x1000")
    );
    assert!(
        readme.contains(&sentence),
        "README.md should say: {sentence}"
    );
}

/// Every entry of a chapter's "References" carries a link a reader can follow
/// (a DOI, an arXiv page or a URL). An entry without one is listed here with
/// the reason; the list must stay short and true.
#[test]
fn every_reference_links_to_its_source() {
    // Newman 1986 (Communications in Mathematical Physics 103) and Golub &
    // Welsch 1969 (Mathematics of Computation 23): their DOIs could not be
    // checked against a source, and a wrong one is worse than none; volume
    // and pages are given instead.
    const UNLINKED: [&str; 2] = ["C. M. Newman (1986)", "G. H. Golub, J. H. Welsch (1969)"];
    let mut checked = 0;
    for (name, text) in chapters() {
        let Some((_, references)) = text.split_once("\n## References\n") else {
            continue;
        };
        // Up to the next heading, if any.
        let references = references.split("\n#").next().unwrap();
        for entry in references.split("\n- ").skip(1) {
            let entry = entry.split_whitespace().collect::<Vec<_>>().join(" ");
            checked += 1;
            if UNLINKED.iter().any(|u| entry.starts_with(u)) {
                assert!(
                    !entry.contains("http"),
                    "{name}: {entry} has a link now; drop it from UNLINKED"
                );
                continue;
            }
            assert!(
                entry.contains("](https://") || entry.contains("<https://"),
                "{name}: the reference \"{entry}\" has no DOI or URL link"
            );
        }
    }
    assert!(checked >= 35, "only {checked} references found");
}

/// "the `libm` crate's logarithm rounds the other way from the correctly
/// rounded one on 7 inputs in 100": counted over uniform draws in (0, 1), as
/// the tail of a normal draw takes its logarithm.
#[test]
fn the_appendix_quotes_how_often_libm_rounds_the_logarithm_the_other_way() {
    use rand::RngExt;
    use stable_learning::numeric::{math, normal::ln_rounded, random::stream};
    let mut rng = stream(5, "appendix_logarithms", 0);
    let n = 100_000;
    let other_way = (0..n)
        .filter(|_| {
            let x: f64 = rng.sample(rand::distr::Open01);
            ln_rounded(x) != math::ln(x)
        })
        .count();
    let per_100 = (100.0 * other_way as f64 / n as f64).round();
    let prose = std::fs::read_to_string(root().join("chapters/performance.md")).unwrap();
    let prose = prose.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        prose.contains(&format!(
            "rounds the other way from the correctly rounded one on {per_100} inputs in 100"
        )),
        "the appendix should say {per_100} inputs in 100 ({other_way} of {n})"
    );
}
