//! Jupyter notebooks as plain data: cells in order with their sources, execution counts and
//! outputs (printed text, HTML, embedded images, errors).
//!
//! Hand-ins come from Jupyter, VS Code, Colab and hand edits, in nbformat 4 and sometimes 3, with
//! fields missing, `source` as one string or a list of lines, and now and then a file that is
//! not JSON at all. Whatever the shape, reading never panics: what is not understood is left out
//! rather than refused, and only a file that is not a JSON object is an error.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{Map, Value};

use super::images::{ImageSize, image_size};
use super::tables::{Table, find_tables, html_tables};
use super::{HandIn, HandinError, Kind};

/// Why a notebook was not read.
#[derive(Debug, thiserror::Error)]
pub enum NotebookError {
    #[error(transparent)]
    Read(#[from] HandinError),
    #[error("{path} is not a notebook: not JSON ({message})")]
    NotJson { path: PathBuf, message: String },
    #[error("{path} is not a notebook: the JSON is {found}, not an object")]
    NotAnObject { path: PathBuf, found: &'static str },
}

/// A notebook's cells, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Notebook {
    /// `nbformat` as written (4 or 3 in practice), when present.
    pub nbformat: Option<u64>,
    /// The kernel's language (`python`), when recorded.
    pub language: Option<String>,
    pub cells: Vec<Cell>,
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub kind: CellKind,
    /// The source text, lines joined as written.
    pub source: String,
    /// The `In [n]` number of a code cell that was run; `None` when never run or unknown.
    pub execution_count: Option<u64>,
    pub outputs: Vec<Output>,
    /// Images pasted into a Markdown cell (`attachment:` links).
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellKind {
    Code,
    /// Markdown, and nbformat 3's heading cells.
    Markdown,
    Raw,
    /// A cell type this reader does not know, as written.
    Other(String),
}

/// One output of a code cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Text printed to `stdout` or `stderr`.
    Stream { name: String, text: String },
    /// A cell's value (`execute_result`) or a `display(...)` (`display_data`).
    Data(DataOutput),
    /// An exception, with its traceback free of terminal colours.
    Error {
        ename: String,
        evalue: String,
        traceback: Vec<String>,
    },
    /// An output type this reader does not know, as written.
    Other(String),
}

/// The representations of a displayed value that graders look at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataOutput {
    /// True for an `execute_result` (the value of the cell's last line), false for
    /// `display_data`.
    pub is_result: bool,
    pub execution_count: Option<u64>,
    /// `text/plain`.
    pub text: Option<String>,
    /// `text/html` (a DataFrame's table, a Styler).
    pub html: Option<String>,
    /// `image/png` and `image/jpeg` (plots, confusion matrices).
    pub images: Vec<EmbeddedImage>,
}

/// A base64 image inside a notebook.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedImage {
    /// `image/png` or `image/jpeg`.
    pub mime: String,
    /// Decoded size in bytes; `None` when the base64 does not decode.
    pub bytes: Option<usize>,
    /// Pixel dimensions from the decoded header, when it has one.
    pub size: Option<ImageSize>,
    /// The decoded bytes, for a report's thumbnail; empty when they do not decode or are
    /// larger than [`KEPT_IMAGE_BYTES`].
    pub data: Vec<u8>,
}

/// The largest embedded image whose bytes are kept for a thumbnail.
pub(crate) const KEPT_IMAGE_BYTES: usize = 2 * 1024 * 1024;

/// An image attached to a Markdown cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    /// The name `attachment:NAME` refers to.
    pub name: String,
    pub image: EmbeddedImage,
}

/// A piece of text the notebook shows as output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    /// Index of the cell in [`Notebook::cells`].
    pub cell: usize,
    pub from: PrintedFrom,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintedFrom {
    /// `stdout`/`stderr`; consecutive chunks of one stream in a cell are joined, since `print`
    /// output may arrive split mid-line.
    Stream,
    /// A value's `text/plain`.
    Plain,
    /// A value's `text/html` with the markup removed, for values that have no `text/plain`.
    Html,
}

/// A code cell whose execution count is not above that of an earlier code cell: the notebook
/// was not run top to bottom, so its outputs may not come from the code above them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfOrder {
    pub cell: usize,
    pub count: u64,
    pub earlier_cell: usize,
    pub earlier_count: u64,
}

