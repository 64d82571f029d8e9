//! Builds tiny books, with this repository's book.toml and CSS, through the
//! same pipeline as `main`.

use super::*;
use std::fs;
use std::sync::Arc;

/// A fresh directory under the system temp dir, removed when dropped.
struct TempBook(PathBuf);

impl TempBook {
    /// Writes book.toml and its additional CSS and JavaScript from this
    /// repository, and
    /// `files` (paths relative to the book's `src`).
    fn new(tag: &str, files: &[(&str, &str)]) -> TempBook {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("render-book-{tag}-{}-{nanos}", std::process::id()));
        let book = TempBook(dir);
        let repo = book_root().unwrap();
        let config = mdbook_driver::config::Config::from_disk(repo.join("book.toml")).unwrap();
        let mut copies = vec![PathBuf::from("book.toml")];
        let html = config.html_config().unwrap_or_default();
        copies.extend(html.additional_css);
        copies.extend(html.additional_js);
        for path in copies {
            book.write(&path, &fs::read_to_string(repo.join(&path)).unwrap());
        }
        for (path, text) in files {
            book.write(&config.book.src.join(path), text);
        }
        book
    }

    fn write(&self, path: &Path, text: &str) {
        let path = self.0.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// Renders the book as `main` does; returns index.html and mdBook's warnings.
    fn render(&self) -> (Result<PathBuf, String>, Vec<String>) {
        let warnings = Arc::new(WarningPrinter::default());
        let result = tracing::subscriber::with_default(warnings.clone(), || {
            let modules = [("live-module.js", b"\0asm".to_vec())];
            render(
                MDBook::load(&self.0).map_err(|e| format!("{e:#}"))?,
                &modules,
                || warnings.errors(),
            )
        });
        let seen = warnings.seen.lock().unwrap().clone();
        (result, seen)
    }
}

