//! An mdBook preprocessor that turns TeX into MathML at build time.
//!
//! Chapters write math the way mdBook's MathJax support expects it: inline
//! math as `\\( … \\)` and display math as `\\[ … \\]` (two backslashes in
//! the `.md` file). What lies between the delimiters is handed to
//! `pulldown-latex` as it is written, so it is plain TeX: `\{`, `\,` and `\\`
//! need no extra escaping. Code blocks and inline code are left alone.
//!
//! The MathML is then embedded in Markdown, so every character between its
//! tags that Markdown could interpret is written as a numeric character
//! reference, and the whole formula is kept on one line.

use mdbook_markdown::pulldown_cmark::{Event, Tag};
use mdbook_markdown::{MarkdownOptions, new_cmark_parser};
use mdbook_preprocessor::book::Book;
use mdbook_preprocessor::errors::{Error, Result};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use pulldown_latex::config::DisplayMode;
use pulldown_latex::{Parser, ParserError, RenderConfig, Storage, push_mathml};
use std::ops::Range;

/// The preprocessor registered with `MDBook::with_preprocessor`.
///
/// `with_preprocessor` appends to mdBook's list of preprocessors, so this
/// runs after the built-in `links` (`{{#include}}`) and `index` ones.
pub struct MathPreprocessor;

impl Preprocessor for MathPreprocessor {
    fn name(&self) -> &str {
        "mathml"
    }

    fn run(&self, _ctx: &PreprocessorContext, mut book: Book) -> Result<Book> {
        let mut error = None;
        book.for_each_chapter_mut(|chapter| {
            if error.is_some() {
                return;
            }
            match render_math(&chapter.content) {
                Ok(content) => chapter.content = content,
                Err(e) => {
                    let file = chapter.source_path.as_ref().or(chapter.path.as_ref());
                    let file = file.map(|p| format!(" ({})", p.display()));
                    error = Some(format!(
                        "chapter \"{}\"{}: {e}",
                        chapter.name,
                        file.unwrap_or_default()
                    ));
                }
            }
        });
        match error {
            Some(e) => Err(Error::msg(e)),
            None => Ok(book),
        }
    }

    fn supports_renderer(&self, renderer: &str) -> Result<bool> {
        Ok(renderer == "html")
    }
}

/// One formula found in a chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MathSpan {
    /// The formula including its delimiters.
    pub range: Range<usize>,
    /// The TeX between the delimiters.
    pub tex: Range<usize>,
    /// `\\[ … \\]` rather than `\\( … \\)`.
    pub display: bool,
}

/// Replaces every formula in `markdown` with MathML.
pub fn render_math(markdown: &str) -> Result<String, String> {
    let spans = find_math(markdown)?;
    let mut out = String::with_capacity(markdown.len() + spans.len() * 400);
    let mut last = 0;
    for span in spans {
        out.push_str(&markdown[last..span.range.start]);
        let tex = &markdown[span.tex.clone()];
        let mathml = tex_to_mathml(tex, span.display).map_err(|e| {
            let (open, close) = if span.display {
                ("\\\\[", "\\\\]")
            } else {
                ("\\\\(", "\\\\)")
            };
            format!(
                "line {}: cannot parse TeX `{open}{tex}{close}`: {e}",
                line_of(markdown, span.range.start)
            )
        })?;
        if span.display {
            // A block of its own (see book.css), even inside a paragraph.
            out.push_str("<span class=\"math-display\">");
            out.push_str(&escape_for_markdown(&mathml));
            out.push_str("</span>");
        } else {
            out.push_str(&escape_for_markdown(&mathml));
        }
        last = span.range.end;
    }
    out.push_str(&markdown[last..]);
    Ok(out)
}