/// An error output and the cell that raised it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RaisedError<'a> {
    pub cell: usize,
    pub ename: &'a str,
    pub evalue: &'a str,
    pub traceback: &'a [String],
}

impl HandIn {
    /// Reads the notebook at `path` (inside the hand-in, capped as [`Kind::Notebook`]).
    pub fn read_notebook(&self, path: &Path) -> Result<Notebook, NotebookError> {
        let text = self.read_text(path, Kind::Notebook)?;
        Notebook::parse(&self.root().join(path), &text)
    }
}

impl Notebook {
    /// Parses notebook JSON; `path` only names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Notebook, NotebookError> {
        // Some Windows editors write a byte-order mark, which JSON does not allow.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // serde_json refuses nesting deeper than 128 levels, so hostile JSON cannot overflow the
        // stack either here or when the value is dropped.
        let value: Value = serde_json::from_str(text).map_err(|e| NotebookError::NotJson {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let Value::Object(top) = value else {
            return Err(NotebookError::NotAnObject {
                path: path.to_path_buf(),
                found: json_kind(&value),
            });
        };
        Ok(Notebook::from_object(&top))
    }

    fn from_object(top: &Map<String, Value>) -> Notebook {
        let meta = top.get("metadata").and_then(Value::as_object);
        let language = meta
            .and_then(|m| {
                m.get("language_info")
                    .and_then(|l| l.get("name"))
                    .or_else(|| m.get("kernelspec").and_then(|k| k.get("language")))
                    .or_else(|| m.get("language"))
            })
            .and_then(Value::as_str)
            .map(str::to_owned);
        let cells: Vec<&Value> = match top.get("cells") {
            Some(Value::Array(cells)) => cells.iter().collect(),
            // nbformat 3 keeps cells in worksheets (in practice exactly one).
            _ => top
                .get("worksheets")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|w| w.get("cells").and_then(Value::as_array))
                .flatten()
                .collect(),
        };
        Notebook {
            nbformat: top.get("nbformat").and_then(Value::as_u64),
            language,
            cells: cells
                .into_iter()
                .filter_map(Value::as_object)
                .map(cell)
                .collect(),
        }
    }

    /// Everything the notebook shows as text, in cell order: streams, `text/plain`, and HTML as
    /// text where a value has no plain form.
    pub fn printed(&self) -> Vec<Printed> {
        let mut out: Vec<Printed> = Vec::new();
        for (i, c) in self.cells.iter().enumerate() {
            let mut last_stream: Option<&str> = None;
            for o in &c.outputs {
                match o {
                    Output::Stream { name, text } => {
                        match out.last_mut() {
                            Some(p) if last_stream == Some(name.as_str()) => p.text.push_str(text),
                            _ => out.push(Printed {
                                cell: i,
                                from: PrintedFrom::Stream,
                                text: text.clone(),
                            }),
                        }
                        last_stream = Some(name.as_str());
                        continue;
                    }
                    Output::Data(d) => {
                        if let Some(t) = &d.text {
                            out.push(Printed {
                                cell: i,
                                from: PrintedFrom::Plain,
                                text: t.clone(),
                            });
                        } else if let Some(h) = &d.html {
                            out.push(Printed {
                                cell: i,
                                from: PrintedFrom::Html,
                                text: html_text(h),
                            });
                        }
                    }
                    Output::Error { .. } | Output::Other(_) => {}
                }
                last_stream = None;
            }
        }
        out
    }

    /// [`printed`](Self::printed) as one text, pieces separated by line breaks.
    pub fn printed_text(&self) -> String {
        let mut s = String::new();
        for p in self.printed() {
            s.push_str(&p.text);
            if !s.ends_with('\n') {
                s.push('\n');
            }
        }
        s
    }

    /// Every table the notebook shows, with its cell: from a value's HTML where it has a
    /// `<table>` (exact cells), otherwise from its printed text.
    pub fn tables(&self) -> Vec<(usize, Table)> {
        let mut out = Vec::new();
        for (i, c) in self.cells.iter().enumerate() {
            let mut stream = String::new();
            for o in &c.outputs {
                match o {
                    Output::Stream { text, .. } => stream.push_str(text),
                    Output::Data(d) => {
                        let from_html = d.html.as_deref().map(html_tables).unwrap_or_default();
                        if !from_html.is_empty() {
                            out.extend(from_html.into_iter().map(|t| (i, t)));
                        } else if let Some(t) = &d.text {
                            out.extend(find_tables(t).into_iter().map(|t| (i, t)));
                        }
                    }
                    _ => {}
                }
            }
            out.extend(find_tables(&stream).into_iter().map(|t| (i, t)));
        }
        out
    }

