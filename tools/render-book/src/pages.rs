//! An mdBook preprocessor for what a reader navigates by: chapter numbers
//! on the chapters' titles, an id on every numbered figure and table, and a
//! link wherever the prose names one ("Figure 3.2", "Table 6.1",
//! "chapter 4"); and code listings without the indentation all their lines
//! share (a listing included from inside a function starts at the margin).
//!
//! It runs after the math preprocessor, so formulas are MathML by then, and
//! it leaves alone what must not change: code (fenced or inline), the inside
//! of HTML tags (an `alt` text may name a figure), headings, and each
//! figure's or table's own caption.

use mdbook_preprocessor::book::{Book, BookItem};
use mdbook_preprocessor::errors::Result;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use std::collections::BTreeMap;

/// The preprocessor registered with `MDBook::with_preprocessor`.
pub struct PagesPreprocessor;

impl Preprocessor for PagesPreprocessor {
    fn name(&self) -> &str {
        "pages"
    }

    fn run(&self, _ctx: &PreprocessorContext, mut book: Book) -> Result<Book> {
        // Chapter number → the page it renders to.
        let mut pages = BTreeMap::new();
        for item in book.iter() {
            if let BookItem::Chapter(chapter) = item
                && let (Some(number), Some(path)) = (&chapter.number, &chapter.path)
                && let Some(&n) = number.first()
            {
                pages.insert(
                    n,
                    path.with_extension("html").to_string_lossy().into_owned(),
                );
            }
        }
        book.for_each_chapter_mut(|chapter| {
            let number = chapter.number.as_ref().and_then(|n| n.first().copied());
            chapter.content = navigable(&chapter.content, number, &pages);
        });
        Ok(book)
    }

    fn supports_renderer(&self, renderer: &str) -> Result<bool> {
        Ok(renderer == "html")
    }
}

/// The id of figure or table `n` ("Figure 3.2" → `figure-3-2`).
pub fn anchor(kind: &str, n: &str) -> String {
    format!("{}-{}", kind.to_lowercase(), n.replace('.', "-"))
}

/// A chapter's Markdown with its title numbered, ids on its figures and
/// tables, and links on the names of figures, tables and chapters.
pub fn navigable(markdown: &str, number: Option<u32>, pages: &BTreeMap<u32, String>) -> String {
    let mut out = String::with_capacity(markdown.len() + 1024);
    let mut fence: Option<Vec<&str>> = None;
    let mut titled = false;
    for line in markdown.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            if let Some(code) = fence.take() {
                out.push_str(&dedented(&code));
            } else {
                fence = Some(Vec::new());
            }
            out.push_str(line);
            continue;
        }
        if let Some(code) = fence.as_mut() {
            code.push(line);
            continue;
        }
        if let Some(title) = line.strip_prefix("# ")
            && !titled
        {
            titled = true;
            match number {
                Some(n) => out.push_str(&format!("# {n}. {title}")),
                None => out.push_str(line),
            }
            continue;
        }
        if trimmed.starts_with('#') {
            out.push_str(line);
            continue;
        }
        out.push_str(&with_ids(&linked(line, pages)));
    }
    if let Some(code) = fence {
        out.push_str(&code.concat());
    }
    out
}

/// Code lines without the indentation they all share: a listing included
/// from inside an `impl` or a function starts at the margin.
fn dedented(lines: &[&str]) -> String {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| {
            if l.trim().is_empty() {
                l.trim_start_matches(' ')
            } else {
                &l[indent..]
            }
        })
        .collect()
}

/// An id on the figure a line opens (`<figure>` followed, on the next
/// lines, by its caption is handled by giving the caption the id) and on a
/// table's caption line ("Table 1.1: …").
fn with_ids(line: &str) -> String {
    if let Some(rest) = line.strip_prefix("<figcaption>Figure ")
        && let Some((n, _)) = rest.split_once(':')
        && is_number(n)
    {
        return format!("<figcaption id=\"{}\">Figure {rest}", anchor("Figure", n));
    }
    if let Some(rest) = line.strip_prefix("Table ")
        && let Some((n, _)) = rest.split_once(':')
        && is_number(n)
    {
        return format!("<span id=\"{}\"></span>Table {rest}", anchor("Table", n));
    }
    line.to_string()
}

