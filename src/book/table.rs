//! Markdown tables whose numeric columns each read in one format.
//!
//! A column of results can span forty orders of magnitude (gradient norms)
//! or sit between 0.3 and 0.9 (accuracies). Formatting each number on its
//! own gives a column that mixes `0.035`, `10350.645` and `1.54e-43`, which
//! the eye cannot compare. Here a column looks at all its numbers first and
//! picks one format for them:
//!
//! - integers, when every number is a whole number below a million;
//! - fixed decimals, when every number lies between 0.001 and 100 000 and
//!   the largest is less than 10 000 times the smallest; the decimals give
//!   the smallest number three significant digits, at most three of them;
//! - otherwise scientific notation with three significant digits (or as many
//!   as [`Table::significant`] asks for), written `1.54×10⁻⁴³`, and
//!   `1.89×10⁰` too, so that the column reads in one notation.
//!
//! ```
//! use stable_learning::book::table::{Cell, Table};
//! let mut t = Table::new(&["activation", "‖∂L/∂W‖ at layer 1", "at the output"]);
//! t.row(vec![Cell::text("sigmoid"), Cell::number(1.54e-43), Cell::number(0.436)]);
//! t.row(vec![Cell::text("tanh"), Cell::number(10350.645), Cell::number(0.035)]);
//! let md = t.to_markdown();
//! assert!(md.contains("| sigmoid | 1.54×10⁻⁴³ | 0.436 |"), "{md}");
//! assert!(md.contains("| tanh | 1.04×10⁴ | 0.035 |"), "{md}");
//! assert!(md.contains("|---|---:|---:|"));
//! ```
//!
//! [`parse_number`] reads every format back, for tests and for readers who
//! post-process the tables.

use std::fmt::Write as _;

use crate::book::figure::power_of_ten;

/// One cell of a [`Table`].
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Text, left as it is (a name, a setting, "–" for "not measured").
    Text(String),
    /// A number, formatted with the rest of its column.
    Number(f64),
    /// A range "low–high", both ends formatted with the rest of the column.
    Range(f64, f64),
    /// A value already written in its own form ("24.50%", "0 of 100"):
    /// right-aligned like a number, but takes no part in the column's format.
    Written(String),
}

impl Cell {
    /// A text cell.
    pub fn text(s: impl Into<String>) -> Self {
        Cell::Text(s.into())
    }

    /// A number cell.
    pub fn number(v: f64) -> Self {
        Cell::Number(v)
    }

    /// A range cell, e.g. the lowest and highest value over seeds.
    pub fn range(low: f64, high: f64) -> Self {
        Cell::Range(low, high)
    }

    /// A value written by the caller, right-aligned.
    pub fn written(s: impl Into<String>) -> Self {
        Cell::Written(s.into())
    }

    fn numbers(&self) -> Vec<f64> {
        match self {
            Cell::Text(_) | Cell::Written(_) => Vec::new(),
            Cell::Number(v) => vec![*v],
            Cell::Range(a, b) => vec![*a, *b],
        }
    }
}

/// A table: a header row, then rows of cells. Columns that hold numbers are
/// right-aligned; each gets one [`Format`].
#[derive(Clone, Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
    significant: usize,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Self {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
            significant: 3,
        }
    }

    /// Significant digits for scientific columns (3 unless set; at least 1).
    /// A table that quotes exact values, such as 5⁵ = 3125, asks for more.
    pub fn significant(mut self, digits: usize) -> Self {
        self.significant = digits.max(1);
        self
    }

    /// Appends a row; it must have one cell per column.
    pub fn row(&mut self, cells: Vec<Cell>) {
        assert_eq!(
            cells.len(),
            self.header.len(),
            "a table row needs one cell per column"
        );
        self.rows.push(cells);
    }

    /// The format column `c` uses, chosen from all its numbers.
    pub fn format_of(&self, c: usize) -> Format {
        let values: Vec<f64> = self.rows.iter().flat_map(|r| r[c].numbers()).collect();
        match Format::for_values(&values) {
            Format::Scientific(_) => Format::Scientific(self.significant),
            f => f,
        }
    }

    /// Whether each column holds numbers (right-aligned), and every row's
    /// cells as written, each number in its column's format.
    fn written(&self) -> (Vec<bool>, Vec<Vec<String>>) {
        let columns = self.header.len();
        let numeric: Vec<bool> = (0..columns)
            .map(|c| self.rows.iter().any(|r| !matches!(r[c], Cell::Text(_))))
            .collect();
        let formats: Vec<Format> = (0..columns).map(|c| self.format_of(c)).collect();
        let rows = self
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&formats)
                    .map(|(cell, f)| match cell {
                        Cell::Text(s) | Cell::Written(s) => s.clone(),
                        Cell::Number(v) => f.format(*v),
                        Cell::Range(a, b) => f.range(*a, *b),
                    })
                    .collect()
            })
            .collect();
        (numeric, rows)
    }

    /// The table as GitHub-flavoured Markdown, one line per row.
    pub fn to_markdown(&self) -> String {
        let (numeric, rows) = self.written();
        let mut md = String::new();
        let _ = writeln!(md, "| {} |", self.header.join(" | "));
        let rule: Vec<&str> = numeric
            .iter()
            .map(|&n| if n { "---:" } else { "---" })
            .collect();
        let _ = writeln!(md, "|{}|", rule.join("|"));
        for cells in &rows {
            let _ = writeln!(md, "| {} |", cells.join(" | "));
        }
        md
    }

    /// The table as HTML, with the same cells as [`Table::to_markdown`]
    /// (what a live figure shows beside itself). Markdown emphasis in a cell
    /// (`**bold**`) is kept as it is written.
    ///
    /// ```
    /// use stable_learning::book::table::{Cell, Table};
    /// let mut t = Table::new(&["a < b", "x"]);
    /// t.row(vec![Cell::text("one"), Cell::number(0.5)]);
    /// assert_eq!(
    ///     t.to_html(),
    ///     "<table><thead><tr><th>a &lt; b</th><th style=\"text-align: right\">x</th></tr></thead>\
    ///      <tbody><tr><td>one</td><td style=\"text-align: right\">0.500</td></tr></tbody></table>"
    /// );
    /// ```
    pub fn to_html(&self) -> String {
        let (numeric, rows) = self.written();
        let escape = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let align = |c: usize| {
            if numeric[c] {
                " style=\"text-align: right\""
            } else {
                ""
            }
        };
        let mut html = String::from("<table><thead><tr>");
        for (c, h) in self.header.iter().enumerate() {
            let _ = write!(html, "<th{}>{}</th>", align(c), escape(h));
        }
        html.push_str("</tr></thead><tbody>");
        for cells in &rows {
            html.push_str("<tr>");
            for (c, cell) in cells.iter().enumerate() {
                let _ = write!(html, "<td{}>{}</td>", align(c), escape(cell));
            }
            html.push_str("</tr>");
        }
        html.push_str("</tbody></table>");
        html
    }
}