impl Drop for TempBook {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

const SUMMARY: &str = "# Summary\n\n- [Math](math.md)\n";

const CHAPTER: &str = r#"# Math

Inline \\( \frac{a_1 * b_2}{2} \\) and \\(f'(x)\\), then a display:

\\[
\sum_{i=1}^{n} x_i^2 \le \|w\|^2 \quad \text{for all ``good'' } w
\\]

Mid-paragraph \\[ [a, b] \subset \mathbb{R} \\] and on.

| value | meaning |
|-------|---------|
| \\( |x| < 1 \\) | small |

```text
\\( stays \\[ code \\]
```

Some `\\(inline code\\)` too.

```rust
fn main() {
    println!("\\\\(not math\\\\)");
}
```

{{#include included.md}}

<figure><img src="figures/x/y.svg" alt="y"><figcaption>Figure 1.1: \\(y = \sigma(x)\\)</figcaption></figure>
"#;

const INCLUDED: &str = "Included: \\\\( \\mathcal{L}(\\theta) \\\\)\n";

#[test]
fn renders_math_as_mathml_offline() {
    let book = TempBook::new(
        "ok",
        &[
            ("SUMMARY.md", SUMMARY),
            ("math.md", CHAPTER),
            ("included.md", INCLUDED),
        ],
    );
    let (result, warnings) = book.render();
    let index = result.unwrap();
    assert!(warnings.is_empty(), "mdBook warned: {warnings:?}");
    assert!(index.is_file(), "{}", index.display());
    let out = index.parent().unwrap();
    let html = fs::read_to_string(out.join("math.html")).unwrap();
    let main = &html[html.find("<main>").unwrap()..html.find("</main>").unwrap()];

    // Every formula, including the one from {{#include}} (so the math
    // preprocessor ran after `links`) and the one in the raw-HTML figure.
    assert_eq!(
        main.matches("<math display=\"inline\">").count(),
        5,
        "{main}"
    );
    assert_eq!(
        main.matches("<span class=\"math-display\"><math display=\"block\">")
            .count(),
        2
    );
    assert!(!main.contains("<merror"));
    for tex in [
        r"\frac{a_1 * b_2}{2}",
        r"\|w\|^2",
        r"\text{for all ``good'' } w",
        r"\mathcal{L}(\theta)",
        r"|x| &lt; 1",
        r"y = \sigma(x)",
    ] {
        assert!(main.contains(tex), "annotation {tex} missing in {main}");
    }
    // The table survived the `|` inside the formula.
    assert!(main.contains("<td>small</td>"), "{main}");

    // Code is untouched.
    assert!(main.contains(r"\\( stays \\[ code \\]"), "{main}");
    assert!(main.contains(r"<code>\\(inline code\\)</code>"), "{main}");
    // Rust blocks are not runnable, so the page never calls the playground.
    assert!(
        main.contains(r#"println!("\\\\(not math\\\\)");"#),
        "{main}"
    );
    assert!(!html.contains("class=\"playground\""));

    // No TeX delimiters are left where a reader would see them.
    let visible = strip(
        &strip(&strip(main, "<pre", "</pre>"), "<code", "</code>"),
        "<annotation",
        "</annotation>",
    );
    for delim in [r"\(", r"\)", r"\[", r"\]"] {
        assert!(!visible.contains(delim), "`{delim}` left in {visible}");
    }

    assert_no_remote_resources(out);
}

#[test]
fn tex_errors_fail_the_build() {
    let chapter = "# Math\n\nFine \\\\(x\\\\).\n\nBroken \\\\( \\frac{1}{2 \\\\).\n";
    let book = TempBook::new("bad", &[("SUMMARY.md", SUMMARY), ("math.md", chapter)]);
    let err = book.render().0.unwrap_err();
    assert!(
        err.contains("chapter \"Math\" (math.md): line 5: cannot parse TeX"),
        "{err}"
    );
    assert!(err.contains(r"\frac{1}{2"), "{err}");
    assert!(!err.contains('\n'), "{err}");
}

/// `text` without the parts from each `open` to the following `close`.
fn strip(text: &str, open: &str, close: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find(close)
            .map_or(rest.len(), |e| start + e + close.len());
        rest = &rest[end..];
    }
    out + rest
}

/// No page loads a script or stylesheet, and no stylesheet a font or image,
/// from another host.
fn assert_no_remote_resources(dir: &Path) {
    let remote = |url: &str| {
        let url = url.trim_matches(|c| c == '"' || c == '\'' || c == ' ');
        url.starts_with("http:") || url.starts_with("https:") || url.starts_with("//")
    };
    let mut pages = 0;
    for path in files_under(dir) {
        let name = path.display().to_string();
        if name.ends_with(".html") {
            pages += 1;
            let html = fs::read_to_string(&path).unwrap();
            for (tag, attr) in [("<script", "src="), ("<link", "href=")] {
                for (at, _) in html.match_indices(tag) {
                    let element = &html[at..at + html[at..].find('>').unwrap()];
                    if let Some(i) = element.find(attr) {
                        let value = &element[i + attr.len()..];
                        let value = value.split_whitespace().next().unwrap_or("");
                        assert!(!remote(value), "{name}: {element}>");
                    }
                }
            }
        } else if name.ends_with(".css") {
            let css = fs::read_to_string(&path).unwrap();
            for (at, _) in css.match_indices("url(") {
                assert!(
                    !remote(&css[at + 4..]),
                    "{name}: {}",
                    &css[at..at + 60.min(css.len() - at)]
                );
            }
        }
    }
    assert!(pages >= 3, "only {pages} pages in {}", dir.display());
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn unknown_arguments_are_usage_errors() {
    let args = |a: &[&str]| parse_args(a.iter().map(|s| s.to_string()));
    assert_eq!(
        args(&[]),
        Ok(Request::Render {
            skip_examples: false
        })
    );
    assert_eq!(
        args(&["--", "--skip-examples"]),
        Ok(Request::Render {
            skip_examples: true
        })
    );
    assert_eq!(args(&["-h"]), Ok(Request::Help));
    let err = args(&["--skip-example"]).unwrap_err();
    assert!(
        err.contains("`--skip-example`") && err.contains("--help"),
        "{err}"
    );
}

#[test]
fn finds_anchored_includes() {
    let line =
        r"a {{#include ../src/x.rs:top}} b \{{#include y.rs:no}} {{#rustdoc_include z.rs:4:9}}";
    assert_eq!(
        anchored_includes(line),
        vec![
            ("include ../src/x.rs:top", "../src/x.rs", "top"),
            ("rustdoc_include z.rs:4:9", "z.rs", "4:9"),
        ]
    );
    assert!(anchored_includes("{{#include whole.rs}}").is_empty());
}

/// A wrong anchor fails the build (mdBook alone would show an empty
/// listing), and a failed build leaves the previous book/ as it was.
#[test]
fn a_wrong_anchor_fails_and_keeps_the_previous_book() {
    let code = "// ANCHOR: here\nfn here() {}\n// ANCHOR_END: here\n";
    let good = "# Code\n\n```rust\n{{#include code.rs:here}}\n```\n";
    let summary = "# Summary\n\n- [Code](code.md)\n";
    let book = TempBook::new(
        "anchor",
        &[
            ("SUMMARY.md", summary),
            ("code.md", good),
            ("code.rs", code),
        ],
    );
    let index = book.render().0.unwrap();
    let page = fs::read_to_string(index.with_file_name("code.html")).unwrap();
    assert!(page.contains("here"), "the anchor's code is missing");
    assert!(
        index.starts_with(book.0.join("book")),
        "{}",
        index.display()
    );

    let config = mdbook_driver::config::Config::from_disk(book.0.join("book.toml")).unwrap();
    let bad = good.replace("code.rs:here", "code.rs:no_such_anchor");
    book.write(&config.book.src.join("code.md"), &bad);
    let err = book.render().0.unwrap_err();
    assert!(
        err.contains("code.md:4:") && err.contains("code.rs has no anchor `no_such_anchor`"),
        "{err}"
    );
    let kept = fs::read_to_string(index.with_file_name("code.html")).unwrap();
    assert_eq!(kept, page, "a failed render changed book/");

    // A failure inside mdBook (bad TeX) also leaves book/ alone.
    let broken = format!("{good}\nBroken \\\\( \\frac{{1}}{{2 \\\\).\n");
    book.write(&config.book.src.join("code.md"), &broken);
    let err = book.render().0.unwrap_err();
    assert!(
        err.contains("cannot parse TeX") && err.contains("book/ is unchanged"),
        "{err}"
    );
    let kept = fs::read_to_string(index.with_file_name("code.html")).unwrap();
    assert_eq!(kept, page, "a failed render changed book/");
    assert!(
        !book.0.join("target/book-rendering").exists(),
        "staging left behind"
    );
}

/// Every formula in the book's Markdown (chapters and the files they
/// include) renders without the defects readers saw in the browser: an
/// entity written out as text (`&amp;nbsp;`), an `<merror>`, U+00B5 MICRO
/// SIGN for `\mu`, a `/` spaced as an operator, or a delimiter that is spaced
/// like an operator or stretches when TeX would not let it.
#[test]
fn every_formula_of_the_book_renders_without_known_defects() {
    let repo = book_root().unwrap();
    let config = mdbook_driver::config::Config::from_disk(repo.join("book.toml")).unwrap();
    let (mut formulas, mut defects) = (0, Vec::new());
    for path in files_under(&repo.join(&config.book.src)) {
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let markdown = fs::read_to_string(&path).unwrap();
        let spans =
            math::find_math(&markdown).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for span in spans {
            formulas += 1;
            let tex = &markdown[span.tex.clone()];
            let mathml = math::tex_to_mathml(tex, span.display)
                .unwrap_or_else(|e| panic!("{}: `{tex}`: {e}", path.display()));
            for defect in mathml_defects(&mathml) {
                defects.push(format!("{}: `{}`: {defect}", path.display(), tex.trim()));
            }
        }
    }
    assert!(formulas > 100, "only {formulas} formulas found");
    assert!(defects.is_empty(), "{}", defects.join("\n"));
}

/// What is wrong with `mathml` as a reader would see it.
fn mathml_defects(mathml: &str) -> Vec<String> {
    let mut defects = Vec::new();
    for (at, _) in mathml.match_indices("&amp;") {
        let after = &mathml[at + "&amp;".len()..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with(';') {
            defects.push(format!(
                "entity escaped twice: `&amp;{}`",
                &after[..=name_len]
            ));
        }
    }
    if mathml.contains("<merror") {
        defects.push("an <merror>".to_owned());
    }
    if mathml.contains('\u{B5}') {
        defects.push("U+00B5 MICRO SIGN".to_owned());
    }
    if mathml.contains("minsize=") {
        defects.push("a stretchy sized delimiter".to_owned());
    }
    let unspaced = |tag: &str| tag.contains(" lspace=\"0\"") && tag.contains(" rspace=\"0\"");
    for (tag, text) in token_elements(mathml) {
        if text == "/" && !(tag.starts_with("<mo") && unspaced(tag)) {
            defects.push(format!("`/` not an unspaced operator: {tag}/"));
        }
        let delimiter = text.chars().count() == 1
            && "()[]{}|\u{2016}\u{27E8}\u{27E9}\u{230A}\u{230B}\u{2308}\u{2309}".contains(text);
        // `\left` and `\right` are the only delimiters that grow.
        let left_right = tag == "<mo stretchy=\"true\">";
        let tight = unspaced(tag) && tag.contains(" stretchy=\"false\"");
        if tag.starts_with("<mo") && delimiter && !left_right && !tight {
            defects.push(format!("delimiter spaced or stretchy: {tag}{text}"));
        }
    }
    defects
}

/// The start tag and text of every `<mi>` and `<mo>` in `mathml`.
fn token_elements(mathml: &str) -> Vec<(&str, &str)> {
    let mut elements = Vec::new();
    for name in ["mi", "mo"] {
        let end_tag = format!("</{name}>");
        for (at, _) in mathml.match_indices(&format!("<{name}")) {
            let rest = &mathml[at..];
            if !matches!(rest.as_bytes().get(name.len() + 1), Some(b' ' | b'>')) {
                continue;
            }
            let tag_len = rest.find('>').unwrap() + 1;
            let text_len = rest[tag_len..].find(&end_tag).unwrap();
            elements.push((&rest[..tag_len], &rest[tag_len..tag_len + text_len]));
        }
    }
    elements
}

#[test]
fn base64_matches_the_standard_alphabet_and_padding() {
    assert_eq!(crate::base64(b""), "");
    assert_eq!(crate::base64(b"f"), "Zg==");
    assert_eq!(crate::base64(b"fo"), "Zm8=");
    assert_eq!(crate::base64(b"foo"), "Zm9v");
    assert_eq!(crate::base64(b"foobar"), "Zm9vYmFy");
    assert_eq!(crate::base64(&[0xfb, 0xff, 0xfe]), "+//+");
}
