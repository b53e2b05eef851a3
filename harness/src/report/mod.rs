//! Reports: per-submission and class summaries in Markdown and self-contained HTML.
//!
//! The flow is grade (+ snapshot + extras) → [`view`] (a plain serialisable view-model) → tera
//! templates → an injected writer. Renderers never open files or sockets; only [`files`] touches
//! the file system, and only [`screenshot`] drives a process (headless Chromium).
//!
//! Also here: the other shapes of a grade ([`text`] for the terminal, [`gradescope`],
//! [`gradebook`] CSV), what `check` prints ([`print`]) and the tables `run` prints
//! ([`run_tables`]).
//!
//! Templates are embedded in the binary (`templates/*.tera`), so an installed binary needs no
//! data files.

pub(crate) mod chart;
pub(crate) mod files;
pub(crate) mod gradebook;
pub(crate) mod gradescope;
pub(crate) mod manual;
pub(crate) mod png;
pub(crate) mod print;
mod reference_extras;
pub(crate) mod run_tables;
pub mod screenshot;
pub(crate) mod text;
pub mod view;

use std::io::Write;
use std::path::PathBuf;

pub(crate) use files::{guard_reviews, report_date, write_reports};
pub use files::{write_class_dir, write_submission_dir};
pub(crate) use print::Format;
pub(crate) use print::print;

pub use screenshot::{Browser, mlflow_ui_screenshots};
pub use view::{
    ClassView, PredictionRow, PredictionsView, ReportExtras, Screenshot, SubmissionInput,
    SubmissionView,
};

/// Errors while rendering or writing reports, or capturing screenshots.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing the report failed: {0}")]
    Io(#[from] std::io::Error),
    /// Finding, installing or running the browser; [`ReportError::is_no_browser`] says whether
    /// callers should skip the screenshots instead of failing.
    #[error(transparent)]
    Browser(#[from] crate::server::BrowserError),
    #[error("screenshot of {url} is blank (pixel variance {variance:.1}) after {budget_ms} ms")]
    BlankScreenshot {
        url: String,
        variance: f64,
        budget_ms: u64,
    },
}

impl ReportError {
    /// True for "no browser on this machine" (none found, and none could be installed): skip
    /// screenshots instead of failing.
    pub(crate) fn is_no_browser(&self) -> bool {
        matches!(self, ReportError::Browser(e) if e.is_unavailable())
    }
}

pub(crate) type Result<T, E = ReportError> = std::result::Result<T, E>;

/// The embedded templates, by the name templates `{% include %}`/`{% import %}` them with.
const EMBEDDED: [(&str, &str); 6] = [
    (
        "macros.html.tera",
        include_str!("../../../templates/macros.html.tera"),
    ),
    (
        "style.css.tera",
        include_str!("../../../templates/style.css.tera"),
    ),
    (
        "submission.md.tera",
        include_str!("../../../templates/submission.md.tera"),
    ),
    (
        "submission.html.tera",
        include_str!("../../../templates/submission.html.tera"),
    ),
    (
        "class.md.tera",
        include_str!("../../../templates/class.md.tera"),
    ),
    (
        "class.html.tera",
        include_str!("../../../templates/class.html.tera"),
    ),
];

/// A loaded template set.
#[derive(Debug)]
pub struct Templates {
    tera: tera::Tera,
}

fn template_error(name: &str, e: &tera::Error) -> ReportError {
    // tera nests the useful part (line, unknown variable) in the source chain.
    let mut message = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        message.push_str(": ");
        message.push_str(&s.to_string());
        src = s.source();
    }
    ReportError::Template {
        name: name.to_string(),
        message,
    }
}

impl Templates {
    /// The templates compiled into the binary.
    pub fn embedded() -> Result<Self> {
        Self::build(EMBEDDED.iter().map(|(n, t)| (n.to_string(), t.to_string())))
    }

    fn build(set: impl Iterator<Item = (String, String)>) -> Result<Self> {
        let mut tera = tera::Tera::default();
        // Escape HTML templates only; Markdown cells get the `md` filter instead.
        tera.autoescape_on(vec![".html.tera"]);
        tera.register_filter("md", md_filter);
        tera.register_filter("md_code", md_code_filter);
        tera.register_filter("code_spans", code_spans_filter);
        tera.add_raw_templates(set)
            .map_err(|e| template_error("(set)", &e))?;
        Ok(Templates { tera })
    }

