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
//!
//! Where `pulldown-latex` parts from TeX (control spaces, `\mu`, `/`, the
//! spacing and size of delimiters), its events and MathML are corrected on
//! the way: see [`as_in_tex`] and [`operators_as_in_tex`].

use mdbook_markdown::pulldown_cmark::{Event, Tag};
use mdbook_markdown::{MarkdownOptions, new_cmark_parser};
use mdbook_preprocessor::book::Book;
use mdbook_preprocessor::errors::{Error, Result};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use pulldown_latex::config::DisplayMode;
use pulldown_latex::event::{Content, DelimiterType, Dimension, DimensionUnit};
use pulldown_latex::{Event as TexEvent, Parser, ParserError, RenderConfig, Storage, push_mathml};
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
        .map(|event| event.map(as_in_tex))
        .collect::<Result<Vec<_>, ParserError>>()
        // The first line says what is wrong; the TeX is quoted by the caller.
        .map_err(|e| e.to_string().lines().next().unwrap_or_default().to_owned())?;
    let delimiters: Vec<DelimiterType> = events
        .iter()
        .filter_map(|event| match event {
            TexEvent::Content(Content::Delimiter { ty, .. }) => Some(*ty),
            _ => None,
        })
        .collect();
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
    let mathml = operators_as_in_tex(&repair_attributes(&mathml), &delimiters)?;
    Ok(scripts_as_in_tex(&primes_as_in_tex(&mathml)))
}

/// `\tanh'` comes as the operator name, a function application, a thin
/// space and then the prime: "tanh ′". In TeX the prime is a superscript set
/// right after the name; it moves before the application, unspaced.
fn primes_as_in_tex(mathml: &str) -> String {
    mathml.replace(
        "<mo>\u{2061}</mo><mspace width=\"0.1667em\" /><mi>\u{2032}</mi>",
        "<mi>\u{2032}</mi><mo>\u{2061}</mo>",
    )
}

/// The elements whose children after the first are scripts.
const SCRIPTED: [&str; 6] = ["msup", "msub", "msubsup", "munder", "mover", "munderover"];

