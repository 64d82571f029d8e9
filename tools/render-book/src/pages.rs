//! An mdBook preprocessor for what a reader navigates by: chapter numbers
//! on the chapters' titles, an id on every numbered figure and table, and a
//! link wherever the prose names one ("Figure 3.2", "Table 6.1",
//! "chapter 4"); and code listings without the indentation all their lines
//! share (a listing included from inside a function starts at the margin).
//!
//! It runs after the math preprocessor, so formulas are MathML by then, and
//! it leaves alone what must not change: code (fenced or inline), the inside
//! of HTML tags (an `alt` text may name a figure), Markdown links, headings,
//! and each figure's or table's own caption. (An HTML tag split across lines
//! is not recognised as one; the book has none.)

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
        // Chapter number → the page it renders to; the unnumbered chapters
        // after the numbered ones are appendices A, B, … (their figures and
        // tables are "Table A.1").
        let mut pages = BTreeMap::new();
        let mut appendices = b'A'..=b'Z';
        let mut numbered_seen = false;
        for item in book.iter() {
            if let BookItem::Chapter(chapter) = item
                && let Some(path) = &chapter.path
                && chapter.parent_names.is_empty()
            {
                let page = path.with_extension("html").to_string_lossy().into_owned();
                match chapter.number.as_ref().map(|n| &n[..]) {
                    Some([n]) => {
                        numbered_seen = true;
                        pages.insert(n.to_string(), page);
                    }
                    None if numbered_seen => {
                        if let Some(letter) = appendices.next() {
                            pages.insert(char::from(letter).to_string(), page);
                        }
                    }
                    _ => {}
                }
            }
        }
        book.for_each_chapter_mut(|chapter| {
            // Only top-level chapters are numbered ("3."), as figures are.
            let number = match chapter.number.as_ref().map(|n| n.as_slice()) {
                Some([n]) => Some(*n),
                _ => None,
            };
            chapter.content = navigable(&chapter.content, number, &pages);
        });
        Ok(book)
    }

    fn supports_renderer(&self, renderer: &str) -> Result<bool> {
        Ok(renderer == "html")
    }
}

/// The id of figure or table `n` ("Figure 3.2" → `figure-3-2`, "Table A.1"
/// → `table-a-1`).
pub fn anchor(kind: &str, n: &str) -> String {
    format!(
        "{}-{}",
        kind.to_lowercase(),
        n.replace('.', "-").to_lowercase()
    )
}

/// A chapter's Markdown with its title numbered, ids on its figures and
/// tables, and links on the names of figures, tables and chapters.
pub fn navigable(markdown: &str, number: Option<u32>, pages: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(markdown.len() + 1024);
    // An open fence: its marker (``` or ~~~, at least three), its
    // indentation, and the code lines so far.
    let mut fence: Option<(&str, usize, Vec<&str>)> = None;
    let mut titled = false;
    let mut after_blank = true;
    for line in markdown.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let marker_len = |c: char| trimmed.len() - trimmed.trim_start_matches(c).len();
        if let Some((marker, fence_indent, code)) = fence.as_mut() {
            let closes = trimmed.starts_with(*marker)
                && marker_len(marker.chars().next().unwrap_or('`')) >= marker.len()
                && trimmed.trim_start_matches(['`', '~']).trim().is_empty();
            if closes {
                out.push_str(&dedented(code, *fence_indent));
                out.push_str(line);
                fence = None;
            } else {
                code.push(line);
            }
            continue;
        }
        for c in ['`', '~'] {
            if marker_len(c) >= 3 {
                fence = Some((&trimmed[..marker_len(c)], indent, Vec::new()));
            }
        }
        if fence.is_some() {
            out.push_str(line);
            continue;
        }
        let blank = trimmed.trim().is_empty();
        let starts_paragraph = after_blank;
        after_blank = blank;
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
        let line = linked(line, pages);
        out.push_str(&with_ids(&line, starts_paragraph));
    }
    if let Some((_, _, code)) = fence {
        out.push_str(&code.concat());
    }
    out
}

/// Code lines without the indentation they all share beyond their fence's
/// own (`keep`, a list item's): a listing included from inside an `impl`
/// or a function starts at the fence's margin.
fn dedented(lines: &[&str], keep: usize) -> String {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    if indent <= keep {
        return lines.concat();
    }
    lines
        .iter()
        .map(|l| {
            if l.trim().is_empty() {
                l.trim_start_matches(' ').to_string()
            } else {
                format!("{}{}", &l[..keep], &l[indent..])
            }
        })
        .collect()
}

/// An id on the figure a line opens (`<figure>` followed, on the next
/// lines, by its caption is handled by giving the caption the id) and on a
/// table's caption line ("Table 1.1: …").
fn with_ids(line: &str, starts_paragraph: bool) -> String {
    if let Some(rest) = line.strip_prefix("<figcaption>Figure ")
        && let Some((n, _)) = rest.split_once(':')
        && is_number(n)
    {
        return format!("<figcaption id=\"{}\">Figure {rest}", anchor("Figure", n));
    }
    if let Some(rest) = line.strip_prefix("Table ")
        && starts_paragraph
        && let Some((n, _)) = rest.split_once(':')
        && is_number(n)
    {
        return format!("<span id=\"{}\"></span>Table {rest}", anchor("Table", n));
    }
    line.to_string()
}