    #[cfg(test)]
    fn render_str(&mut self, template: &str, ctx: &tera::Context) -> String {
        self.tera.render_str(template, ctx).unwrap()
    }

    fn render(&self, name: &str, value: &impl serde::Serialize, out: &mut dyn Write) -> Result<()> {
        let ctx = tera::Context::from_serialize(value).map_err(|e| template_error(name, &e))?;
        let text = self
            .tera
            .render(name, &ctx)
            .map_err(|e| template_error(name, &e))?;
        out.write_all(text.as_bytes())?;
        Ok(())
    }
}

/// HTML-escapes text and turns `backtick` spans (check messages use them) into `<code>`.
/// Templates mark the result `safe`; everything in it went through [`escape_html`].
fn code_spans_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let s = value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string);
    let parts: Vec<&str> = s.split('`').collect();
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        // Odd parts are inside backticks, unless the last backtick has no partner.
        let inside = i % 2 == 1 && !(parts.len().is_multiple_of(2) && i == parts.len() - 1);
        if inside {
            out.push_str("<code>");
            out.push_str(&escape_html(part));
            out.push_str("</code>");
        } else {
            if i % 2 == 1 {
                out.push('`');
            }
            out.push_str(&escape_html(part));
        }
    }
    Ok(tera::Value::String(out))
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// Makes text (a student's, often) inert in Markdown, table cells included: `<`, `>` (and an
/// `&` that would start a character reference) outside code spans become entities, so no raw HTML (`<script>`, `<img onerror=…>`) or
/// autolink gets through; pipes are escaped and line breaks flattened so a cell stays one cell.
/// Code spans (backtick runs, as check messages quote names) are kept: their content is
/// literal in Markdown already. Backtick runs and backslash escapes are read as CommonMark reads
/// them, so a student's stray backtick or backslash cannot move text out of a code span.
fn md_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    Ok(tera::Value::String(escape_md(&filter_text(value))))
}

/// The value as text: strings as they are, nothing for null, anything else as JSON.
fn filter_text(value: &tera::Value) -> String {
    match value {
        tera::Value::String(s) => s.clone(),
        tera::Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub(crate) fn escape_md(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if chars.get(i + 1).is_some_and(|n| n.is_ascii_punctuation()) => {
                // A backslash escape: the next character is literal. `\|` stays an escaped pipe.
                out.push('\\');
                out.push(chars[i + 1]);
                i += 2;
            }
            '`' => {
                let run = chars[i..].iter().take_while(|&&c| c == '`').count();
                match closing_run(&chars, i + run, run) {
                    Some(close) => {
                        for _ in 0..run {
                            out.push('`');
                        }
                        for &c in &chars[i + run..close] {
                            push_cell_char(&mut out, c);
                        }
                        for _ in 0..run {
                            out.push('`');
                        }
                        i = close + run;
                    }
                    None => {
                        // No partner: the run is literal text.
                        for _ in 0..run {
                            out.push('`');
                        }
                        i += run;
                    }
                }
            }
            '<' => {
                out.push_str("&lt;");
                i += 1;
            }
            '>' => {
                out.push_str("&gt;");
                i += 1;
            }
            '&' if starts_entity(&chars[i + 1..]) => {
                // `&lt;` typed by a student shows as `&lt;`, not as `<`.
                out.push_str("&amp;");
                i += 1;
            }
            c => {
                push_cell_char(&mut out, c);
                i += 1;
            }
        }
    }
    out
}

/// Whether the text after an `&` makes it a character reference (`&lt;`, `&#60;`, `&#x3c;`);
/// any other `&` is literal in Markdown and stays as it is ("Data loading & preparation").
fn starts_entity(rest: &[char]) -> bool {
    let name = rest
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '#')
        .count();
    name > 0 && rest.get(name) == Some(&';')
}

/// The start of the next run of exactly `len` backticks at or after `from`.
fn closing_run(chars: &[char], from: usize, len: usize) -> Option<usize> {
    let mut j = from;
    while j < chars.len() {
        if chars[j] == '`' {
            let run = chars[j..].iter().take_while(|&&c| c == '`').count();
            if run == len {
                return Some(j);
            }
            j += run;
        } else {
            j += 1;
        }
    }
    None
}