    /// True when any code cell was run (has an execution count or an output).
    pub fn was_executed(&self) -> bool {
        self.code_cells()
            .any(|(_, c)| c.execution_count.is_some() || !c.outputs.is_empty())
    }

    /// Code cells whose execution count is not above the highest one before them.
    pub fn out_of_order(&self) -> Vec<OutOfOrder> {
        let mut out = Vec::new();
        let mut highest: Option<(usize, u64)> = None;
        for (i, c) in self.code_cells() {
            let Some(n) = c.execution_count else { continue };
            match highest {
                Some((cell, top)) if n <= top => out.push(OutOfOrder {
                    cell: i,
                    count: n,
                    earlier_cell: cell,
                    earlier_count: top,
                }),
                _ => highest = Some((i, n)),
            }
        }
        out
    }

    /// The error outputs, in cell order.
    pub fn errors(&self) -> Vec<RaisedError<'_>> {
        let mut out = Vec::new();
        for (i, c) in self.cells.iter().enumerate() {
            for o in &c.outputs {
                if let Output::Error {
                    ename,
                    evalue,
                    traceback,
                } = o
                {
                    out.push(RaisedError {
                        cell: i,
                        ename,
                        evalue,
                        traceback,
                    });
                }
            }
        }
        out
    }

    fn code_cells(&self) -> impl Iterator<Item = (usize, &Cell)> {
        self.cells
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind == CellKind::Code)
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Notebook text fields are a string or a list of strings (lines with their `\n`).
fn multiline(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => Some(parts.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

fn string(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn cell(c: &Map<String, Value>) -> Cell {
    let kind = match c.get("cell_type").and_then(Value::as_str) {
        Some("code") => CellKind::Code,
        Some("markdown" | "heading") => CellKind::Markdown,
        Some("raw") => CellKind::Raw,
        Some(other) => CellKind::Other(other.to_owned()),
        None => CellKind::Other(String::new()),
    };
    // nbformat 3 names a code cell's source `input` and its count `prompt_number`.
    let source = multiline(c.get("source"))
        .or_else(|| multiline(c.get("input")))
        .unwrap_or_default();
    let execution_count = c
        .get("execution_count")
        .or_else(|| c.get("prompt_number"))
        .and_then(Value::as_u64);
    let outputs = c
        .get("outputs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(output)
        .collect();
    let mut attachments = Vec::new();
    for (name, bundle) in c
        .get("attachments")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for image in images(bundle.as_object()) {
            attachments.push(Attachment {
                name: name.clone(),
                image,
            });
        }
    }
    Cell {
        kind,
        source,
        execution_count,
        outputs,
        attachments,
    }
}

fn output(o: &Map<String, Value>) -> Output {
    let kind = o.get("output_type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "stream" => Output::Stream {
            // nbformat 3 names the stream `stream`.
            name: o
                .get("name")
                .or_else(|| o.get("stream"))
                .and_then(Value::as_str)
                .unwrap_or("stdout")
                .to_owned(),
            text: multiline(o.get("text")).unwrap_or_default(),
        },
        "execute_result" | "display_data" | "pyout" => {
            // nbformat 3 puts the representations on the output itself under short names.
            let (data, plain, html) = match o.get("data").and_then(Value::as_object) {
                Some(d) => (Some(d), "text/plain", "text/html"),
                None => (Some(o), "text", "html"),
            };
            Output::Data(DataOutput {
                is_result: kind != "display_data",
                execution_count: o
                    .get("execution_count")
                    .or_else(|| o.get("prompt_number"))
                    .and_then(Value::as_u64),
                text: multiline(data.and_then(|d| d.get(plain))),
                html: multiline(data.and_then(|d| d.get(html))),
                images: images(data),
            })
        }
        "error" | "pyerr" => Output::Error {
            ename: string(o.get("ename")),
            evalue: string(o.get("evalue")),
            traceback: o
                .get("traceback")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(strip_ansi)
                .collect(),
        },
        other => Output::Other(other.to_owned()),
    }
}

fn images(bundle: Option<&Map<String, Value>>) -> Vec<EmbeddedImage> {
    let Some(bundle) = bundle else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, mime) in [
        ("image/png", "image/png"),
        ("image/jpeg", "image/jpeg"),
        ("png", "image/png"),
        ("jpeg", "image/jpeg"),
    ] {
        if let Some(b64) = multiline(bundle.get(key)) {
            out.push(embedded(mime, &b64));
        }
    }
    out
}

fn embedded(mime: &str, b64: &str) -> EmbeddedImage {
    // Writers wrap base64 at 76 columns (nbformat 3 always did), and some drop the padding.
    let clean: Vec<u8> = b64.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let decoded = engine.decode(&clean).ok();
    EmbeddedImage {
        mime: mime.to_owned(),
        bytes: decoded.as_ref().map(Vec::len),
        size: decoded.as_deref().and_then(image_size),
        data: decoded
            .filter(|d| d.len() <= KEPT_IMAGE_BYTES)
            .unwrap_or_default(),
    }
}

/// Removes terminal escape sequences (IPython colours its tracebacks).
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // CSI: parameters and intermediates up to a final byte in @..~.
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // OSC (terminal titles, links): up to BEL or ESC \.
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            // Character set designations (`ESC ( B`) take one more character.
            Some('(' | ')' | '*' | '+') => {
                chars.next();
            }
            // Any other escape is two characters long.
            _ => {}
        }
    }
    out
}