/// How the numbers of one column are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Whole numbers: `78`.
    Integer,
    /// Fixed decimals: `0.436` with 3.
    Fixed(usize),
    /// This many significant digits times a power of ten: `1.54×10⁻⁴³`
    /// with 3.
    Scientific(usize),
}

impl Format {
    /// The one format that suits all these numbers (see the module's rules).
    /// Zeros and non-finite values do not take part in the choice.
    pub fn for_values(values: &[f64]) -> Format {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if finite.iter().all(|v| v.fract() == 0.0 && v.abs() < 1e6) {
            return Format::Integer;
        }
        let magnitudes: Vec<f64> = finite
            .iter()
            .map(|v| v.abs())
            .filter(|&a| a > 0.0)
            .collect();
        let lo = magnitudes.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = magnitudes.iter().copied().fold(0.0, f64::max);
        if lo >= 1e-3 && hi < 1e5 && hi < 1e4 * lo {
            // Three significant digits for the smallest number, at most three
            // decimals: 0.035 → 3, 0.32 → 3, 4.2 → 2, 42.1 → 1, 4213 → 0.
            let decimals = match lo {
                lo if lo >= 100.0 => 0,
                lo if lo >= 10.0 => 1,
                lo if lo >= 1.0 => 2,
                _ => 3,
            };
            Format::Fixed(decimals)
        } else {
            Format::Scientific(3)
        }
    }

    /// One number in this format. Non-finite values read `inf`, `−inf` and
    /// `NaN`: a blow-up is a result, shown as one.
    pub fn format(self, v: f64) -> String {
        if v.is_nan() {
            return "NaN".to_string();
        }
        if v.is_infinite() {
            return if v > 0.0 { "inf" } else { "−inf" }.to_string();
        }
        let s = match self {
            Format::Integer => format!("{v:.0}"),
            Format::Fixed(d) => format!("{v:.d$}"),
            Format::Scientific(digits) => scientific(v, digits),
        };
        // A typographic minus sign, as in the prose's formulas.
        s.replacen('-', "−", 1)
    }

    /// A range in this format: `9.35–52.78`, or with spaces around the dash
    /// when the ends carry powers of ten.
    pub fn range(self, low: f64, high: f64) -> String {
        let dash = if matches!(self, Format::Scientific(_)) {
            " – "
        } else {
            "–"
        };
        format!("{}{dash}{}", self.format(low), self.format(high))
    }
}

/// `a.bc×10ⁿ` (with 3 digits), or `0`.
fn scientific(v: f64, digits: usize) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    // Rust's `{:.2e}` rounds the mantissa correctly (9.996e3 → 1.00e4).
    let decimals = digits.max(1) - 1;
    let s = format!("{v:.decimals$e}");
    let (mantissa, exponent) = s.split_once('e').expect("Rust writes an exponent");
    let n: i32 = exponent.parse().expect("an integer exponent");
    format!("{mantissa}×{}", power_of_ten(i64::from(n)))
}

