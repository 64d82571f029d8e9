//! Live figures: one printed figure per chapter that the reader can recompute
//! in the page, with controls beside it.
//!
//! A [`LiveFigure`] names the example and the figure file it redraws, the
//! controls (each one of the example's flags, with the range the page allows,
//! which lies inside the flag's own), and the function that computes and
//! draws it. That function calls the same experiment as the example, and the
//! example draws the figure and its table with the same functions (each
//! chapter's module here), so at the book's values the page draws the printed
//! figure byte for byte, and for any other values the figure that
//! [`LiveFigure::command`] would write.
//!
//! The page side: the example writes [`LiveFigure::controls_html`] next to its
//! figures (`live.html`, included by the chapter under the figure), and
//! `tools/live-figures` compiles [`draw`] to WebAssembly for the page's
//! script (`chapters/style/live.js`).
//!
//! ```
//! use stable_learning::book::live;
//! let he = live::find("he").unwrap();
//! let drawn = live::draw("he", &[("depth".into(), "10".into())], &mut stable_learning::quiet).unwrap();
//! assert!(drawn.svg.starts_with("<svg"));
//! assert_eq!(drawn.command, "cargo run --example he -- --depth 10");
//! assert!(he.command(&he.book_settings()).ends_with("--example he"));
//! ```

use std::fmt::Write as _;

use crate::book::figure::Figure;
use crate::book::table::Table;
use crate::{Error, Progress, Range};

pub mod concept_shift;
pub mod covariate_shift;
pub mod feedback;
pub mod gradients;
pub mod he;
pub mod label_shift;
pub mod order_chaos;
pub mod symmetry;
pub mod xavier;

/// Every live figure, in the book's order.
pub static FIGURES: &[&LiveFigure] = &[
    &gradients::LIVE,
    &symmetry::LIVE,
    &xavier::LIVE,
    &he::LIVE,
    &order_chaos::LIVE,
    &covariate_shift::LIVE,
    &label_shift::LIVE,
    &concept_shift::LIVE,
    &feedback::LIVE,
];

/// The live figure called `name` (its example's name).
pub fn find(name: &str) -> Option<&'static LiveFigure> {
    FIGURES.iter().copied().find(|f| f.name == name)
}

/// Computes and draws the live figure `name` with these `(flag, value)`
/// settings (flags without the leading `--`; flags left out keep the book's
/// value).
pub fn draw(name: &str, settings: &[(String, String)], progress: Progress) -> Result<Drawn, Error> {
    let figure = find(name).ok_or_else(|| Error::Live(format!("no live figure `{name}`")))?;
    let settings = figure.settings(settings)?;
    let (svg_figure, table) = (figure.compute)(&settings, progress)?;
    Ok(Drawn {
        svg: svg_figure.to_svg()?,
        table_html: table.to_html(),
        command: figure.command(&settings),
    })
}

/// What a live figure draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    /// The figure, as the example writes it.
    pub svg: String,
    /// The numbers the chapter quotes, as an HTML table.
    pub table_html: String,
    /// The command line that writes this figure.
    pub command: String,
}

/// Runs a live figure's experiment with these settings and draws the
/// figure and its table.
pub type Compute = fn(&Settings, Progress) -> Result<(Figure, Table), Error>;

/// One figure a reader can recompute in the page.
#[derive(Debug)]
pub struct LiveFigure {
    /// The example (and chapter file) it belongs to.
    pub name: &'static str,
    /// The figure file it redraws, in `chapters/figures/NAME/`.
    pub figure: &'static str,
    /// The figure's number in the chapter ("Figure 1.4").
    pub caption: &'static str,
    /// The controls, in the order the page shows them.
    pub controls: &'static [Control],
    /// Runs the experiment and draws the figure and its table.
    pub compute: Compute,
}

/// One control: one of the example's flags.
#[derive(Debug)]
pub struct Control {
    /// The flag, without `--`.
    pub flag: &'static str,
    /// What the page calls it.
    pub label: &'static str,
    /// The kind of input and the values it offers.
    pub input: Input,
    /// The book's value, as the command line would take it.
    pub book: &'static str,
}

impl Control {
    /// A slider for `--flag` over `range`, a part of the flag's own range
    /// `flag_range`, in steps of `step`, at `book`.
    pub const fn slider(
        flag: &'static str,
        label: &'static str,
        range: Range,
        flag_range: Range,
        step: f64,
        book: &'static str,
    ) -> Control {
        Control {
            flag,
            label,
            input: Input::Slider {
                range,
                flag: flag_range,
                step,
            },
            book,
        }
    }

    /// A choice of `words` for `--flag`, at `book`.
    pub const fn choice(
        flag: &'static str,
        label: &'static str,
        words: &'static [&'static str],
        book: &'static str,
    ) -> Control {
        Control {
            flag,
            label,
            input: Input::Choice(words),
            book,
        }
    }

    /// `--seed`, at the book's 42.
    pub const SEED: Control = Control {
        flag: "seed",
        label: "seed",
        input: Input::Seed,
        book: "42",
    };
}