/// In TeX's script styles a binary operator or a relation gets no space
/// around it (`x^{(l-1)}` is tight); a browser spaces an `<mo>` the same in
/// a superscript as on the line. Every `<mo>` inside a script (any child of
/// `msup`, `msub`, … but the first) that has no `lspace` yet gets
/// `lspace="0" rspace="0"`.
fn scripts_as_in_tex(mathml: &str) -> String {
    let mut out = String::with_capacity(mathml.len() + 64);
    // Open elements: (name, children seen so far, inside a script).
    let mut open: Vec<(String, usize, bool)> = Vec::new();
    let mut rest = mathml;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let tag = &rest[start..start + end + 1];
        rest = &rest[start + end + 1..];
        let name: String = tag
            .trim_start_matches(['<', '/'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if tag.starts_with("</") {
            open.pop();
            out.push_str(tag);
            continue;
        }
        let in_script = match open.last_mut() {
            Some((parent, children, inside)) => {
                *children += 1;
                *inside || (SCRIPTED.contains(&parent.as_str()) && *children > 1)
            }
            None => false,
        };
        if name == "mo" && in_script && !tag.contains("lspace=") {
            out.push_str(&tag[..tag.len() - 1]);
            out.push_str(" lspace=\"0\" rspace=\"0\">");
        } else {
            out.push_str(tag);
        }
        if !tag.ends_with("/>") {
            open.push((name, 0, in_script));
        }
    }
    out.push_str(rest);
    out
}

/// The width of TeX's control space `\ ` and of `~`: the interword space of
/// Computer Modern and Latin Modern, 1/3 em.
const CONTROL_SPACE_EM: f32 = 0.3333;

/// Where `pulldown-latex` 0.8 parts from TeX, the event TeX means:
///
/// - `\ `, `~` and `\nobreakspace` come as the text `&nbsp;`, which the
///   MathML writer escapes once more (`<mtext>&amp;nbsp;</mtext>`), so the
///   page showed "&nbsp;". They become a space of the same width as TeX's.
/// - `\mu` comes as U+00B5 MICRO SIGN (upright, read "micro", and left
///   alone by `\boldsymbol` and the other alphabets), and `\Angstrom` as
///   U+212B ANGSTROM SIGN; they become the letters U+03BC GREEK SMALL LETTER
///   MU and U+00C5 LATIN CAPITAL LETTER A WITH RING ABOVE. The other Greek
///   letters are already the right code points.
/// - `/` comes as a binary operator; in TeX it is an ordinary symbol, so its
///   neighbours are spaced as next to a letter (the writer then emits it as
///   `<mi>`, which [`operators_as_in_tex`] turns into an unspaced `<mo>`).
fn as_in_tex(event: TexEvent<'_>) -> TexEvent<'_> {
    match event {
        TexEvent::Content(Content::Text("&nbsp;")) => TexEvent::Space {
            width: Some(Dimension::new(CONTROL_SPACE_EM, DimensionUnit::Em)),
            height: None,
            depth: None,
        },
        TexEvent::Content(Content::Ordinary { content, stretchy }) => {
            let content = match content {
                '\u{B5}' => '\u{3BC}',
                '\u{212B}' => '\u{C5}',
                other => other,
            };
            TexEvent::Content(Content::Ordinary { content, stretchy })
        }
        TexEvent::Content(Content::BinaryOp { content: '/', .. }) => {
            TexEvent::Content(Content::Ordinary {
                content: '/',
                stretchy: false,
            })
        }
        other => other,
    }
}

/// The height of the math axis above the baseline, in em, in Latin Modern
/// Math (STIX Two Math: 0.258em).
const MATH_AXIS_EM: f32 = 0.25;

/// Gives delimiters and `/` the spacing TeX gives them, which browsers do not
/// infer from `pulldown-latex`'s MathML. `delimiters` are the types of the
/// `Content::Delimiter` events, in order; the writer emits each as one `<mo>`
/// with a `symmetric` attribute, and nothing else has one.
///
/// - A delimiter (`(`, `\lvert`, `\big(`, `\rVert` …) is an opening or closing
///   symbol in TeX, never spaced like an operator. A browser infers an `<mo>`'s
///   form from its place in the `<mrow>`, so the `|` of `4\lvert W\rvert`
///   got an infix operator's space on both sides. Each delimiter gets its form
///   (`prefix` for an opening one, `postfix` for a closing one), zero
///   `lspace` and `rspace`, and `stretchy="false"`: in TeX only `\left` and
///   `\right` grow with their content.
/// - A sized delimiter (`\big(`, `\Bigr]` …) was a stretchy `<mo>` with
///   `minsize` and `maxsize`. Chromium reserves for any stretchy operator the
///   width of the widest size variant or assembly part of the glyph (0.875em
///   for a parenthesis in Latin Modern Math) and draws the glyph at its start,
///   which left a wide gap after each `\big(` and `\big)`, whatever the
///   `lspace` and `rspace`. So the glyph is drawn at the size TeX gives it
///   (`mathsize`, the height of a `\big` parenthesis relative to a normal
///   one) and lowered back onto the math axis with `<mpadded voffset>`.
/// - `/` is an ordinary symbol in TeX; the writer emits it as `<mo>` (spaced
///   as a binary operator) or `<mi>`. It becomes `<mo lspace="0" rspace="0">`.
///   So does `.`, also ordinary in TeX: a formula's closing full stop sat
///   apart from it ("g .").
fn operators_as_in_tex(mathml: &str, delimiters: &[DelimiterType]) -> Result<String, String> {
    let mut out = String::with_capacity(mathml.len() + delimiters.len() * 40);
    let mut delimiters = delimiters.iter();
    let mut rest = mathml;
    while let Some(start) = rest.find('<') {
        let (before, from) = rest.split_at(start);
        out.push_str(before);
        let Some(token) = TokenElement::at_start_of(from) else {
            out.push('<');
            rest = &from[1..];
            continue;
        };
        rest = &from[token.len..];
        let attribute = |name: &str| {
            token
                .attributes
                .iter()
                .find(|(a, _)| *a == name)
                .map(|(_, v)| *v)
        };
        if token.name == "mo" && attribute("symmetric").is_some() {
            let ty = delimiters.next().ok_or_else(|| {
                format!(
                    "more delimiters in the MathML than in the TeX (at `{}`)",
                    token.text
                )
            })?;
            let size = attribute("minsize");
            let mut attributes =
                token.attributes_but(&["symmetric", "stretchy", "minsize", "maxsize"]);
            match ty {
                DelimiterType::Open => attributes.push(("form", "prefix")),
                DelimiterType::Close => attributes.push(("form", "postfix")),
                DelimiterType::Fence => {}
            }
            attributes.extend([("lspace", "0"), ("rspace", "0"), ("stretchy", "false")]);
            let Some(size) = size else {
                push_element(&mut out, "mo", &attributes, token.text);
                continue;
            };
            let scale: f32 = size
                .strip_suffix("em")
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("unexpected delimiter size `{size}`"))?;
            attributes.push(("mathsize", size));
            let lower = ((scale - 1.0) * MATH_AXIS_EM * 1000.0).round() / 1000.0;
            out.push_str(&format!("<mpadded voffset=\"-{lower}em\">"));
            push_element(&mut out, "mo", &attributes, token.text);
            out.push_str("</mpadded>");
        } else if token.text == "/" || token.text == "." {
            let mut attributes = token.attributes_but(&["mathvariant", "lspace", "rspace"]);
            attributes.extend([("lspace", "0"), ("rspace", "0")]);
            push_element(&mut out, "mo", &attributes, token.text);
        } else {
            out.push_str(&from[..token.len]);
        }
    }
    out.push_str(rest);
    if delimiters.next().is_some() {
        return Err("fewer delimiters in the MathML than in the TeX".to_owned());
    }
    Ok(out)
}

/// An `<mi>` or `<mo>` element as `pulldown-latex` writes it: attributes
/// in double quotes, then text only.
struct TokenElement<'a> {
    name: &'static str,
    attributes: Vec<(&'a str, &'a str)>,
    text: &'a str,
    /// The length of the whole element, in bytes.
    len: usize,
}