/// Finds the formulas outside code, in order.
///
/// An opening delimiter without its closing one (before the end of the
/// paragraph), or a closing one without an opening one, is an error.
pub fn find_math(markdown: &str) -> Result<Vec<MathSpan>, String> {
    let code = code_ranges(markdown);
    let in_code = |pos: usize| code.iter().any(|r| r.contains(&pos));
    let mut spans = Vec::new();
    let mut open: Option<(usize, bool)> = None;
    for (pos, _) in markdown.match_indices("\\\\") {
        let Some(&kind) = markdown.as_bytes().get(pos + 2) else {
            continue;
        };
        if !matches!(kind, b'(' | b')' | b'[' | b']') || in_code(pos) {
            continue;
        }
        let delim = &markdown[pos..pos + 3];
        match (open, kind) {
            (None, b'(' | b'[') => open = Some((pos, kind == b'[')),
            (None, _) => {
                return Err(format!(
                    "`{delim}` without a matching opening delimiter ({})",
                    location(markdown, pos)
                ));
            }
            (Some((start, display)), b')' | b']') if display == (kind == b']') => {
                let tex = start + 3..pos;
                if markdown[tex.clone()]
                    .lines()
                    .skip(1)
                    .any(|l| l.trim().is_empty())
                {
                    return Err(unclosed(markdown, start, display));
                }
                spans.push(MathSpan {
                    range: start..pos + 3,
                    tex,
                    display,
                });
                open = None;
            }
            // Inside display math, `\\[`, `\\(` … are TeX (`\\[2pt]`). Inside
            // inline math, a second `\\(` means the first was never closed.
            (Some((start, false)), b'(') => return Err(unclosed(markdown, start, false)),
            (Some(_), _) => {}
        }
    }
    match open {
        Some((start, display)) => Err(unclosed(markdown, start, display)),
        None => Ok(spans),
    }
}

fn unclosed(markdown: &str, start: usize, display: bool) -> String {
    let (open, close) = if display {
        ("\\\\[", "\\\\]")
    } else {
        ("\\\\(", "\\\\)")
    };
    format!(
        "`{open}` is not closed by `{close}` in the same paragraph ({})",
        location(markdown, start)
    )
}

/// Where `pos` is in the chapter (after its `{{#include}}`s were expanded).
fn location(markdown: &str, pos: usize) -> String {
    let snippet: String = markdown[pos..]
        .chars()
        .take_while(|&c| c != '\n')
        .take(40)
        .collect();
    format!("line {}, at `{snippet}`", line_of(markdown, pos))
}

fn line_of(text: &str, pos: usize) -> usize {
    text[..pos].matches('\n').count() + 1
}

/// Byte ranges of code blocks and inline code spans, as mdBook parses them.
fn code_ranges(markdown: &str) -> Vec<Range<usize>> {
    new_cmark_parser(markdown, &MarkdownOptions::default())
        .into_offset_iter()
        .filter(|(event, _)| matches!(event, Event::Start(Tag::CodeBlock(_)) | Event::Code(_)))
        .map(|(_, range)| range)
        .collect()
}

/// Renders TeX as MathML, with the TeX kept in an `<annotation>`.
///
/// Any parse error is returned rather than drawn in red in the book.
pub fn tex_to_mathml(tex: &str, display: bool) -> Result<String, String> {
    let annotation = escape_html(tex.trim());
    let storage = Storage::new();
    let events = Parser::new(tex, &storage)
        .collect::<Result<Vec<_>, ParserError>>()
        // The first line says what is wrong; the TeX is quoted by the caller.
        .map_err(|e| e.to_string().lines().next().unwrap_or_default().to_owned())?;
    let config = RenderConfig {
        display_mode: if display {
            DisplayMode::Block
        } else {
            DisplayMode::Inline
        },
        annotation: Some(&annotation),
        ..RenderConfig::default()
    };
    let mut mathml = String::new();
    push_mathml(
        &mut mathml,
        events.into_iter().map(Ok::<_, ParserError>),
        config,
    )
    .map_err(|e| e.to_string())?;
    Ok(repair_attributes(&mathml))
}