/// What a [`Control`] offers.
#[derive(Debug)]
pub enum Input {
    /// A slider over `range` (a part of the flag's range, `flag` — kept
    /// small enough that no setting takes much longer than the book's
    /// values) in steps of `step`.
    Slider {
        /// The values the page offers.
        range: Range,
        /// The flag's own range, which `range` lies in.
        flag: Range,
        /// The slider's step.
        step: f64,
    },
    /// One of these words.
    Choice(&'static [&'static str]),
    /// The seed: any whole number in 0..=2⁶⁴ − 1.
    Seed,
}

/// Settings checked against a figure's controls.
#[derive(Debug, Clone)]
pub struct Settings {
    values: Vec<(&'static str, String)>,
}

impl Settings {
    fn value(&self, flag: &str) -> &str {
        self.values
            .iter()
            .find(|(f, _)| *f == flag)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("live figure has no control `{flag}`"))
    }

    /// A slider's value, as a number.
    pub fn number(&self, flag: &str) -> f64 {
        self.value(flag)
            .parse()
            .expect("checked when the settings were made")
    }

    /// A slider's value, as a whole number.
    pub fn whole(&self, flag: &str) -> usize {
        self.number(flag) as usize
    }

    /// A choice's value.
    pub fn choice(&self, flag: &str) -> &str {
        self.value(flag)
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.value("seed")
            .parse()
            .expect("checked when the settings were made")
    }
}

impl LiveFigure {
    /// The book's settings.
    pub fn book_settings(&self) -> Settings {
        Settings {
            values: self
                .controls
                .iter()
                .map(|c| (c.flag, c.book.to_string()))
                .collect(),
        }
    }

    /// Checks `(flag, value)` pairs against the controls; flags left out keep
    /// the book's value.
    pub fn settings(&self, given: &[(String, String)]) -> Result<Settings, Error> {
        let mut settings = self.book_settings();
        for (flag, value) in given {
            let control = self
                .controls
                .iter()
                .find(|c| c.flag == flag)
                .ok_or_else(|| {
                    Error::Live(format!("the {} figure has no control `{flag}`", self.name))
                })?;
            let value = value.trim();
            // Written back the way the example's flag reads it: whole numbers
            // without a fraction, no −0, the seed without leading zeros.
            let written = match &control.input {
                Input::Slider { range, .. } => {
                    let v: f64 = value
                        .parse()
                        .map_err(|_| Error::Live(format!("{flag}: `{value}` is not a number")))?;
                    range.check(control.flag, v)?;
                    if range.is_whole() {
                        format!("{}", v as u64)
                    } else {
                        format!("{}", v + 0.0)
                    }
                }
                Input::Choice(words) => {
                    if !words.contains(&value) {
                        return Err(Error::Live(format!(
                            "{flag}: `{value}` is not one of {}",
                            words.join(", ")
                        )));
                    }
                    value.to_string()
                }
                Input::Seed if value.is_empty() => {
                    return Err(Error::Live(
                        "seed: empty (a whole number in 0..=18446744073709551615)".to_string(),
                    ));
                }
                Input::Seed => value
                    .parse::<u64>()
                    .map_err(|_| {
                        Error::Live(format!(
                            "seed: `{value}` is not a whole number in 0..=18446744073709551615"
                        ))
                    })?
                    .to_string(),
            };
            let slot = settings
                .values
                .iter_mut()
                .find(|(f, _)| f == flag)
                .expect("every control has a value");
            slot.1 = written;
        }
        Ok(settings)
    }

    /// The command line that writes this figure with these settings: the
    /// flags whose value differs from the book's, in the controls' order.
    pub fn command(&self, settings: &Settings) -> String {
        let mut line = format!("cargo run --example {}", self.name);
        let mut first = true;
        for c in self.controls {
            let value = settings.value(c.flag);
            let same = match c.input {
                Input::Slider { .. } => value.parse::<f64>().ok() == c.book.parse::<f64>().ok(),
                _ => value == c.book,
            };
            if !same {
                line.push_str(if first { " --" } else { "" });
                let _ = write!(line, " --{} {value}", c.flag);
                first = false;
            }
        }
        line
    }

