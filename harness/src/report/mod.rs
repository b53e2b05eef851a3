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
pub(crate) mod print;
mod reference_extras;
pub(crate) mod run_tables;
pub mod screenshot;
pub(crate) mod text;
pub mod view;

use std::io::Write;
use std::path::PathBuf;

pub(crate) use files::{report_date, write_reports};
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

/// Makes text safe inside a Markdown table cell: pipes escaped, line breaks flattened.
fn md_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let s = match value {
        tera::Value::String(s) => s.clone(),
        tera::Value::Null => String::new(),
        other => other.to_string(),
    };
    Ok(tera::Value::String(
        s.replace('|', "\\|")
            .replace("\r\n", " ")
            .replace(['\n', '\r'], " "),
    ))
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
}