/// "3.2" or "A.1": a chapter (or an appendix's letter) and an item number.
fn is_number(text: &str) -> bool {
    match text.split_once('.') {
        Some((c, i)) => {
            let chapter = (!c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
                || (c.len() == 1 && c.bytes().all(|b| b.is_ascii_uppercase()));
            chapter && !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Links on "Figure N.M", "Table N.M" and "chapter N" in the text of a line,
/// outside tags and inline code, except a caption's own name.
fn linked(line: &str, pages: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    let mut in_code = false;
    while !rest.is_empty() {
        // Copy a tag, inline code or a Markdown link through unchanged.
        let next = rest.find(['<', '`', '[']).unwrap_or(rest.len());
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
            let end = tag_end(rest);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else if rest.starts_with('[') && !in_code {
            // A link's text and target stay as written: "[as in Figure
            // 3.2](…)" is a link already.
            let end = link_end(rest);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else if let Some(c) = rest.chars().next() {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Where the tag at the start of `text` ends: after the first `>` outside
/// quoted attribute values (or at the end of the line).
fn tag_end(text: &str) -> usize {
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '>') => return i + 1,
            _ => {}
        }
    }
    text.len()
}

/// Where the Markdown link at the start of `text` ends: after `[…](…)`, or
/// after `[…]` when no target follows (then it is plain text).
fn link_end(text: &str) -> usize {
    let Some(close) = text.find(']') else {
        return 1;
    };
    if text[close + 1..].starts_with('(')
        && let Some(paren) = text[close + 1..].find(')')
    {
        return close + 1 + paren + 1;
    }
    1
}

/// The names in one run of plain text, linked. `before` is what precedes
/// the text on its line (a caption's own name follows `<figcaption>` or
/// starts a table's caption line).
fn link_names(text: &str, before: &str, pages: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let here = &text[i..];
        let found = ["Figure ", "Table ", "chapter ", "Chapter "]
            .iter()
            .find(|word| here.starts_with(**word));
        let boundary = i == 0 || !text[..i].ends_with(|c: char| c.is_alphanumeric());
        if let (Some(word), true) = (found, boundary) {
            let after = &here[word.len()..];
            // An appendix's letter may lead: "Table A.1".
            let letter = after
                .chars()
                .next()
                .filter(|c| c.is_ascii_uppercase() && after[1..].starts_with('.'))
                .map(String::from)
                .unwrap_or_default();
            let digits: String = letter.clone()
                + &after[letter.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect::<String>();
            let digits = digits.trim_end_matches('.');
            let kind = word.trim_end();
            let own_caption = (before.ends_with("<figcaption>") || before.is_empty())
                && i == 0
                && here[word.len() + digits.len()..].starts_with(':');
            let target = match kind {
                "Figure" | "Table" if is_number(digits) && !own_caption => {
                    let chapter = digits.split('.').next().unwrap_or("");
                    pages
                        .get(chapter)
                        .map(|page| format!("{page}#{}", anchor(kind, digits)))
                }
                "chapter" | "Chapter"
                    if !digits.is_empty()
                        && !digits.contains('.')
                        && digits.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    pages.get(digits).cloned()
                }
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

    fn pages() -> BTreeMap<String, String> {
        [
            ("1", "gradients.html"),
            ("3", "xavier.html"),
            ("A", "performance.html"),
        ]
        .into_iter()
        .map(|(n, p)| (n.to_string(), p.to_string()))
        .collect()
    }

    #[test]
    fn appendix_tables_get_ids_and_links() {
        let md = "Table A.1 was measured here.\n\nTable A.1: time per case.\n";
        let out = navigable(md, None, &pages());
        assert!(
            out.starts_with("<a href=\"performance.html#table-a-1\">Table A.1</a> was"),
            "{out}"
        );
        assert!(
            out.contains("<span id=\"table-a-1\"></span>Table A.1: time"),
            "{out}"
        );
        // A capital letter that is no appendix stays text.
        let out = navigable("Table B.1 and Figure Z\n", None, &pages());
        assert_eq!(out, "Table B.1 and Figure Z\n");
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
                  \n\
                  Table 1.1: the output.\n\
                  Table 1.1: a wrapped line of prose.\n";
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
        assert_eq!(out.matches("id=\"table-1-1\"").count(), 1);
    }

    #[test]
    fn code_loses_only_the_indentation_all_its_lines_share() {
        let md = "```rust\n    fn f() {\n\n        g();\n    }\n```\n";
        let out = navigable(md, None, &pages());
        assert_eq!(out, "```rust\nfn f() {\n\n    g();\n}\n```\n");
    }

    #[test]
    fn fences_match_their_own_marker_and_keep_a_list_items_indent() {
        let md = "- Run:\n  ```console\n  $ cargo run\n  ```\n~~~\n```\nFigure 3.2\n~~~\nsee Figure 3.2\n";
        let out = navigable(md, None, &pages());
        assert!(out.starts_with(
            "- Run:\n  ```console\n  $ cargo run\n  ```\n~~~\n```\nFigure 3.2\n~~~\n"
        ));
        assert!(out.ends_with("see <a href=\"xavier.html#figure-3-2\">Figure 3.2</a>\n"));
    }

    #[test]
    fn code_tags_headings_and_unknown_chapters_are_left_alone() {
        let md = "## Figure 3.2 in a heading\n\
                  <img alt=\"as in Figure 3.2\" src=\"x.svg\">\n\
                  <img alt=\"a > b, as Figure 3.2\" src=\"x.svg\">\n\
                  [as in Figure 3.2](x.md) and [x](u \"Table 3.1\")\n\
                  Run `see Figure 3.2` or chapter 9, or Figure 9.1, Figure 3, chapters 1-6.\n\
                  ```\nFigure 3.2\n```\n";
        let out = navigable(md, None, &pages());
        assert_eq!(out, md);
    }
}