impl<'a> TokenElement<'a> {
    /// The element `html` starts with, if it is an `<mi>` or `<mo>`.
    fn at_start_of(html: &'a str) -> Option<Self> {
        let name = ["mi", "mo"].into_iter().find(|name| {
            html[1..].starts_with(name)
                && matches!(html.as_bytes().get(name.len() + 1), Some(b' ' | b'>'))
        })?;
        let mut attributes = Vec::new();
        let mut rest = &html[1 + name.len()..];
        loop {
            rest = rest.trim_start();
            if let Some(after) = rest.strip_prefix('>') {
                rest = after;
                break;
            }
            let (attribute, after) = rest.split_once("=\"")?;
            let (value, after) = after.split_once('"')?;
            attributes.push((attribute.trim(), value));
            rest = after;
        }
        let end_tag = format!("</{name}>");
        let text_len = rest.find(&end_tag)?;
        Some(TokenElement {
            name,
            attributes,
            text: &rest[..text_len],
            len: html.len() - rest.len() + text_len + end_tag.len(),
        })
    }

    fn attributes_but(&self, names: &[&str]) -> Vec<(&'a str, &'a str)> {
        let attributes = self.attributes.iter().copied();
        attributes.filter(|(a, _)| !names.contains(a)).collect()
    }
}