/// A character in a table cell: pipes escaped, line breaks as spaces.
fn push_cell_char(out: &mut String, c: char) {
    match c {
        '|' => out.push_str("\\|"),
        '\n' | '\r' => {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        }
        c => out.push(c),
    }
}

/// Text as one Markdown code span, whatever it holds: the fence is longer than any backtick run
/// inside, pipes are escaped and line breaks flattened (the span may sit in a table cell).
fn md_code_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let s = filter_text(value);
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let mut inner = String::new();
    for c in s.chars() {
        push_cell_char(&mut inner, c);
    }
    let pad = if inner.starts_with('`') || inner.ends_with('`') || inner.is_empty() {
        " "
    } else {
        ""
    };
    Ok(tera::Value::String(format!(
        "{fence}{pad}{inner}{pad}{fence}"
    )))
}

pub fn render_submission_md(t: &Templates, v: &SubmissionView, out: &mut dyn Write) -> Result<()> {
    t.render("submission.md.tera", v, out)
}

pub(crate) fn render_submission_html(
    t: &Templates,
    v: &SubmissionView,
    out: &mut dyn Write,
) -> Result<()> {
    t.render("submission.html.tera", v, out)
}

pub(crate) fn render_class_md(t: &Templates, v: &ClassView, out: &mut dyn Write) -> Result<()> {
    t.render("class.md.tera", v, out)
}

pub(crate) fn render_class_html(t: &Templates, v: &ClassView, out: &mut dyn Write) -> Result<()> {
    t.render("class.html.tera", v, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_templates_parse() {
        Templates::embedded().unwrap();
    }

    #[test]
    fn code_spans_escape_html_and_keep_lone_backticks() {
        let mut t = Templates::embedded().unwrap();
        let mut ctx = tera::Context::new();
        ctx.insert("m", "`a<b>` is on v1 & `x");
        assert_eq!(
            t.render_str("{{ m | code_spans | safe }}", &ctx),
            "<code>a&lt;b&gt;</code> is on v1 &amp; `x"
        );
    }

    #[test]
    fn markdown_cells_escape_pipes_and_newlines() {
        let mut t = Templates::embedded().unwrap();
        let mut ctx = tera::Context::new();
        ctx.insert("m", "a|b\nc");
        assert_eq!(t.render_str("{{ m | md }}", &ctx), "a\\|b c");
    }

    #[test]
    fn markdown_text_carries_no_raw_html() {
        for (input, want) in [
            (
                "<script>alert(1)</script>",
                "&lt;script&gt;alert(1)&lt;/script&gt;",
            ),
            (
                "<img src=x onerror=alert(1)>",
                "&lt;img src=x onerror=alert(1)&gt;",
            ),
            ("R&D <http://x>", "R&D &lt;http://x&gt;"),
            (
                "&lt;script&gt; &#60;b&#x3e;",
                "&amp;lt;script&amp;gt; &amp;#60;b&amp;#x3e;",
            ),
            // A code span is literal in Markdown: kept as it is.
            ("tag `<b>` set", "tag `<b>` set"),
            // A lone backtick opens nothing, so what follows is escaped.
            ("a`<b>", "a`&lt;b&gt;"),
            // An escaped backtick opens nothing either (CommonMark), so neither does it here.
            ("\\`<b>`", "\\`&lt;b&gt;`"),
            // Runs of different lengths do not pair up.
            ("``<b>`", "``&lt;b&gt;`"),
            ("``x`<i>``", "``x`<i>``"),
            ("a|b\r\nc", "a\\|b c"),
            ("`a|b`", "`a\\|b`"),
        ] {
            assert_eq!(escape_md(input), want, "{input}");
        }
    }

    #[test]
    fn code_spans_hold_any_text() {
        let mut t = Templates::embedded().unwrap();
        let mut ctx = tera::Context::new();
        for (input, want) in [
            ("wine-exp", "`wine-exp`"),
            ("a`b", "``a`b``"),
            ("`x", "`` `x ``"),
            ("a|b\nc", "`a\\|b c`"),
        ] {
            ctx.insert("m", input);
            assert_eq!(t.render_str("{{ m | md_code }}", &ctx), want, "{input}");
        }
    }
}