    /// The controls as HTML, for the chapter to include under the printed
    /// figure. Hidden until the page's script shows it, so readers without
    /// JavaScript (and print) see only the printed figure.
    pub fn controls_html(&self) -> String {
        let mut html = String::new();
        let _ = writeln!(
            html,
            "<div class=\"live\" data-live=\"{}\" data-figure=\"figures/{}/{}\" hidden>",
            self.name, self.name, self.figure
        );
        let _ = writeln!(
            html,
            "<p class=\"live-title\"><b>Live:</b> {} recomputed in this page by the same code as <code>cargo run --example {}</code>. Move a control to redraw it.</p>",
            self.caption, self.name
        );
        html.push_str("<div class=\"live-controls\">\n");
        for c in self.controls {
            let id = format!("live-{}-{}", self.name, c.flag);
            let _ = write!(
                html,
                "<div class=\"live-control\"><label for=\"{id}\">{}</label>",
                c.label
            );
            match &c.input {
                Input::Slider { range, step, .. } => {
                    let _ = write!(
                        html,
                        "<input type=\"range\" id=\"{id}\" data-flag=\"{}\" min=\"{}\" max=\"{}\" step=\"{}\" value=\"{}\" data-book=\"{}\"><output for=\"{id}\">{}</output>",
                        c.flag,
                        range.lo(),
                        range.hi(),
                        step,
                        c.book,
                        c.book,
                        c.book
                    );
                }
                Input::Choice(words) => {
                    let _ = write!(
                        html,
                        "<select id=\"{id}\" data-flag=\"{}\" data-book=\"{}\">",
                        c.flag, c.book
                    );
                    for w in *words {
                        let selected = if *w == c.book { " selected" } else { "" };
                        let _ = write!(html, "<option{selected}>{w}</option>");
                    }
                    html.push_str("</select>");
                }
                Input::Seed => {
                    let _ = write!(
                        html,
                        "<input type=\"text\" id=\"{id}\" inputmode=\"numeric\" pattern=\"[0-9]*\" autocomplete=\"off\" spellcheck=\"false\" data-flag=\"{}\" value=\"{}\" data-book=\"{}\">",
                        c.flag, c.book, c.book
                    );
                }
            }
            html.push_str("</div>\n");
        }
        html.push_str("</div>\n");
        html.push_str(
            "<p class=\"live-actions\"><button type=\"button\" class=\"live-reset\">Reset to the book's values</button> <span class=\"live-progress\" aria-hidden=\"true\"></span><span class=\"live-status\" role=\"status\"></span></p>\n",
        );
        let _ = writeln!(
            html,
            "<pre class=\"live-command\"><code>{}</code></pre>",
            self.command(&self.book_settings())
        );
        html.push_str("<div class=\"live-table\"></div>\n</div>\n");
        html
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_lie_inside_their_flags_and_hold_the_book_values() {
        for f in FIGURES {
            let book = f.book_settings();
            assert!(f.settings(&[]).is_ok(), "{}", f.name);
            for c in f.controls {
                match &c.input {
                    Input::Slider { range, flag, step } => {
                        assert!(
                            flag.covers(range),
                            "{}: --{} {range} not in {flag}",
                            f.name,
                            c.flag
                        );
                        let v: f64 = c.book.parse().unwrap();
                        assert!(range.contains(v), "{}: --{} book value {v}", f.name, c.flag);
                        let k = (v - range.lo()) / step;
                        assert!(
                            (k - k.round()).abs() < 1e-9,
                            "{}: --{} book value off the slider's steps",
                            f.name,
                            c.flag
                        );
                        assert!(!range.is_whole() || step.fract() == 0.0);
                    }
                    Input::Choice(words) => {
                        assert!(words.contains(&c.book), "{}: --{}", f.name, c.flag)
                    }
                    Input::Seed => assert_eq!(c.book, "42"),
                }
                assert_eq!(book.value(c.flag), c.book);
            }
            assert_eq!(f.command(&book), format!("cargo run --example {}", f.name));
        }
    }

    #[test]
    fn bad_settings_name_the_control_and_what_is_allowed() {
        let f = find("he").unwrap();
        let e = f
            .settings(&[("depth".into(), "100000".into())])
            .unwrap_err();
        assert!(
            e.to_string().starts_with("depth = 100000 is out of range"),
            "{e}"
        );
        let e = f.settings(&[("nope".into(), "1".into())]).unwrap_err();
        assert!(e.to_string().contains("no control `nope`"), "{e}");
        let e = f.settings(&[("seed".into(), "-1".into())]).unwrap_err();
        assert!(e.to_string().contains("0..=18446744073709551615"), "{e}");
        let e = f.settings(&[("init".into(), "lecun".into())]).unwrap_err();
        assert!(e.to_string().contains("not one of xavier-normal"), "{e}");
        let e = f.settings(&[("width".into(), "wide".into())]).unwrap_err();
        assert!(e.to_string().contains("`wide` is not a number"), "{e}");
        assert!(draw("nothing", &[], &mut crate::quiet).is_err());
    }

    #[test]
    fn values_are_written_as_the_flags_read_them() {
        let f = find("covariate_shift").unwrap();
        let s = f
            .settings(&[
                ("trials".into(), "20.0".into()),
                ("test-mean".into(), "-0".into()),
                ("train-mean".into(), "5e-1".into()),
                ("seed".into(), "007".into()),
            ])
            .unwrap();
        assert_eq!(
            f.command(&s),
            "cargo run --example covariate_shift -- --trials 20 --seed 7"
        );
        let e = f.settings(&[("seed".into(), " ".into())]).unwrap_err();
        assert!(e.to_string().starts_with("seed: empty"), "{e}");
    }

    #[test]
    fn the_command_lists_changed_flags_in_order() {
        let f = find("he").unwrap();
        let s = f
            .settings(&[("seed".into(), "7".into()), ("depth".into(), "20".into())])
            .unwrap();
        assert_eq!(
            f.command(&s),
            "cargo run --example he -- --depth 20 --seed 7"
        );
    }
}