fn push_element(out: &mut String, name: &str, attributes: &[(&str, &str)], text: &str) {
    out.push('<');
    out.push_str(name);
    for (attribute, value) in attributes {
        out.push_str(&format!(" {attribute}=\"{value}\""));
    }
    out.push('>');
    out.push_str(text);
    out.push_str(&format!("</{name}>"));
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
        assert!(mathml.contains("\" mathsize=\""), "{mathml}");
        let html = render_math(r"a \\( \big( x \big) \\) b").unwrap();
        assert!(!escape_for_markdown(&html).contains("&lt;mo"), "{html}");
    }

    /// `\ `, `~` and `\nobreakspace` are TeX's interword space, not the
    /// text "&nbsp;" escaped twice.
    #[test]
    fn control_space_is_a_space() {
        let tex = r"\sqrt{6},\ \sqrt{6} \quad a~b\nobreakspace c";
        let mathml = tex_to_mathml(tex, true).unwrap();
        assert_eq!(
            mathml.matches("<mspace width=\"0.3333em\" />").count(),
            3,
            "{mathml}"
        );
        assert!(!mathml.contains("nbsp"), "{mathml}");
        assert!(!mathml.contains("<mtext"), "{mathml}");
        let html = render_math(&format!("\\\\[{tex}\\\\]")).unwrap();
        assert!(!html.contains("&amp;") && !html.contains("&#38;"), "{html}");
        // Spaces in `\text` are still the writer's own, escaped once.
        let text = tex_to_mathml(r"\text{ for all }", false).unwrap();
        assert!(
            text.contains("<mtext>&nbsp;for all&nbsp;</mtext>"),
            "{text}"
        );
    }

    /// `\big(` … `\big)` are glyphs of a fixed size, not stretchy
    /// operators (which Chromium draws in a box as wide as the widest
    /// variant of the glyph), and tight on both sides.
    #[test]
    fn sized_delimiters_are_unspaced_glyphs_of_their_size() {
        let mathml = tex_to_mathml(r"\operatorname{Var}\big(z^{(l)}\big)", false).unwrap();
        let open = "<mpadded voffset=\"-0.05em\"><mo form=\"prefix\" lspace=\"0\" rspace=\"0\" \
                    stretchy=\"false\" mathsize=\"1.2em\">(</mo></mpadded>";
        let close = "<mpadded voffset=\"-0.05em\"><mo form=\"postfix\" lspace=\"0\" rspace=\"0\" \
                     stretchy=\"false\" mathsize=\"1.2em\">)</mo></mpadded>";
        assert!(
            mathml.contains(&format!("<mo>\u{2061}</mo>{open}<msup>")),
            "{mathml}"
        );
        assert!(mathml.contains(&format!("</msup>{close}")), "{mathml}");
        for (tex, size, lower) in [
            (r"\Big( x \Big)", "1.8em", "-0.2em"),
            (r"\biggl[ x \biggr]", "2.4em", "-0.35em"),
            (r"\Biggl\lvert x \Biggr\rvert", "3em", "-0.5em"),
        ] {
            let mathml = tex_to_mathml(tex, false).unwrap();
            assert_eq!(mathml.matches("<mpadded").count(), 2, "{mathml}");
            assert_eq!(
                mathml
                    .matches(&format!("<mpadded voffset=\"{lower}\"><mo form=\""))
                    .count(),
                2,
                "{mathml}"
            );
            assert_eq!(
                mathml
                    .matches(&format!(
                        "lspace=\"0\" rspace=\"0\" stretchy=\"false\" mathsize=\"{size}\">"
                    ))
                    .count(),
                2,
                "{mathml}"
            );
            assert!(
                mathml.contains("form=\"prefix\"") && mathml.contains("form=\"postfix\""),
                "{mathml}"
            );
            assert!(
                !mathml.contains("stretchy=\"true\"") && !mathml.contains("minsize"),
                "{mathml}"
            );
        }
        // Other attributes the writer gives the `<mo>` are kept.
        let red = tex_to_mathml(r"\color{red}\bigl( x \bigr)", false).unwrap();
        assert!(
            red.contains("<mo style=\"color: rgb(255 0 0)\" form=\"prefix\""),
            "{red}"
        );
    }

    /// `\lvert W \rvert` is an opening and a closing bar, tight against
    /// `W` (not an infix `|` spaced on both sides, then a postfix one).
    #[test]
    fn lvert_and_rvert_are_tight_prefix_and_postfix_fences() {
        let bar = |form: &str, c: &str| {
            format!("<mo form=\"{form}\" lspace=\"0\" rspace=\"0\" stretchy=\"false\">{c}</mo>")
        };
        let mathml = tex_to_mathml(r"4 \lvert W \rvert + \lVert w \rVert", false).unwrap();
        let want = format!(
            "<mn>4</mn>{}<mi>W</mi>{}<mo>+</mo>{}<mi>w</mi>{}",
            bar("prefix", "|"),
            bar("postfix", "|"),
            bar("prefix", "\u{2016}"),
            bar("postfix", "\u{2016}")
        );
        assert!(mathml.contains(&want), "{mathml}");
        // Plain parentheses and `\vert` (which does not grow in TeX) alike.
        let mathml = tex_to_mathml(r"f(x) \vert y", false).unwrap();
        assert!(
            mathml.contains(&format!(
                "<mi>f</mi>{}<mi>x</mi>{}",
                bar("prefix", "("),
                bar("postfix", ")")
            )),
            "{mathml}"
        );
        assert!(
            mathml.contains("<mo lspace=\"0\" rspace=\"0\" stretchy=\"false\">|</mo><mi>y</mi>"),
            "{mathml}"
        );
        // `\left( … \right)` still grow with their content.
        let mathml = tex_to_mathml(r"\left( \frac{a}{b} \right)", false).unwrap();
        assert_eq!(
            mathml.matches("<mo stretchy=\"true\">").count(),
            2,
            "{mathml}"
        );
    }

    /// `/` is an ordinary symbol in TeX: no operator space on either side.
    #[test]
    fn slash_is_an_unspaced_ordinary_symbol() {
        let slash = "<mo lspace=\"0\" rspace=\"0\">/</mo>";
        for (tex, want) in [
            ("1/4", format!("<mn>1</mn>{slash}<mn>4</mn>")),
            (
                r"\partial L / \partial W",
                format!("<mi>L</mi>{slash}<mi>\u{2202}</mi>"),
            ),
            (
                "(a+b)/(c+d)",
                format!("stretchy=\"false\">)</mo>{slash}<mo form=\"prefix\""),
            ),
            (
                r"\mathrm{a/b}",
                format!("<mi mathvariant=\"normal\">a</mi>{slash}<mi"),
            ),
            // An ordinary symbol before an operator name: a thin space, as in TeX.
            (
                r"x/\log y",
                format!("<mi>x</mi>{slash}<mspace width=\"0.1667em\" /><mi>log</mi>"),
            ),
        ] {
            let mathml = tex_to_mathml(tex, false).unwrap();
            assert!(mathml.contains(&want), "{tex}: {mathml}");
            assert_eq!(mathml.matches(">/<").count(), 1, "{tex}: {mathml}");
        }
    }

    /// `\mu` is the Greek letter (italic, like the others), not U+00B5 MICRO
    /// SIGN; every Greek letter command gives a Greek code point.
    #[test]
    fn primes_after_operator_names_are_tight() {
        let mathml = tex_to_mathml(r"\tanh'(0)", false).unwrap();
        assert!(
            mathml.contains("<mi>tanh</mi><mi>\u{2032}</mi><mo>\u{2061}</mo>"),
            "{mathml}"
        );
        assert!(!mathml.contains("mspace"), "{mathml}");
    }

    #[test]
    fn operators_in_scripts_are_unspaced() {
        let mathml = tex_to_mathml(r"x^{(l-1)} = y_{i+1} - z", false).unwrap();
        assert!(
            mathml.contains("<mo lspace=\"0\" rspace=\"0\">\u{2212}</mo>"),
            "{mathml}"
        );
        assert!(
            mathml.contains("<mo lspace=\"0\" rspace=\"0\">+</mo>"),
            "{mathml}"
        );
        // On the line, = and − keep their spacing.
        assert!(mathml.contains("<mo>=</mo>"), "{mathml}");
        assert!(mathml.contains("<mo>\u{2212}</mo><mi>z</mi>"), "{mathml}");
    }

    #[test]
    fn a_closing_full_stop_is_unspaced() {
        let mathml = tex_to_mathml(r"g.", false).unwrap();
        assert!(
            mathml.contains("<mo lspace=\"0\" rspace=\"0\">.</mo>"),
            "{mathml}"
        );
    }

    #[test]
    fn greek_letters_are_greek_code_points() {
        let mathml = tex_to_mathml(r"\mu + \boldsymbol\mu", false).unwrap();
        assert!(mathml.contains("<mi>\u{3BC}</mi><mo>+</mo>"), "{mathml}");
        assert!(mathml.contains("<mi>\u{1D741}</mi>"), "{mathml}");
        assert!(!mathml.contains('\u{B5}'), "{mathml}");
        let greek = "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota \
                     kappa varkappa lambda mu nu xi omicron pi varpi rho varrho sigma varsigma \
                     tau upsilon phi varphi chi psi omega Alpha Beta Gamma Delta Epsilon Zeta \
                     Eta Theta Iota Kappa Lambda Mu Nu Xi Omicron Pi Rho Sigma Tau Upsilon Phi \
                     Chi Psi Omega varGamma varDelta varTheta varLambda varXi varPi varSigma \
                     varUpsilon varPhi varPsi varOmega";
        for name in greek.split_whitespace() {
            let mathml = tex_to_mathml(&format!("\\{name}"), false).unwrap();
            let letter = mathml
                .split("<mi")
                .nth(1)
                .and_then(|mi| mi.split_once('>'))
                .and_then(|(_, rest)| rest.split_once("</mi>"))
                .map(|(letter, _)| letter)
                .unwrap_or_default();
            let mut chars = letter.chars();
            let c = chars.next().unwrap_or_default();
            assert!(
                chars.next().is_none()
                    && (matches!(c, '\u{391}'..='\u{3FF}')
                        || matches!(c, '\u{1D6A8}'..='\u{1D7CB}')),
                "\\{name}: {mathml}"
            );
        }
        // The Angstrom sign likewise becomes the letter it is equivalent to.
        let mathml = tex_to_mathml(r"\Angstrom", false).unwrap();
        assert!(mathml.contains(">\u{C5}</mi>"), "{mathml}");
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