/// "3.2": a chapter and an item number.
fn is_number(text: &str) -> bool {
    match text.split_once('.') {
        Some((c, i)) => {
            !c.is_empty()
                && !i.is_empty()
                && c.bytes().all(|b| b.is_ascii_digit())
                && i.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Links on "Figure N.M", "Table N.M" and "chapter N" in the text of a line,
/// outside tags and inline code, except a caption's own name.
fn linked(line: &str, pages: &BTreeMap<u32, String>) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    let mut in_code = false;
    while !rest.is_empty() {
        // Copy a tag or inline code through unchanged.
        let next = rest.find(['<', '`']).unwrap_or(rest.len());
        let (text, tail) = rest.split_at(next);
        if in_code {
            out.push_str(text);
        } else {
            out.push_str(&link_names(text, &out, pages));
        }
        rest = tail;
        if let Some(after) = rest.strip_prefix('`') {
            out.push('`');
            in_code = !in_code;
            rest = after;
        } else if rest.starts_with('<') && !in_code {
            let end = rest.find('>').map_or(rest.len(), |e| e + 1);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else if let Some(after) = rest.strip_prefix('<') {
            out.push('<');
            rest = after;
        }
    }
    out
}

/// The names in one run of plain text, linked. `before` is what precedes
/// the text on its line (a caption's own name follows `<figcaption>` or
/// starts a table's caption line).
fn link_names(text: &str, before: &str, pages: &BTreeMap<u32, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let here = &text[i..];
        let found = ["Figure ", "Table ", "chapter ", "Chapter "]
            .iter()
            .find(|word| here.starts_with(**word));
        let boundary = i == 0 || !text[..i].ends_with(|c: char| c.is_alphanumeric());
        if let (Some(word), true) = (found, boundary) {
            let digits: String = here[word.len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let digits = digits.trim_end_matches('.');
            let kind = word.trim_end();
            let own_caption = (before.ends_with("<figcaption>") || before.is_empty())
                && i == 0
                && here[word.len() + digits.len()..].starts_with(':');
            let target = match kind {
                "Figure" | "Table" if is_number(digits) && !own_caption => {
                    let chapter: u32 = digits.split('.').next().unwrap_or("").parse().unwrap_or(0);
                    pages
                        .get(&chapter)
                        .map(|page| format!("{page}#{}", anchor(kind, digits)))
                }
                "chapter" | "Chapter" if !digits.is_empty() && !digits.contains('.') => digits
                    .parse()
                    .ok()
                    .and_then(|n: u32| pages.get(&n).cloned()),
                _ => None,
            };
            if let Some(href) = target {
                let name = &here[..word.len() + digits.len()];
                out.push_str(&format!("<a href=\"{href}\">{name}</a>"));
                i += name.len();
                continue;
            }
        }
        let c = here.chars().next().expect("not empty");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages() -> BTreeMap<u32, String> {
        [(1, "gradients.html"), (3, "xavier.html")]
            .into_iter()
            .map(|(n, p)| (n, p.to_string()))
            .collect()
    }

    #[test]
    fn titles_get_their_chapter_number() {
        let md = "# Default and Xavier\n\nText.\n\n# Not the title\n";
        let out = navigable(md, Some(3), &pages());
        assert!(out.starts_with("# 3. Default and Xavier\n"));
        assert!(out.contains("\n# Not the title\n"));
        assert_eq!(navigable(md, None, &pages()), md);
    }

    #[test]
    fn figures_and_tables_get_ids_and_their_names_links() {
        let md = "As Figure 3.2 and Table 1.1 show (chapter 1, Chapter 3).\n\
                  <figcaption>Figure 3.2: histograms, after Figure 3.1.</figcaption>\n\
                  Table 1.1: the output.\n";
        let out = navigable(md, Some(3), &pages());
        assert!(out.contains(
            "As <a href=\"xavier.html#figure-3-2\">Figure 3.2</a> and \
             <a href=\"gradients.html#table-1-1\">Table 1.1</a> show \
             (<a href=\"gradients.html\">chapter 1</a>, <a href=\"xavier.html\">Chapter 3</a>)."
        ));
        assert!(out.contains(
            "<figcaption id=\"figure-3-2\">Figure 3.2: histograms, after \
             <a href=\"xavier.html#figure-3-1\">Figure 3.1</a>.</figcaption>"
        ));
        assert!(out.contains("<span id=\"table-1-1\"></span>Table 1.1: the output."));
    }

    #[test]
    fn code_loses_only_the_indentation_all_its_lines_share() {
        let md = "```rust\n    fn f() {\n\n        g();\n    }\n```\n";
        let out = navigable(md, None, &pages());
        assert_eq!(out, "```rust\nfn f() {\n\n    g();\n}\n```\n");
    }

    #[test]
    fn code_tags_headings_and_unknown_chapters_are_left_alone() {
        let md = "## Figure 3.2 in a heading\n\
                  <img alt=\"as in Figure 3.2\" src=\"x.svg\">\n\
                  Run `see Figure 3.2` or chapter 9, or Figure 9.1, Figure 3, chapters 1-6.\n\
                  ```\nFigure 3.2\n```\n";
        let out = navigable(md, None, &pages());
        assert_eq!(out, md);
    }
}