/// HTML as the text a reader sees: no tags, scripts or styles; entities decoded; a line per
/// row, paragraph or break, and table cells separated by two spaces.
pub fn html_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    let mut skip_until: Option<&str> = None;
    while let Some(lt) = rest.find('<') {
        if skip_until.is_none() {
            out.push_str(&decode_entities(&rest[..lt]));
        }
        let after = &rest[lt + 1..];
        let Some(gt) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = after[..gt].trim().to_ascii_lowercase();
        rest = &after[gt + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if let Some(end) = skip_until {
            if closing && name == end {
                skip_until = None;
            }
            continue;
        }
        match name.as_str() {
            "style" | "script" if !closing => {
                skip_until = Some(if name == "style" { "style" } else { "script" })
            }
            "td" | "th" if closing => out.push_str("  "),
            "tr" | "p" | "div" | "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table"
                if closing =>
            {
                trim_end_spaces(&mut out);
                out.push('\n')
            }
            "br" => out.push('\n'),
            _ => {}
        }
    }
    if skip_until.is_none() {
        out.push_str(&decode_entities(rest));
    }
    out
}

fn trim_end_spaces(s: &mut String) {
    while s.ends_with(' ') {
        s.pop();
    }
}

/// Decodes the entities pandas and browsers write: named basics and numeric references.
pub(crate) fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[1..]
            .char_indices()
            .take(10)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i + 1);
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" | "#39" => '\'',
                "nbsp" => ' ',
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handin::images::tests::png_bytes;
    use proptest::prelude::*;
    use serde_json::json;

    fn parse(v: &Value) -> Notebook {
        Notebook::parse(Path::new("hw.ipynb"), &v.to_string()).unwrap()
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// A notebook as Jupyter writes one after a student's run of task 1.
    fn student_notebook() -> Value {
        json!({
          "nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"name": "python3", "language": "python"},
                       "language_info": {"name": "python"}},
          "cells": [
            {"cell_type": "markdown", "metadata": {},
             "source": ["# ชื่อ-นามสกุล: สมชาย ใจดี\n", "# รหัสนักศึกษา: 6501234567\n",
                        "![ui](attachment:registry.png)"],
             "attachments": {"registry.png": {"image/png": b64(&png_bytes(12, 7))}}},
            {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
             "source": "import mlflow\nmlflow.set_tracking_uri('http://127.0.0.1:5000')"},
            {"cell_type": "code", "execution_count": 2, "metadata": {},
             "source": ["for v in versions:\n", "    print(v)"],
             "outputs": [
               {"output_type": "stream", "name": "stdout", "text": ["Version 1: DecisionTree acc=0.9444\n", "Version 2: Random"]},
               {"output_type": "stream", "name": "stdout", "text": "Forest acc=1.0000\n"},
               {"output_type": "stream", "name": "stderr", "text": "Successfully registered model 'wine-quality-classifier'.\n"}
             ]},
            {"cell_type": "code", "execution_count": 5, "metadata": {}, "source": "df",
             "outputs": [{"output_type": "execute_result", "execution_count": 5, "metadata": {},
               "data": {
                 "text/plain": ["   Version     Algorithm  Accuracy\n", "0        1  DecisionTree  0.944444\n", "1        2  RandomForest  1.000000"],
                 "text/html": "<div><style scoped>.dataframe tbody tr th { vertical-align: top; }</style><table border=\"1\" class=\"dataframe\"><thead><tr style=\"text-align: right;\"><th></th><th>Version</th><th>Algorithm</th><th>Accuracy</th></tr></thead><tbody><tr><th>0</th><td>1</td><td>DecisionTree</td><td>0.944444</td></tr><tr><th>1</th><td>2</td><td>RandomForest</td><td>1.000000</td></tr></tbody></table></div>"
               }}]},
            {"cell_type": "code", "execution_count": 3, "metadata": {}, "source": "plt.show()",
             "outputs": [{"output_type": "display_data", "metadata": {},
               "data": {"image/png": format!("{}\n", b64(&png_bytes(64, 48))), "text/plain": "<Figure size 640x480 with 1 Axes>"}}]},
            {"cell_type": "code", "execution_count": 6, "metadata": {}, "source": "client.get_model_version_by_alias(name, 'champion')",
             "outputs": [{"output_type": "error", "ename": "RestException",
               "evalue": "RESOURCE_DOES_NOT_EXIST: alias champion not found",
               "traceback": ["\u{1b}[0;31m---------------------------------------------------------------------------\u{1b}[0m",
                             "\u{1b}[0;31mRestException\u{1b}[0m: RESOURCE_DOES_NOT_EXIST"]}]},
            {"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": ""},
            {"cell_type": "raw", "metadata": {}, "source": "raw text"}
          ]
        })
    }

    #[test]
    fn reads_cells_outputs_images_and_errors_of_nbformat_4() {
        let nb = parse(&student_notebook());
        assert_eq!(nb.nbformat, Some(4));
        assert_eq!(nb.language.as_deref(), Some("python"));
        assert_eq!(nb.cells.len(), 8);
        let kinds: Vec<_> = nb.cells.iter().map(|c| c.kind.clone()).collect();
        assert_eq!(kinds[0], CellKind::Markdown);
        assert_eq!(kinds[7], CellKind::Raw);
        assert!(nb.cells[0].source.contains("รหัสนักศึกษา: 6501234567\n!["));
        assert_eq!(nb.cells[0].attachments[0].name, "registry.png");
        let att = &nb.cells[0].attachments[0].image;
        assert_eq!((att.size.unwrap().width, att.size.unwrap().height), (12, 7));
        assert_eq!(nb.cells[2].source, "for v in versions:\n    print(v)");
        assert_eq!(nb.cells[6].execution_count, None);

        let Output::Data(plot) = &nb.cells[4].outputs[0] else {
            panic!("{:?}", nb.cells[4].outputs)
        };
        assert!(!plot.is_result);
        let img = &plot.images[0];
        assert_eq!(img.mime, "image/png");
        assert_eq!(img.bytes, Some(png_bytes(64, 48).len()));
        assert_eq!(img.size.map(|s| (s.width, s.height)), Some((64, 48)));

        let errors = nb.errors();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].cell, 5);
        assert_eq!(errors[0].ename, "RestException");
        assert_eq!(
            errors[0].traceback[1],
            "RestException: RESOURCE_DOES_NOT_EXIST"
        );
    }

    #[test]
    fn printed_text_joins_split_streams_and_keeps_order() {
        let nb = parse(&student_notebook());
        let printed = nb.printed();
        assert_eq!(printed[0].from, PrintedFrom::Stream);
        assert_eq!(
            printed[0].text,
            "Version 1: DecisionTree acc=0.9444\nVersion 2: RandomForest acc=1.0000\n"
        );
        assert!(printed[1].text.starts_with("Successfully registered"));
        assert_eq!(printed[2].from, PrintedFrom::Plain);
        assert!(
            printed[2]
                .text
                .contains("0        1  DecisionTree  0.944444")
        );
        let all = nb.printed_text();
        assert!(all.contains("<Figure size 640x480 with 1 Axes>\n"));
        // The DataFrame is found once, from its HTML; the loose lines from the stream.
        let tables = nb.tables();
        assert_eq!(tables.len(), 2, "{tables:#?}");
        assert!(tables.iter().any(|(cell, t)| *cell == 3
            && t.header == ["", "Version", "Algorithm", "Accuracy"]
            && t.rows[1] == ["1", "2", "RandomForest", "1.000000"]));
        assert!(
            tables
                .iter()
                .any(|(cell, t)| *cell == 2 && t.rows.len() == 2)
        );
    }

    #[test]
    fn execution_order_and_whether_it_ran() {
        let nb = parse(&student_notebook());
        assert!(nb.was_executed());
        // Counts 1, 2, 5, 3, 6: cell 4 (In [3]) ran after cell 3 (In [5]).
        assert_eq!(
            nb.out_of_order(),
            [OutOfOrder {
                cell: 4,
                count: 3,
                earlier_cell: 3,
                earlier_count: 5
            }]
        );
        let fresh = parse(&json!({"cells": [
            {"cell_type": "code", "source": "x = 1", "execution_count": null, "outputs": []},
            {"cell_type": "markdown", "source": "text"}]}));
        assert!(!fresh.was_executed());
        assert!(fresh.out_of_order().is_empty());
    }

    #[test]
    fn reads_nbformat_3_worksheets() {
        let nb = parse(&json!({
          "nbformat": 3, "metadata": {"name": "hw"},
          "worksheets": [{"cells": [
            {"cell_type": "heading", "level": 1, "source": "Task 1"},
            {"cell_type": "code", "language": "python", "input": ["print('hi')\n", "df"],
             "prompt_number": 4, "outputs": [
               {"output_type": "stream", "stream": "stdout", "text": ["hi\n"]},
               {"output_type": "pyout", "prompt_number": 4, "text": ["   a\n", "0  1"],
                "html": ["<table><tr><th></th><th>a</th></tr><tr><th>0</th><td>1</td></tr></table>"]},
               {"output_type": "display_data", "png": b64(&png_bytes(3, 2))},
               {"output_type": "pyerr", "ename": "ValueError", "evalue": "bad", "traceback": []}
             ]}
          ]}]
        }));
        assert_eq!(nb.nbformat, Some(3));
        assert_eq!(nb.cells[0].kind, CellKind::Markdown);
        let c = &nb.cells[1];
        assert_eq!(c.source, "print('hi')\ndf");
        assert_eq!(c.execution_count, Some(4));
        assert_eq!(
            c.outputs[0],
            Output::Stream {
                name: "stdout".into(),
                text: "hi\n".into()
            }
        );
        let Output::Data(d) = &c.outputs[1] else {
            panic!()
        };
        assert!(d.is_result);
        assert_eq!(d.text.as_deref(), Some("   a\n0  1"));
        assert!(d.html.as_deref().unwrap().starts_with("<table>"));
        let Output::Data(img) = &c.outputs[2] else {
            panic!()
        };
        assert_eq!(img.images[0].size.map(|s| s.width), Some(3));
        assert_eq!(nb.errors()[0].ename, "ValueError");
    }

    #[test]
    fn tolerates_missing_and_odd_fields() {
        let nb = parse(&json!({"cells": [
            {}, 7, {"cell_type": "code", "source": 5, "execution_count": -1,
                    "outputs": [{"output_type": "stream"}, {"data": 1}, {"output_type": "display_data", "data": {"image/png": "%%%not base64"}}]},
            {"cell_type": "sql", "source": ["a", 1, "b"]}]}));
        assert_eq!(nb.nbformat, None);
        assert_eq!(nb.cells.len(), 3);
        assert_eq!(nb.cells[0].kind, CellKind::Other(String::new()));
        assert_eq!(nb.cells[1].source, "");
        assert_eq!(nb.cells[1].execution_count, None);
        assert_eq!(nb.cells[1].outputs[1], Output::Other(String::new()));
        let Output::Data(d) = &nb.cells[1].outputs[2] else {
            panic!()
        };
        assert_eq!((d.images[0].bytes, d.images[0].size), (None, None));
        assert_eq!(nb.cells[2].kind, CellKind::Other("sql".into()));
        assert_eq!(nb.cells[2].source, "ab");
        assert_eq!(parse(&json!({})), Notebook::default());
    }

    #[test]
    fn refuses_what_is_not_a_json_object() {
        let p = Path::new("hw.ipynb");
        let e = Notebook::parse(p, "print('hello')")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("hw.ipynb is not a notebook: not JSON"), "{e}");
        let e = Notebook::parse(p, "[1, 2]").unwrap_err().to_string();
        assert!(e.contains("the JSON is an array"), "{e}");
        let deep = "[".repeat(100_000);
        assert!(Notebook::parse(p, &deep).is_err());
        assert!(Notebook::parse(p, "\u{feff}{\"cells\": []}").is_ok());
    }

    #[test]
    fn reads_through_the_hand_in() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("hw.ipynb"), student_notebook().to_string()).unwrap();
        std::fs::write(t.path().join("bad.ipynb"), "{").unwrap();
        let h = HandIn::new(t.path()).unwrap();
        assert_eq!(
            h.read_notebook(Path::new("hw.ipynb")).unwrap().cells.len(),
            8
        );
        let e = h.read_notebook(Path::new("bad.ipynb")).unwrap_err();
        assert!(matches!(e, NotebookError::NotJson { .. }), "{e}");
        let e = h.read_notebook(Path::new("missing.ipynb")).unwrap_err();
        assert!(
            matches!(e, NotebookError::Read(ref r) if r.is_not_found()),
            "{e}"
        );
    }

    #[test]
    fn ansi_and_html_become_plain_text() {
        assert_eq!(
            strip_ansi("\u{1b}[0;31mKeyError\u{1b}[0m: \u{1b}]8;;http://x\u{7}'acc'\u{1b}(B"),
            "KeyError: 'acc'"
        );
        assert_eq!(strip_ansi("cut \u{1b}["), "cut ");
        let t = html_text(
            "<style>td{}</style><table><tr><th>Model</th><th>Acc</th></tr>\
             <tr><td>RF &amp; co</td><td>1.0&nbsp;%</td></tr></table><p>Champion: v2</p>",
        );
        assert_eq!(t, "Model  Acc\nRF & co  1.0 %\n\nChampion: v2\n");
        assert_eq!(decode_entities("&#233;&#x41;&bogus; &"), "éA&bogus; &");
    }

    /// JSON shaped like notebooks, with notebook keys at every level, so that the generated
    /// documents reach deep into the reader rather than stopping at the top.
    fn notebookish() -> impl Strategy<Value = Value> {
        let keys = prop::sample::select(vec![
            "cells",
            "worksheets",
            "cell_type",
            "source",
            "input",
            "outputs",
            "output_type",
            "execution_count",
            "prompt_number",
            "data",
            "text",
            "text/plain",
            "text/html",
            "image/png",
            "png",
            "name",
            "ename",
            "evalue",
            "traceback",
            "attachments",
            "metadata",
            "language_info",
            "nbformat",
        ]);
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            prop::sample::select(vec![
                "code",
                "markdown",
                "raw",
                "stream",
                "execute_result",
                "display_data",
                "error",
                "pyout",
                "pyerr",
                "iVBORw0KGgo=",
                "<table><tr><td>1</td></tr></table>",
                "| a | b |\n|---|---|\n| 1 | 2 |",
            ])
            .prop_map(Value::from),
            ".*".prop_map(Value::from),
        ];
        leaf.prop_recursive(6, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((keys.clone(), inner), 0..6).prop_map(|kv| Value::Object(
                    kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                )),
            ]
        })
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in ".*") {
            let _ = Notebook::parse(Path::new("x"), &s);
            let _ = strip_ansi(&s);
            let _ = html_text(&s);
        }

        #[test]
        fn never_panics_on_arbitrary_json(v in notebookish()) {
            if let Ok(nb) = Notebook::parse(Path::new("x"), &v.to_string()) {
                let _ = nb.printed_text();
                let _ = nb.tables();
                let _ = nb.out_of_order();
                let _ = nb.errors();
                let _ = nb.was_executed();
            }
        }
    }
}
