//! The live figures (`stable_learning::book::live`): every chapter has one,
//! at the book's values it draws the printed figure byte for byte, moving a
//! control changes it, and the command line it shows writes exactly the
//! figure it drew. (The browser's side, the same module compiled to
//! WebAssembly, is checked by tools/browser-check.)

mod common;

use common::{root, run_example_into, temp_dir};
use stable_learning::book::live::{self, FIGURES};

/// A setting per live figure that changes it (and keeps the example quick).
const MOVED: &[(&str, &[(&str, &str)])] = &[
    ("gradients", &[("factors", "50"), ("seed", "7")]),
    (
        "symmetry",
        &[("epochs", "2"), ("seeds", "2"), ("dropout", "0.3")],
    ),
    ("xavier", &[("width", "200"), ("activation", "relu")]),
    ("he", &[("depth", "10"), ("init", "torch-linear")]),
    (
        "order_chaos",
        &[("width", "100"), ("seeds", "2"), ("chaotic", "2.5")],
    ),
    ("covariate_shift", &[("trials", "20"), ("test-mean", "0.5")]),
    (
        "label_shift",
        &[("seeds", "1"), ("trials", "4"), ("rho", "0.8")],
    ),
    ("concept_shift", &[("trials", "20"), ("angle", "90")]),
    (
        "feedback",
        &[("steps", "2000"), ("epsilon", "0.2"), ("arms", "0.2,0.8")],
    ),
];

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect()
}

#[test]
fn every_chapter_shows_its_live_figure_under_the_printed_one() {
    let mut examples: Vec<String> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    examples.sort();
    let mut names: Vec<String> = FIGURES.iter().map(|f| f.name.to_string()).collect();
    names.sort();
    assert_eq!(names, examples, "one live figure per example");
    for f in FIGURES {
        let chapter =
            std::fs::read_to_string(root().join(format!("chapters/{}.md", f.name))).unwrap();
        let img = chapter
            .find(&format!("<img src=\"figures/{}/{}\"", f.name, f.figure))
            .unwrap_or_else(|| panic!("chapters/{}.md shows no {}", f.name, f.figure));
        let include = chapter
            .find(&format!("{{{{#include figures/{}/live.html}}}}", f.name))
            .unwrap_or_else(|| panic!("chapters/{}.md does not include its live.html", f.name));
        let between = &chapter[img..include];
        assert!(
            include > img && between.matches("<img").count() == 1 && between.contains("</figure>"),
            "chapters/{}.md: live.html belongs right under the figure {}",
            f.name,
            f.figure
        );
        assert!(
            MOVED.iter().any(|(n, _)| *n == f.name),
            "no moved setting for {}",
            f.name
        );
    }
}

#[test]
fn at_the_books_values_each_live_figure_is_the_printed_one() {
    for f in FIGURES {
        let drawn = live::draw(f.name, &[], &mut stable_learning::quiet).unwrap();
        let printed = std::fs::read_to_string(
            root().join(format!("chapters/figures/{}/{}", f.name, f.figure)),
        )
        .unwrap();
        assert!(
            drawn.svg == printed,
            "the live {} differs from chapters/figures/{}/{}",
            f.name,
            f.name,
            f.figure
        );
        assert_eq!(drawn.command, format!("cargo run --example {}", f.name));
        assert!(drawn.table_html.starts_with("<table>") && drawn.table_html.contains("<td"));
    }
}

#[test]
fn a_moved_control_changes_the_figure_and_its_command_writes_that_figure() {
    let out = temp_dir("live-commands");
    for (name, pairs) in MOVED {
        let f = live::find(name).unwrap();
        let drawn = live::draw(name, &owned(pairs), &mut stable_learning::quiet).unwrap();
        let printed =
            std::fs::read_to_string(root().join(format!("chapters/figures/{name}/{}", f.figure)))
                .unwrap();
        assert!(
            drawn.svg != printed,
            "{name}: moving {pairs:?} left the figure as printed"
        );
        // The command line, as the page shows it, run as a reader would.
        let (program, flags) = drawn.command.split_once(" -- ").expect("flags after --");
        assert_eq!(program, format!("cargo run --example {name}"));
        for (flag, value) in pairs.iter() {
            assert!(
                flags.contains(&format!("--{flag} {value}")),
                "{name}: {flags}"
            );
        }
        let dir = out.join(name);
        let args: Vec<&str> = flags.split(' ').collect();
        run_example_into(name, &dir, &args);
        let written = std::fs::read_to_string(dir.join(f.figure)).unwrap();
        assert!(
            written == drawn.svg,
            "{name}: `{}` wrote another {} than the live figure drew",
            drawn.command,
            f.figure
        );
    }
}