/// `pulldown-latex` 0.8 writes sized delimiters (`\big(` and friends) as
/// `<mo symmetric="true" stretchy="true"minsize="1.2em" …>`, with no space
/// before `minsize`: invalid HTML that the Markdown renderer then shows as
/// text. Inside a tag, a closing quote directly followed by a letter gets the
/// missing space.
fn repair_attributes(mathml: &str) -> String {
    let mut out = String::with_capacity(mathml.len() + 8);
    let (mut in_tag, mut in_quotes) = (false, false);
    let mut chars = mathml.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        match c {
            '<' if !in_tag => in_tag = true,
            '>' if in_tag && !in_quotes => in_tag = false,
            '"' if in_tag => {
                in_quotes = !in_quotes;
                if !in_quotes && chars.peek().is_some_and(|n| n.is_ascii_alphabetic()) {
                    out.push(' ');
                }
            }
            _ => {}
        }
    }
    out
}

/// `pulldown-latex` writes the annotation as given, so escape it ourselves.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Makes `pulldown-latex`'s MathML safe to embed in Markdown: its tags are
/// kept as they are, and in the text between them every ASCII character
/// other than a letter, a digit or a space (Markdown punctuation,
/// smart-punctuation quotes and dashes, newlines, and the `<`, `>` and `&`
/// that `pulldown-latex` leaves unescaped in `<mo>` and `<mi>`) becomes a
/// numeric character reference. Character references are kept. The result
/// is a single line.
pub fn escape_for_markdown(mathml: &str) -> String {
    let mut out = String::with_capacity(mathml.len() + mathml.len() / 4);
    let (mut in_tag, mut in_quotes) = (false, false);
    let mut rest = mathml;
    while let Some(c) = rest.chars().next() {
        let mut len = c.len_utf8();
        if in_tag {
            match c {
                '"' => in_quotes = !in_quotes,
                '>' if !in_quotes => in_tag = false,
                _ => {}
            }
            out.push(c);
        } else if c == '<' && starts_tag(rest) {
            in_tag = true;
            out.push(c);
        } else if c == '&'
            && let Some(reference) = char_reference(rest)
        {
            out.push_str(reference);
            len = reference.len();
        } else if c == ' ' || c.is_ascii_alphanumeric() || !c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("&#{};", u32::from(c)));
        }
        rest = &rest[len..];
    }
    out
}

/// The elements `pulldown-latex` writes.
#[rustfmt::skip]
const MATHML_ELEMENTS: &[&str] = &[
    "annotation", "math", "menclose", "merror", "mfrac", "mi", "mmultiscripts", "mn", "mo",
    "mover", "mpadded", "mphantom", "mprescripts", "mroot", "mrow", "ms", "mspace", "msqrt",
    "mstyle", "msub", "msubsup", "msup", "mtable", "mtd", "mtext", "mtr", "munder",
    "munderover", "none", "semantics",
];

/// Whether `text` starts with a MathML start or end tag (not with a `<`
/// operator, as in `<mo><</mo>` or `<mi>a<b</mi>`).
fn starts_tag(text: &str) -> bool {
    let name = text[1..].strip_prefix('/').unwrap_or(&text[1..]);
    let end = name
        .find(|c: char| !c.is_ascii_lowercase())
        .unwrap_or(name.len());
    matches!(name[end..].chars().next(), Some(' ' | '>' | '/'))
        && MATHML_ELEMENTS.contains(&&name[..end])
}