/// Reads back a number as a table writes it: `78`, `−0.004`, `1.54×10⁻⁴³`,
/// `2.15`, `inf`, `NaN`, and the plain `1.5e-3` of other tools.
///
/// ```
/// use stable_learning::book::table::parse_number;
/// assert_eq!(parse_number("1.54×10⁻⁴³"), Some(1.54e-43));
/// assert_eq!(parse_number("−0.004"), Some(-0.004));
/// assert_eq!(parse_number("4.13×10¹⁰"), Some(4.13e10));
/// assert_eq!(parse_number("−inf"), Some(f64::NEG_INFINITY));
/// assert_eq!(parse_number("seven"), None);
/// ```
pub fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim().replace('−', "-");
    let s = match s.split_once("×10") {
        None => s,
        Some((mantissa, power)) => {
            let mut exponent = String::new();
            for c in power.chars() {
                exponent.push(match c {
                    '⁻' => '-',
                    '⁰' => '0',
                    '¹' => '1',
                    '²' => '2',
                    '³' => '3',
                    '⁴' => '4',
                    '⁵' => '5',
                    '⁶' => '6',
                    '⁷' => '7',
                    '⁸' => '8',
                    '⁹' => '9',
                    _ => return None,
                });
            }
            format!("{mantissa}e{exponent}")
        }
    };
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_gets_one_format() {
        assert_eq!(Format::for_values(&[78.0, 159.0, 0.0]), Format::Integer);
        assert_eq!(Format::for_values(&[0.436, 1.89, 0.035]), Format::Fixed(3));
        assert_eq!(Format::for_values(&[2.302, 0.474]), Format::Fixed(3));
        assert_eq!(Format::for_values(&[4.2, 9.9]), Format::Fixed(2));
        assert_eq!(Format::for_values(&[42.1, 99.0]), Format::Fixed(1));
        // Forty orders of magnitude: scientific for all.
        assert_eq!(
            Format::for_values(&[1.54e-43, 10350.6]),
            Format::Scientific(3)
        );
        // Below 0.001, or a spread over more than four decades: scientific.
        assert_eq!(Format::for_values(&[9.56e-4, 0.069]), Format::Scientific(3));
        assert_eq!(Format::for_values(&[0.002, 15.5]), Format::Fixed(3));
        assert_eq!(Format::for_values(&[0.002, 30.5]), Format::Scientific(3));
        assert_eq!(Format::for_values(&[0.002, 300.5]), Format::Scientific(3));
        // Zeros and blow-ups do not decide.
        assert_eq!(
            Format::for_values(&[0.0, 2.148, f64::NAN]),
            Format::Fixed(2)
        );
    }

    #[test]
    fn scientific_numbers_read_as_powers_of_ten() {
        let f = Format::Scientific(3);
        assert_eq!(f.format(1.54e-43), "1.54×10⁻⁴³");
        assert_eq!(f.format(-9.56e-4), "−9.56×10⁻⁴");
        assert_eq!(f.format(4.13e10), "4.13×10¹⁰");
        assert_eq!(f.format(2.148), "2.15×10⁰");
        assert_eq!(f.format(9996.0), "1.00×10⁴");
        assert_eq!(Format::Scientific(4).format(3125.0), "3.125×10³");
        assert_eq!(f.format(0.0), "0");
        assert_eq!(f.format(f64::INFINITY), "inf");
        assert_eq!(f.format(f64::NAN), "NaN");
        assert_eq!(f.range(1.64e-43, 8.13e-43), "1.64×10⁻⁴³ – 8.13×10⁻⁴³");
        assert_eq!(Format::Fixed(2).range(9.35, 52.78), "9.35–52.78");
        assert_eq!(Format::Fixed(3).format(-0.0014), "−0.001");
    }

    #[test]
    fn every_format_reads_back() {
        for v in [1.54e-43, -9.56e-4, 4.13e10, 2.15, 0.0, 123.0, -0.004] {
            for f in [Format::Scientific(3), Format::Fixed(3), Format::Integer] {
                let s = f.format(v);
                let back = parse_number(&s).unwrap_or_else(|| panic!("{s}"));
                let tolerance = match f {
                    Format::Scientific(_) => 0.005 * v.abs(),
                    Format::Fixed(_) => 0.0005,
                    Format::Integer => 0.5,
                };
                assert!((back - v).abs() <= tolerance, "{v} → {s} → {back}");
            }
        }
    }

    #[test]
    fn text_columns_stay_left_aligned() {
        let mut t = Table::new(&["what", "value", "range"]);
        t.row(vec![
            Cell::text("a"),
            Cell::number(1.0),
            Cell::range(0.5, 2.0),
        ]);
        t.row(vec![
            Cell::text("b"),
            Cell::text("–"),
            Cell::range(0.25, 4.0),
        ]);
        let md = t.to_markdown();
        assert_eq!(
            md,
            "| what | value | range |\n|---|---:|---:|\n| a | 1 | 0.500–2.000 |\n| b | – | 0.250–4.000 |\n"
        );
        let mut t = Table::new(&["what", "share"]);
        t.row(vec![Cell::text("a"), Cell::written("24.50%")]);
        assert_eq!(
            t.to_markdown(),
            "| what | share |\n|---|---:|\n| a | 24.50% |\n"
        );
    }
}