/// The character reference (`&lt;`, `&#92;`, `&#x5C;`) at the start of `text`.
fn char_reference(text: &str) -> Option<&str> {
    let (end, _) = text.char_indices().take(34).find(|&(_, c)| c == ';')?;
    let name = &text[1..end];
    let ok = match name.strip_prefix('#') {
        Some(num) => match num.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
            None => !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()),
        },
        None => !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
    };
    ok.then(|| &text[..=end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use mdbook_markdown::pulldown_cmark::TagEnd;

    fn tex_of<'a>(md: &'a str, spans: &[MathSpan]) -> Vec<(&'a str, bool)> {
        spans
            .iter()
            .map(|s| (&md[s.tex.clone()], s.display))
            .collect()
    }

    #[test]
    fn finds_inline_and_display_math() {
        let md = r"Let \\(x_1\\) and \\( y \\) be; then \\[ x + y \\] holds.";
        let spans = find_math(md).unwrap();
        assert_eq!(
            tex_of(md, &spans),
            [("x_1", false), (" y ", false), (" x + y ", true)]
        );
        assert_eq!(&md[spans[0].range.clone()], r"\\(x_1\\)");
    }

    #[test]
    fn display_math_may_span_lines_and_contain_tex_brackets() {
        let md = "The loss is\n\\\\[\n\\begin{aligned} a &= b \\\\[2pt] c &= d \\end{aligned}\n\\\\]\nwhere";
        let spans = find_math(md).unwrap();
        assert_eq!(spans.len(), 1);
        assert!(spans[0].display);
        assert!(md[spans[0].tex.clone()].contains("\\\\[2pt]"));
    }

    #[test]
    fn code_is_left_alone() {
        let md = "Write `\\\\(` inline.\n\n```text\n\\\\( not math \\\\[\n```\n\n~~~\n\\\\]\n~~~\n\n    \\\\( indented code\n\nBut \\\\(z\\\\) is math.\n";
        let spans = find_math(md).unwrap();
        assert_eq!(tex_of(md, &spans), [("z", false)]);
        let out = render_math(md).unwrap();
        assert!(out.contains("`\\\\(`"));
        assert!(out.contains("```text\n\\\\( not math \\\\[\n```"));
        assert!(out.contains("~~~\n\\\\]\n~~~"));
        assert!(out.contains("    \\\\( indented code"));
        assert_eq!(out.matches("<math").count(), 1);
    }

    #[test]
    fn unmatched_delimiters_are_errors() {
        let not_closed = |open: &str, close: &str, line: usize, at: &str| {
            format!(
                "`{open}` is not closed by `{close}` in the same paragraph (line {line}, at `{at}`)"
            )
        };
        let (o, c, do_, dc) = ("\\\\(", "\\\\)", "\\\\[", "\\\\]");
        for (md, want) in [
            ("a \\\\( b", not_closed(o, c, 1, "\\\\( b")),
            ("a\n\n\\\\[ b\n\nc \\\\]", not_closed(do_, dc, 3, "\\\\[ b")),
            (
                "a \\\\( b \\\\( c \\\\)",
                not_closed(o, c, 1, "\\\\( b \\\\( c \\\\)"),
            ),
            ("\\\\[ a \\\\)", not_closed(do_, dc, 1, "\\\\[ a \\\\)")),
            (
                "x\ny \\\\) z",
                "`\\\\)` without a matching opening delimiter (line 2, at `\\\\) z`)".to_owned(),
            ),
        ] {
            assert_eq!(find_math(md).unwrap_err(), want, "{md:?}");
        }
    }

    #[test]
    fn tex_errors_name_the_tex() {
        let err = render_math("ok \\\\(x\\\\)\n\nbad \\\\( \\frac{1}{2 \\\\)").unwrap_err();
        assert!(
            err.starts_with("line 3: cannot parse TeX `\\\\( \\frac{1}{2 \\\\)`"),
            "{err}"
        );
        assert!(render_math("\\\\[ \\notacommand \\\\]").is_err());
    }

    #[test]
    fn escaping_keeps_tags_and_references_and_hides_markdown() {
        let html = "<mi mathvariant=\"normal\">a*b_c</mi><mo>[</mo>&lt;&#92;\n`|~'\"-</mo>";
        let out = escape_for_markdown(html);
        assert_eq!(
            out,
            "<mi mathvariant=\"normal\">a&#42;b&#95;c</mi><mo>&#91;</mo>&lt;&#92;&#10;&#96;&#124;&#126;&#39;&#34;&#45;</mo>"
        );
        assert_eq!(escape_for_markdown("&amp x; y"), "&#38;amp x&#59; y");
        assert_eq!(
            escape_for_markdown("<mo><</mo><mi>a<b</mi><mo>></mo><mi>&</mi><mi>a<mi</mi>"),
            "<mo>&#60;</mo><mi>a&#60;b</mi><mo>&#62;</mo><mi>&#38;</mi><mi>a&#60;mi</mi>"
        );
    }

    #[test]
    fn sized_delimiters_give_valid_tags() {
        let mathml = tex_to_mathml(r"\operatorname{Var}\big(z^{(l)}\big)", false).unwrap();
        assert!(!mathml.contains("\"minsize"), "{mathml}");
        assert!(mathml.contains("\" minsize=\""), "{mathml}");
        let html = render_math(r"a \\( \big( x \big) \\) b").unwrap();
        assert!(!escape_for_markdown(&html).contains("&lt;mo"), "{html}");
    }

    #[test]
    fn annotation_holds_the_escaped_tex() {
        let out = tex_to_mathml(" a < b \\& c ", false).unwrap();
        assert!(out.starts_with("<math display=\"inline\">"), "{out}");
        assert!(out.ends_with(
            "<annotation encoding=\"application/x-tex\">a &lt; b \\&amp; c</annotation></semantics></math>"
        ));
        assert!(
            tex_to_mathml("x", true)
                .unwrap()
                .starts_with("<math display=\"block\">")
        );
    }

    /// The escaped MathML goes through mdBook's Markdown parser as inline
    /// HTML and plain text only, and the text comes out exactly as
    /// `pulldown-latex` meant it (no emphasis, links, tables, smart quotes
    /// or line breaks).
    #[test]
    fn markdown_passes_mathml_through() {
        let tex = r"\left[ a_1 * b_2 \right] = \|w\|^2 - f'(x) \quad \text{``quoted'' -- x...} \sim |y| \{z\}\, \# \lt \gt \&";
        for display in [false, true] {
            let md = format!(
                "* item {}\n",
                render_math(&format!(
                    "{}{tex}{}",
                    if display { "\\\\[" } else { "\\\\(" },
                    if display { "\\\\]" } else { "\\\\)" }
                ))
                .unwrap()
            );
            assert_eq!(md.lines().count(), 1);
            let mathml = tex_to_mathml(tex, display).unwrap();
            let (mut tags, mut text) = (String::new(), String::new());
            for event in new_cmark_parser(&md, &MarkdownOptions::default()) {
                match event {
                    Event::InlineHtml(h) => tags.push_str(&h),
                    Event::Text(t) => text.push_str(&t),
                    Event::Start(Tag::List(_) | Tag::Item)
                    | Event::End(TagEnd::List(_) | TagEnd::Item) => {}
                    other => panic!("unexpected {other:?} in {md}"),
                }
            }
            let (want_tags, want_text) = split_html(&mathml);
            let wrap = |s: &str| {
                if display {
                    format!("<span class=\"math-display\">{s}</span>")
                } else {
                    s.to_string()
                }
            };
            assert_eq!(tags, wrap(&want_tags));
            assert_eq!(text, format!("item {want_text}"));
        }
    }

    /// Splits HTML into its tags and its decoded text.
    fn split_html(html: &str) -> (String, String) {
        let (mut tags, mut text) = (String::new(), String::new());
        let mut rest = html;
        while let Some(c) = rest.chars().next() {
            let len = if c == '<' && starts_tag(rest) {
                let end = rest.find('>').unwrap() + 1;
                tags.push_str(&rest[..end]);
                end
            } else {
                text.push(c);
                c.len_utf8()
            };
            rest = &rest[len..];
        }
        let text = text
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        (tags, text)
    }
}
