//! Tables in what a notebook or script printed, in the forms students produce: Markdown pipe
//! tables, `DataFrame.to_string()` and other space-aligned columns, a DataFrame's HTML,
//! `tabulate` grids, and loose lines such as `Version 1: DecisionTree acc=0.94`.
//!
//! Recognition is heuristic and errs on the side of finding nothing: a grader that finds no
//! table says so, whereas a wrong table would be graded as if the student had printed it.

use std::ops::Range;

use super::notebook::{decode_entities, strip_ansi};

/// A table as printed: cells are trimmed text, numbers exactly as they were shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub form: TableForm,
    /// Column names; an index column without a name is `""`. Empty when the table printed none.
    pub header: Vec<String>,
    /// Rows may be shorter or longer than the header when the student's table was ragged.
    pub rows: Vec<Vec<String>>,
}

/// How a table was printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableForm {
    /// `| a | b |` over `|---|---|` (also tabulate's `github`, `pipe`, `presto`, `orgtbl`).
    Markdown,
    /// Columns aligned with spaces: `DataFrame.to_string()`, `print(df)`, tabulate's `simple`,
    /// f-string padding under a header.
    Aligned,
    /// Boxed with `+---+`/`|` or box drawing (tabulate's `grid`, `psql`, `fancy_grid`).
    Grid,
    /// An HTML `<table>` (a DataFrame's `text/html`).
    Html,
    /// One line per model version: `Version`, `Name`, then each `key: value` seen.
    Loose,
}

impl Table {
    /// The index of the column named `name` (case and surrounding space ignored).
    pub fn column(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        self.header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    }
}

/// A number as printed in a table cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    pub value: f64,
    /// Digits printed after the decimal point.
    pub decimals: u32,
    /// The power of ten of scientific notation (`1.5e-3` → -3), 0 otherwise.
    pub exponent: i32,
    /// Followed by `%`.
    pub percent: bool,
    /// The text it was read from.
    pub text: String,
}

impl Number {
    /// The place value of the last printed digit: `94.44` → 0.01.
    pub fn resolution(&self) -> f64 {
        10f64.powi(self.exponent - self.decimals as i32)
    }

    /// The value as a fraction when printed as a percent.
    pub fn as_fraction(&self) -> f64 {
        if self.percent {
            self.value / 100.0
        } else {
            self.value
        }
    }

    /// True when this is what printing `metric` with this many decimals could show, allowing
    /// for a fraction logged and a percent printed (with or without `%`), or the reverse.
    /// The scale is switched only where it is plausible: a logged value in [0, 1] may be printed
    /// ×100, a logged value in (1, 100] may be printed ÷100.
    pub fn matches(&self, metric: f64) -> bool {
        if !metric.is_finite() || !self.value.is_finite() {
            return false;
        }
        let half = 0.5 * self.resolution();
        let close = |logged: f64| {
            (self.value - logged).abs() <= half * (1.0 + 1e-9) + 1e-9 * logged.abs().max(1.0)
        };
        let fraction = (0.0..=1.0).contains(&metric);
        let percent = metric > 1.0 && metric <= 100.0;
        if self.percent {
            (fraction && close(metric * 100.0)) || (percent && close(metric))
        } else {
            close(metric)
                || (fraction && close(metric * 100.0))
                || (percent && close(metric / 100.0))
        }
    }
}

/// The numbers in a cell or line of text. Digits glued to a letter (`F1`, `v2`, run ids) and
/// dotted versions (`2.9.2`) are not numbers; `1,234` is one number.
pub fn numbers(text: &str) -> Vec<Number> {
    scan_numbers(text).into_iter().map(|(_, n)| n).collect()
}

/// Lines longer than this are never part of a table (a base64 blob, a minified JSON dump).
const MAX_LINE: usize = 2_000;

/// Every table in printed text, in order of appearance.
pub fn find_tables(text: &str) -> Vec<Table> {
    let cleaned;
    let text = if text.contains('\u{1b}') {
        cleaned = strip_ansi(text);
        &cleaned
    } else {
        text
    };
    // A carriage return redraws the line (progress bars): what stays on screen is the last part.
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.rsplit('\r').next().unwrap_or(l))
        .collect();
    let mut found: Vec<(usize, Table)> = Vec::new();
    let mut used = vec![false; lines.len()];
    // Space-aligned tables are tried from every line; on hostile text (thousands of lines
    // that line up) that is bounded by a budget of characters looked at.
    let mut budget = 4_000_000usize;
    let mut i = 0;
    while i < lines.len() {
        let hit = grid(&lines, i)
            .or_else(|| markdown(&lines, i))
            .or_else(|| aligned(&lines, i, &mut budget));
        match hit {
            Some((table, end)) => {
                used[i..end].iter_mut().for_each(|u| *u = true);
                found.push((i, table));
                i = end;
            }
            None => i += 1,
        }
    }
    found.extend(loose(&lines, &used));
    if contains_ignore_case(text, "<table") {
        // Offsets come in increasing order, so lines are counted once over the whole text.
        let (mut line, mut counted) = (0, 0);
        for (offset, t) in html_tables_at(text) {
            line += text.as_bytes()[counted..offset]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            counted = offset;
            found.push((line, t));
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, t)| t).collect()
}

fn contains_ignore_case(text: &str, needle: &str) -> bool {
    text.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn too_long(line: &str) -> bool {
    line.len() > MAX_LINE
}

const BARS: [char; 4] = ['|', '│', '┃', '║'];

fn is_box_char(c: char) -> bool {
    ('\u{2500}'..='\u{257f}').contains(&c)
}

/// `+----+----+`, `╒═══╤═══╕`, `|----+----|`: a horizontal border of a grid.
fn is_border(line: &str) -> bool {
    let t = line.trim();
    let first = t.chars().next();
    !too_long(line)
        && (first == Some('+') || first.is_some_and(is_box_char) || first == Some('|'))
        && t.chars()
            .all(|c| matches!(c, '+' | '-' | '=' | ':' | '|') || is_box_char(c))
        && t.chars()
            .filter(|c| matches!(c, '-' | '=' | '─' | '═' | '━'))
            .count()
            >= 3
}

fn is_bar_row(line: &str) -> bool {
    let t = line.trim();
    !too_long(line) && t.starts_with(BARS) && t.len() > 1
}

fn bar_cells(line: &str) -> Vec<String> {
    let t = line.trim();
    let t = t.strip_prefix(BARS).unwrap_or(t);
    let t = t.strip_suffix(BARS).unwrap_or(t);
    t.split(BARS).map(|c| c.trim().to_owned()).collect()
}

fn join_cells(lines: &[Vec<String>]) -> Vec<String> {
    let width = lines.iter().map(Vec::len).max().unwrap_or(0);
    (0..width)
        .map(|k| {
            lines
                .iter()
                .filter_map(|l| l.get(k))
                .filter(|c| !c.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn grid(lines: &[&str], start: usize) -> Option<(Table, usize)> {
    if !is_border(lines[start]) {
        return None;
    }
    // Groups of data lines between borders, and whether a heavy border ended each group.
    let mut groups: Vec<(Vec<Vec<String>>, bool)> = Vec::new();
    let mut current: Vec<Vec<String>> = Vec::new();
    let mut end = start + 1;
    while end < lines.len() {
        let l = lines[end];
        if is_border(l) {
            let heavy = l.contains(['=', '═', '╞', '╪']);
            if !current.is_empty() {
                groups.push((std::mem::take(&mut current), heavy));
            }
        } else if is_bar_row(l) {
            current.push(bar_cells(l));
        } else {
            break;
        }
        end += 1;
    }
    if !current.is_empty() {
        groups.push((current, false));
    }
    if groups.is_empty() {
        return None;
    }
    let heavy_at = groups.iter().position(|(_, heavy)| *heavy);
    // With a border under every row (tabulate's grid) a group is one row of wrapped lines;
    // with borders only around the header (psql) each line is a row.
    let one_row_per_group = groups.len() >= 3;
    let header_groups = match heavy_at {
        Some(k) => k + 1,
        None => 1,
    };
    let header = if header_groups == 1 && !one_row_per_group && heavy_at.is_none() {
        groups[0].0[0].clone()
    } else {
        join_cells(
            &groups[..header_groups]
                .iter()
                .flat_map(|(g, _)| g.iter().cloned())
                .collect::<Vec<_>>(),
        )
    };
    let mut rows = Vec::new();
    if header_groups == 1 && !one_row_per_group && heavy_at.is_none() {
        rows.extend(groups[0].0[1..].iter().cloned());
    }
    for (g, _) in &groups[header_groups..] {
        if one_row_per_group {
            rows.push(join_cells(g));
        } else {
            rows.extend(g.iter().cloned());
        }
    }
    Some((
        Table {
            form: TableForm::Grid,
            header,
            rows,
        },
        end,
    ))
}

/// Splits a pipe-table line on unescaped `|`, dropping the outer pipes.
fn pipe_cells(line: &str) -> Vec<String> {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = if t.ends_with('|') && !t.ends_with("\\|") {
        &t[..t.len() - 1]
    } else {
        t
    };
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            _ => cell.push(c),
        }
    }
    cells.push(cell.trim().to_owned());
    cells
}

fn is_pipe_separator(line: &str) -> bool {
    let t = line.trim();
    if too_long(line) || !t.contains('-') || !t.contains(['|', '+']) && !t.starts_with('-') {
        return false;
    }
    let t = t.trim_matches('|');
    t.split(['|', '+']).all(|part| {
        let p = part.trim();
        let p = p.strip_prefix(':').unwrap_or(p);
        let p = p.strip_suffix(':').unwrap_or(p);
        !p.is_empty() && p.chars().all(|c| c == '-')
    })
}

fn markdown(lines: &[&str], start: usize) -> Option<(Table, usize)> {
    let head = lines[start];
    if too_long(head) || !head.contains('|') || !is_pipe_separator(lines.get(start + 1)?) {
        return None;
    }
    let header = pipe_cells(head);
    if header.len() < 2 {
        return None;
    }
    let mut end = start + 2;
    let mut rows = Vec::new();
    while end < lines.len() && lines[end].contains('|') && !too_long(lines[end]) {
        if !is_pipe_separator(lines[end]) {
            rows.push(pipe_cells(lines[end]));
        }
        end += 1;
    }
    Some((
        Table {
            form: TableForm::Markdown,
            header,
            rows,
        },
        end,
    ))
}

/// `-----`, `=====`, `---------  -------`: a rule under or around a header.
fn is_rule(line: &str) -> bool {
    let t = line.trim();
    !too_long(line)
        && t.chars()
            .filter(|c| matches!(c, '-' | '=' | '─' | '━' | '═'))
            .count()
            >= 3
        && t.chars()
            .all(|c| matches!(c, '-' | '=' | '─' | '━' | '═' | ' ' | '+'))
}

/// A rule in column groups (`-----  -------`) marks the columns exactly (tabulate's `simple`).
fn is_grouped_rule(line: &str) -> bool {
    is_rule(line) && line.trim().contains("  ")
}

/// Columns of space-aligned lines: spans of positions that some line fills, merged so that
/// each has a header. `index` says the header starts blank over a first column of row labels
/// (pandas' index).
struct Columns {
    spans: Vec<Range<usize>>,
    index: bool,
}

fn chars_of(line: &str) -> Vec<char> {
    line.chars().collect()
}

fn filled(line: &[char], p: usize) -> bool {
    line.get(p).is_some_and(|c| !c.is_whitespace())
}

/// Which positions some line fills, kept up to date line by line so that each row added costs
/// only its own length.
#[derive(Default)]
struct Occupied {
    any: Vec<bool>,
    rows: Vec<bool>,
}

impl Occupied {
    fn add(&mut self, line: &[char], is_row: bool) {
        for (p, c) in line.iter().enumerate() {
            if c.is_whitespace() {
                continue;
            }
            for mask in [&mut self.any]
                .into_iter()
                .chain(is_row.then_some(&mut self.rows))
            {
                if mask.len() <= p {
                    mask.resize(p + 1, false);
                }
                mask[p] = true;
            }
        }
    }
}

fn columns(header: &[char], occ: &Occupied) -> Columns {
    let mut spans: Vec<Range<usize>> = Vec::new();
    let mut p = 0;
    while p < occ.any.len() {
        if occ.any[p] {
            let s = p;
            while p < occ.any.len() && occ.any[p] {
                p += 1;
            }
            spans.push(s..p);
        } else {
            p += 1;
        }
    }
    let blank_header = |r: &Range<usize>| !r.clone().any(|p| filled(header, p));
    let blank_rows = |r: &Range<usize>| !r.clone().any(|p| occ.rows.get(p) == Some(&true));
    // Leading spans without a header are the index, however many words its labels have.
    let lead = spans.iter().take_while(|r| blank_header(r)).count();
    let index = lead > 0 && lead < spans.len();
    if lead > 1 && index {
        let merged = spans[0].start..spans[lead - 1].end;
        spans.splice(0..lead, [merged]);
    }
    let first = usize::from(index);
    // Any other span without a header (a value's second word) or without values (a header's
    // second word) belongs to its nearer neighbour.
    while spans.len() - first >= 2 {
        let Some(k) =
            (first..spans.len()).find(|&k| blank_header(&spans[k]) || blank_rows(&spans[k]))
        else {
            break;
        };
        let left = (k > first).then(|| spans[k].start - spans[k - 1].end);
        let right = (k + 1 < spans.len()).then(|| spans[k + 1].start - spans[k].end);
        let into = match (left, right) {
            (Some(l), Some(r)) if l < r => k - 1,
            (Some(_), None) => k - 1,
            _ => k + 1,
        };
        let (a, b) = (k.min(into), k.max(into));
        let merged = spans[a].start..spans[b].end;
        spans.splice(a..=b, [merged]);
    }
    Columns { spans, index }
}

fn cut(line: &[char], cols: &Columns) -> Vec<String> {
    cols.spans
        .iter()
        .map(|r| {
            let s = r.start.min(line.len());
            let e = r.end.min(line.len());
            line[s..e].iter().collect::<String>().trim().to_owned()
        })
        .collect()
}

fn is_frame_footer(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('[') && t.ends_with(']') && t.contains(" rows x ") && t.contains(" columns")
}

/// Most rows of one space-aligned table; more is a log, not a table.
const MAX_ALIGNED_ROWS: usize = 1_000;

fn aligned(lines: &[&str], start: usize, budget: &mut usize) -> Option<(Table, usize)> {
    let head = lines[start];
    if *budget == 0
        || head.trim().is_empty()
        || too_long(head)
        || is_rule(head)
        || head.contains('|')
        || !scan_numbers(head).is_empty()
    {
        return None;
    }
    let header = chars_of(head.trim_end());
    let mut occ = Occupied::default();
    occ.add(&header, false);
    let mut j = start + 1;
    let mut ruled = false;
    if lines.get(j).is_some_and(|l| is_rule(l)) {
        ruled = true;
        if is_grouped_rule(lines[j]) {
            occ.add(&chars_of(lines[j].trim_end()), false);
        }
        j += 1;
    }
    // pandas prints a named index on its own line under the header.
    let mut index_name = None;
    if !ruled
        && header.first().is_some_and(|c| c.is_whitespace())
        && let Some(l) = lines.get(j)
        && !l.starts_with(char::is_whitespace)
        && !l.trim().is_empty()
        && !l.trim().contains(char::is_whitespace)
        && !too_long(l)
    {
        index_name = Some(l.trim().to_owned());
        j += 1;
    }
    let mut rows: Vec<Vec<char>> = Vec::new();
    let mut count = 0;
    while let Some(l) = lines.get(j) {
        if rows.len() >= MAX_ALIGNED_ROWS
            || l.trim().is_empty()
            || too_long(l)
            || is_rule(l)
            || is_frame_footer(l)
            || l.contains('|')
        {
            break;
        }
        // Charged for what a row costs: its characters and a pass over the column masks.
        *budget = budget.saturating_sub(l.len() + 2 * occ.any.len() + 1);
        if *budget == 0 {
            return None;
        }
        let row = chars_of(l.trim_end());
        let saved = (occ.any.clone(), occ.rows.clone());
        occ.add(&row, true);
        let n = columns(&header, &occ).spans.len();
        if rows.is_empty() {
            // Prose lines up in one column at most; no need to read on.
            if n < 2 {
                return None;
            }
            count = n;
        } else if n != count {
            (occ.any, occ.rows) = saved;
            break;
        }
        rows.push(row);
        j += 1;
    }
    if rows.is_empty() || count < 2 {
        return None;
    }
    let cols = columns(&header, &occ);
    let mut head_cells = cut(&header, &cols);
    let body: Vec<Vec<String>> = rows.iter().map(|r| cut(r, &cols)).collect();
    let first = usize::from(cols.index);
    if let (true, Some(name)) = (cols.index, index_name) {
        head_cells[0] = name;
    }
    // Lines that merely line up (a log, indented code) are not a table: a table's header
    // names its columns without numbers, and some column holds a number in every row.
    let header_ok = head_cells[first..]
        .iter()
        .all(|h| !h.is_empty() && scan_numbers(h).is_empty());
    let numeric_column =
        (first..cols.spans.len()).any(|k| body.iter().all(|r| !scan_numbers(&r[k]).is_empty()));
    if !header_ok || !(numeric_column || ruled && first == 0) {
        return None;
    }
    Some((
        Table {
            form: TableForm::Aligned,
            header: head_cells,
            rows: body,
        },
        j,
    ))
}

/// One line about one version: `Version 1: DecisionTree acc=0.94`.
#[derive(Debug)]
struct LooseRow {
    version: String,
    name: String,
    values: Vec<(String, String)>,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `version 3`, `Version: 3`, `v3`, `V3` as a word: the version number and the marker's span.
fn version_marker(line: &str) -> Option<(String, Range<usize>)> {
    let lower = line.to_ascii_lowercase();
    let b = lower.as_bytes();
    let word_start =
        |i: usize| i == 0 || !is_word_char(line[..i].chars().next_back().unwrap_or(' '));
    let digits_at = |mut i: usize| {
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        (i > s && (i == b.len() || !is_word_char(char::from(b[i])))).then_some(s..i)
    };
    for (i, _) in lower.char_indices() {
        if !word_start(i) {
            continue;
        }
        if lower[i..].starts_with("version") {
            let mut k = i + "version".len();
            while k < b.len() && matches!(b[k], b' ' | b':' | b'#' | b'=' | b'\t') {
                k += 1;
            }
            if let Some(d) = digits_at(k) {
                return Some((line[d.clone()].to_owned(), i..d.end));
            }
        } else if b[i] == b'v'
            && let Some(d) = digits_at(i + 1)
        {
            return Some((line[d.clone()].to_owned(), i..d.end));
        }
    }
    None
}

const DELIMITERS: [char; 9] = [',', ';', '|', '(', ')', '[', ']', '/', ':'];

/// A name or key without the punctuation around it; a parenthesised unit (`Accuracy (%)`)
/// stays, a lone bracket left over from the split goes.
fn clean_name(s: &str) -> String {
    let mut t = s
        .trim_start_matches(|c: char| !c.is_alphanumeric() && c != '(')
        .trim_end_matches(|c: char| !c.is_alphanumeric() && !matches!(c, ')' | '%'));
    if let Some(inner) = t.strip_prefix('(').and_then(|t| t.strip_suffix(')'))
        && !inner.contains(['(', ')'])
    {
        t = inner;
    }
    if t.ends_with(')') && !t.contains('(') {
        t = &t[..t.len() - 1];
    }
    if t.starts_with('(') && !t.contains(')') {
        t = &t[1..];
    }
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn loose_row(line: &str) -> Option<LooseRow> {
    if too_long(line) {
        return None;
    }
    let (version, marker) = version_marker(line)?;
    let mut values = Vec::new();
    let mut name = String::new();
    let mut from = marker.end;
    for (span, _) in scan_numbers(line) {
        if span.start < marker.end {
            continue;
        }
        let before = line[from..span.start].trim_end();
        let Some(keyed) = before.strip_suffix(['=', ':']) else {
            continue;
        };
        let keyed = keyed.trim_end();
        // A key may end in a unit in brackets (`Accuracy (%)`): look for the split before it.
        let unit = if keyed.ends_with(')') {
            keyed.rfind('(').unwrap_or(keyed.len())
        } else {
            keyed.len()
        };
        let split = keyed[..unit]
            .rfind(DELIMITERS)
            .or_else(|| keyed[..unit].rfind(" - "))
            .or_else(|| keyed[..unit].rfind(" – "));
        let (lead, key) = match split {
            Some(k) => (&keyed[..k], &keyed[k..]),
            None => ("", keyed),
        };
        // The first key follows the name with only a space between (`v1 DecisionTree acc=`):
        // then the key is the last word.
        let (lead, key) = if values.is_empty() && clean_name(lead).is_empty() {
            let key = clean_name(key);
            match key.rfind(' ') {
                Some(k) => (key[..k].to_owned(), key[k..].to_owned()),
                None => (String::new(), key),
            }
        } else {
            (lead.to_owned(), key.to_owned())
        };
        let key = clean_name(&key);
        if key.is_empty() {
            continue;
        }
        if values.is_empty() {
            name = clean_name(&lead);
        }
        values.push((key, line[span.clone()].trim().to_owned()));
        from = span.end;
    }
    if values.is_empty() {
        return None;
    }
    let mut pre = clean_name(&line[..marker.start]);
    // `Model: RandomForest, Version: 2, …` names the model after a label.
    if pre
        .get(..5)
        .is_some_and(|w| w.eq_ignore_ascii_case("model"))
    {
        pre = clean_name(&pre[5..]);
    }
    if !pre.is_empty() {
        name = clean_name(&format!("{pre} {name}"));
    }
    Some(LooseRow {
        version,
        name,
        values,
    })
}

/// Runs of loose lines, at most a few other lines apart, as tables.
fn loose(lines: &[&str], used: &[bool]) -> Vec<(usize, Table)> {
    let mut out = Vec::new();
    let mut run: Vec<LooseRow> = Vec::new();
    let mut run_start = 0;
    let mut gap = 0;
    let mut versions: std::collections::HashSet<String> = std::collections::HashSet::new();
    let flush = |run: &mut Vec<LooseRow>, start: usize, out: &mut Vec<(usize, Table)>| {
        if run.is_empty() {
            return;
        }
        let mut header = vec!["Version".to_owned(), "Name".to_owned()];
        for r in run.iter() {
            for (k, _) in &r.values {
                if !header[2..].iter().any(|h| h.eq_ignore_ascii_case(k)) {
                    header.push(k.clone());
                }
            }
        }
        let rows = run
            .drain(..)
            .map(|r| {
                let mut row = vec![String::new(); header.len()];
                row[0] = r.version;
                row[1] = r.name;
                for (k, v) in r.values {
                    if let Some(i) = header[2..].iter().position(|h| h.eq_ignore_ascii_case(&k))
                        && row[i + 2].is_empty()
                    {
                        row[i + 2] = v;
                    }
                }
                row
            })
            .collect();
        out.push((
            start,
            Table {
                form: TableForm::Loose,
                header,
                rows,
            },
        ));
    };
    for (i, l) in lines.iter().enumerate() {
        let row = if used[i] { None } else { loose_row(l) };
        match row {
            Some(r) => {
                if !versions.insert(r.version.clone()) {
                    flush(&mut run, run_start, &mut out);
                    versions.clear();
                    versions.insert(r.version.clone());
                }
                if run.is_empty() {
                    run_start = i;
                }
                run.push(r);
                gap = 0;
            }
            None if l.trim().is_empty() && !used[i] => {}
            None => {
                gap += 1;
                if gap > 3 || used[i] {
                    flush(&mut run, run_start, &mut out);
                    versions.clear();
                }
            }
        }
    }
    flush(&mut run, run_start, &mut out);
    out
}

/// Units that may follow a number directly (`1.2s`, `3.4MB`) without making it part of a word.
const UNITS: [&str; 7] = ["s", "ms", "sec", "mb", "kb", "gb", "x"];

fn scan_numbers(text: &str) -> Vec<(Range<usize>, Number)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let prev = text[..i].chars().next_back();
        let glued = prev.is_some_and(|c| is_word_char(c) || c == '.');
        let signed =
            matches!(b[i], b'-' | b'+') && !glued && b.get(i + 1).is_some_and(u8::is_ascii_digit);
        let dotted = b[i] == b'.' && !glued && b.get(i + 1).is_some_and(u8::is_ascii_digit);
        if glued || !(b[i].is_ascii_digit() || signed || dotted) {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        if signed {
            i += 1;
        }
        let int_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        // Thousands separators: `101,770` (only groups of exactly three digits).
        if i - int_start <= 3 {
            while i + 3 < b.len() + 1
                && b[i..].first() == Some(&b',')
                && b.get(i + 1..i + 4)
                    .is_some_and(|g| g.iter().all(u8::is_ascii_digit))
                && !b.get(i + 4).is_some_and(u8::is_ascii_digit)
            {
                i += 4;
            }
        }
        let mut decimals = 0;
        if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
                decimals += 1;
            }
        }
        let mut exponent = 0i32;
        if matches!(b.get(i), Some(b'e' | b'E')) {
            let mut k = i + 1;
            if matches!(b.get(k), Some(b'-' | b'+')) {
                k += 1;
            }
            let ds = k;
            while k < b.len() && b[k].is_ascii_digit() {
                k += 1;
            }
            if k > ds && k - ds <= 4 {
                exponent = text[i + 1..k].parse().unwrap_or(0);
                i = k;
            }
        }
        // `2.9.2` is a version, `3f2a…` an id: skip the whole token.
        let next_word: String = text[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        let dotted_on = b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit);
        let glued_after = b.get(i).is_some_and(|&c| c == b'_')
            || !next_word.is_empty() && !UNITS.contains(&next_word.to_ascii_lowercase().as_str())
            || !next_word.is_empty()
                && text[i + next_word.len()..]
                    .chars()
                    .next()
                    .is_some_and(is_word_char);
        if dotted_on || glued_after {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'.' | b'_')) {
                i += 1;
            }
            continue;
        }
        let number_end = i;
        let mut end = i;
        let mut percent = false;
        let spaces = b[i..].iter().take_while(|c| **c == b' ').count();
        if spaces <= 1 && b.get(i + spaces) == Some(&b'%') {
            percent = true;
            end = i + spaces + 1;
        }
        let digits: String = text[start..number_end]
            .chars()
            .filter(|c| *c != ',')
            .collect();
        if let Ok(value) = digits.parse::<f64>() {
            out.push((
                start..end,
                Number {
                    value,
                    decimals,
                    exponent,
                    percent,
                    text: text[start..end].to_owned(),
                },
            ));
        }
        i = end.max(start + 1);
    }
    out
}

/// The tables of an HTML fragment (a DataFrame's or Styler's `text/html`). Header rows are the
/// `<thead>` rows, or leading rows of `<th>` only; pandas' second header row naming the index is
/// folded into the first.
pub fn html_tables(html: &str) -> Vec<Table> {
    html_tables_at(html).into_iter().map(|(_, t)| t).collect()
}

/// [`html_tables`] with the byte offset of each `<table>` tag.
fn html_tables_at(html: &str) -> Vec<(usize, Table)> {
    #[derive(Default)]
    struct Building {
        head: Vec<Vec<String>>,
        body: Vec<Vec<String>>,
        /// Whether every cell of each body row so far was a `<th>`, for tables without `<thead>`.
        all_th: Vec<bool>,
    }
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut table_at = 0;
    let mut table = Building::default();
    let mut in_head = false;
    let mut row: Option<(Vec<String>, bool)> = None;
    let mut cell: Option<String> = None;
    let mut skip: Option<&str> = None;
    let mut rest = html;
    let close_cell = |cell: &mut Option<String>, row: &mut Option<(Vec<String>, bool)>| {
        if let (Some(c), Some((r, _))) = (cell.take(), row.as_mut()) {
            r.push(c.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    };
    while !rest.is_empty() {
        let lt = rest.find('<').unwrap_or(rest.len());
        if skip.is_none()
            && let Some(c) = cell.as_mut()
        {
            c.push_str(&decode_entities(&rest[..lt]));
        }
        if lt == rest.len() {
            break;
        }
        let tag_at = html.len() - rest.len() + lt;
        let after = &rest[lt + 1..];
        let Some(gt) = after.find('>') else { break };
        let tag = after[..gt].trim().to_ascii_lowercase();
        rest = &after[gt + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        if let Some(end) = skip {
            if closing && name == end {
                skip = None;
            }
            continue;
        }
        match (name.as_str(), closing) {
            ("style", false) => skip = Some("style"),
            ("script", false) => skip = Some("script"),
            ("table", false) => {
                depth += 1;
                if depth == 1 {
                    table = Building::default();
                    table_at = tag_at;
                }
            }
            ("table", true) if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    // Browsers close an open row at the end of a table; so does this.
                    close_cell(&mut cell, &mut row);
                    if let Some((r, th_only)) = row.take() {
                        table.body.push(r);
                        table.all_th.push(th_only);
                    }
                    let t = std::mem::take(&mut table);
                    out.push((table_at, finish_html(t.head, t.body, &t.all_th)));
                }
            }
            _ if depth != 1 => {}
            ("thead", closing) => in_head = !closing,
            ("tr", _) => {
                close_cell(&mut cell, &mut row);
                if let Some((r, th_only)) = row.take() {
                    if in_head {
                        table.head.push(r);
                    } else {
                        table.body.push(r);
                        table.all_th.push(th_only);
                    }
                }
                if !closing {
                    row = Some((Vec::new(), true));
                }
            }
            ("td" | "th", false) => {
                close_cell(&mut cell, &mut row);
                if let Some((_, th_only)) = row.as_mut() {
                    *th_only &= name == "th";
                    cell = Some(String::new());
                }
            }
            ("td" | "th", true) => close_cell(&mut cell, &mut row),
            ("br", _) => {
                if let Some(c) = cell.as_mut() {
                    c.push(' ')
                }
            }
            _ => {}
        }
    }
    out
}

fn finish_html(mut head: Vec<Vec<String>>, mut body: Vec<Vec<String>>, all_th: &[bool]) -> Table {
    if head.is_empty() {
        let n = all_th.iter().take_while(|t| **t).count().min(body.len());
        head = body.drain(..n).collect();
    }
    // pandas names the index in a second header row: `<th>Version</th><th></th>…`.
    if head.len() == 2
        && !head[1].is_empty()
        && !head[1][0].is_empty()
        && head[1][1..].iter().all(String::is_empty)
        && head[0].first().is_some_and(String::is_empty)
    {
        let name = head.pop().unwrap_or_default().swap_remove(0);
        head[0][0] = name;
    }
    let header = match head.len() {
        0 => Vec::new(),
        1 => head.pop().unwrap_or_default(),
        _ => join_cells(&head),
    };
    Table {
        form: TableForm::Html,
        header,
        rows: body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn one(text: &str) -> Table {
        let t = find_tables(text);
        assert_eq!(t.len(), 1, "{text}\n{t:#?}");
        t.into_iter().next().unwrap()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn markdown_pipe_tables() {
        let t = one("Task 1 results\n\n\
            | Version | Algorithm | Accuracy | F1-Score |\n\
            |:-------:|-----------|---------:|---------:|\n\
            | v1 | DecisionTreeClassifier | 94.44% | 0.9440 |\n\
            | v2 | RandomForestClassifier | 100.00% | 1.0000 |\n\
            | v3 | GradientBoostingClassifier | 94.44% | 0.9436 |\n\
            \n\
            Champion Model: v2 (RandomForestClassifier)\n");
        assert_eq!(t.form, TableForm::Markdown);
        assert_eq!(
            t.header,
            s(&["Version", "Algorithm", "Accuracy", "F1-Score"])
        );
        assert_eq!(t.rows.len(), 3);
        assert_eq!(
            t.rows[1],
            s(&["v2", "RandomForestClassifier", "100.00%", "1.0000"])
        );
        assert_eq!(t.column("accuracy"), Some(2));
        // Without outer pipes, and an escaped pipe inside a cell.
        let t = one("Metric | v1 | v2\n---|---|---\nAccuracy | 95.1 | 97.3\nNote | a \\| b | c\n");
        assert_eq!(t.rows[1], s(&["Note", "a | b", "c"]));
    }

    #[test]
    fn the_homeworks_expected_output_filled_in() {
        let text = concat!(
            "ตารางเปรียบเทียบ Wine Quality Models:\n",
            "\n",
            "| Version | Algorithm | Accuracy | F1-Score |\n",
            "|---------|-----------|----------|----------|\n",
            "| 1 | DecisionTree | 94.44% | 0.9440 |\n",
            "| 2 | RandomForest | 100.00% | 1.0000 |\n",
            "| 3 | GradientBoosting | 94.44% | 0.9436 |\n",
            "\n",
            "Champion Model: Version 2 (RandomForest)\n",
            "Alias Assignment:\n",
            "- baseline → Version 1\n",
            "- staging → Version 3\n",
            "- champion → Version 2\n",
        );
        let t = one(text);
        let acc = t.column("Accuracy").unwrap();
        let printed: Vec<Number> = t.rows.iter().map(|r| numbers(&r[acc]).remove(0)).collect();
        assert!(printed[0].matches(34.0 / 36.0) && printed[0].percent);
        assert!(printed[1].matches(1.0));
        assert!(!printed[2].matches(35.0 / 36.0));
    }

    #[test]
    fn pandas_to_string_with_a_default_index() {
        let t = one(concat!(
            "Model comparison:\n",
            "   Version                   Algorithm  Accuracy  F1-Score\n",
            "0        1      DecisionTreeClassifier  0.944444  0.944056\n",
            "1        2      RandomForestClassifier  1.000000  1.000000\n",
            "2        3  GradientBoostingClassifier  0.944444  0.943604\n",
        ));
        assert_eq!(t.form, TableForm::Aligned);
        assert_eq!(
            t.header,
            s(&["", "Version", "Algorithm", "Accuracy", "F1-Score"])
        );
        assert_eq!(
            t.rows[2],
            s(&[
                "2",
                "3",
                "GradientBoostingClassifier",
                "0.944444",
                "0.943604"
            ])
        );
    }

    #[test]
    fn pandas_with_a_named_index_and_words_in_cells() {
        let text = concat!(
            "                          Model  Accuracy (%)  Parameters  Time (s)\n",
            "Version                                                            \n",
            "v1        Shallow NN (baseline)         97.71     101,770     312.4\n",
            "v2       Medium Deep (improved)         98.02     235,146     655.0\n",
            "v3               Deep + Dropout         98.31     567,434    1020.9\n",
            "\n",
            "[3 rows x 4 columns]\n",
        );
        let t = one(text);
        assert_eq!(
            t.header,
            s(&["Version", "Model", "Accuracy (%)", "Parameters", "Time (s)"])
        );
        assert_eq!(
            t.rows[0],
            s(&["v1", "Shallow NN (baseline)", "97.71", "101,770", "312.4"])
        );
        assert_eq!(t.rows[2][1], "Deep + Dropout");
        assert_eq!(numbers(&t.rows[1][3])[0].value, 235146.0);
    }

    #[test]
    fn pandas_metric_by_version_comparison() {
        let t = one(concat!(
            "Task 2 comparison\n",
            "                   v1 (Shallow)  v2 (Medium)  v3 (Deep)\n",
            "Metric                                                 \n",
            "Accuracy (%)              97.71        98.02      98.31\n",
            "Loss                     0.0812       0.0701     0.0611\n",
            "Parameters               101770       235146     567434\n",
            "Training Time (s)         312.4        655.0     1020.9\n",
            "Model Size (MB)            0.39         0.90       2.17\n",
        ));
        assert_eq!(
            t.header,
            s(&["Metric", "v1 (Shallow)", "v2 (Medium)", "v3 (Deep)"])
        );
        assert_eq!(t.rows.len(), 5);
        assert_eq!(
            t.rows[3],
            s(&["Training Time (s)", "312.4", "655.0", "1020.9"])
        );
    }

    #[test]
    fn hostile_text_is_read_in_bounded_time() {
        let began = std::time::Instant::now();
        let lined_up = "Name  Value\n".repeat(10_000);
        assert!(find_tables(&lined_up).is_empty());
        let wide = format!("{}\n", "a  ".repeat(600)).repeat(1_000);
        let _ = find_tables(&wide);
        let log: String = (0..20_000)
            .map(|e| format!("v{e} epoch={e} loss: 0.{e:04}\n"))
            .collect();
        assert_eq!(find_tables(&log).len(), 1);
        // Generous: unoptimised test builds on a shared machine.
        assert!(began.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn pandas_without_index_and_f_string_padding_under_a_rule() {
        let t = one(concat!(
            "Version    Algorithm                 Accuracy\n",
            "      1 DecisionTreeClassifier         0.9444\n",
            "      2 RandomForestClassifier         1.0000\n",
        ));
        assert_eq!(t.header, s(&["Version", "Algorithm", "Accuracy"]));
        assert_eq!(t.rows[1], s(&["2", "RandomForestClassifier", "1.0000"]));

        let t = one(concat!(
            "==================================================\n",
            "MODEL COMPARISON\n",
            "==================================================\n",
            "Version   Algorithm            Accuracy   F1\n",
            "--------------------------------------------------\n",
            "v1        Decision Tree        94.44%     0.9440\n",
            "v2        Random Forest        100.00%    1.0000\n",
            "v3        Gradient Boosting    94.44%     0.9436\n",
            "--------------------------------------------------\n",
            "Champion: v2 (Random Forest)\n",
        ));
        assert_eq!(t.header, s(&["Version", "Algorithm", "Accuracy", "F1"]));
        assert_eq!(
            t.rows[2],
            s(&["v3", "Gradient Boosting", "94.44%", "0.9436"])
        );
    }

    #[test]
    fn tabulate_simple_and_github() {
        let t = one(concat!(
            "  Version  Algorithm                 Accuracy    F1-Score\n",
            "---------  ----------------------  ----------  ----------\n",
            "        1  DecisionTreeClassifier    0.944444    0.944056\n",
            "        2  RandomForestClassifier    1           1\n",
        ));
        assert_eq!(t.form, TableForm::Aligned);
        assert_eq!(
            t.header,
            s(&["Version", "Algorithm", "Accuracy", "F1-Score"])
        );
        assert_eq!(t.rows[1], s(&["2", "RandomForestClassifier", "1", "1"]));
        let t = one(concat!(
            "|    |   Version | Algorithm              |   Accuracy |\n",
            "|---:|----------:|:-----------------------|-----------:|\n",
            "|  0 |         1 | DecisionTreeClassifier |   0.944444 |\n",
        ));
        assert_eq!(t.form, TableForm::Markdown);
        assert_eq!(t.header, s(&["", "Version", "Algorithm", "Accuracy"]));
    }

    #[test]
    fn tabulate_grids_ascii_and_box_drawing() {
        let t = one(concat!(
            "+-----------+------------------------+------------+\n",
            "|   Version | Algorithm              |   Accuracy |\n",
            "+===========+========================+============+\n",
            "|         1 | DecisionTreeClassifier |     0.9444 |\n",
            "+-----------+------------------------+------------+\n",
            "|         2 | RandomForestClassifier |     1      |\n",
            "+-----------+------------------------+------------+\n",
        ));
        assert_eq!(t.form, TableForm::Grid);
        assert_eq!(t.header, s(&["Version", "Algorithm", "Accuracy"]));
        assert_eq!(
            t.rows,
            vec![
                s(&["1", "DecisionTreeClassifier", "0.9444"]),
                s(&["2", "RandomForestClassifier", "1"])
            ]
        );

        let t = one(concat!(
            "╒═══════════╤═════════════════════╤════════════╕\n",
            "│ Metric    │ v1 (Shallow)        │ v2 (Deep)  │\n",
            "╞═══════════╪═════════════════════╪════════════╡\n",
            "│ Accuracy  │ 97.71%              │ 98.31%     │\n",
            "├───────────┼─────────────────────┼────────────┤\n",
            "│ Loss      │ 0.0812              │ 0.0611     │\n",
            "├───────────┼─────────────────────┼────────────┤\n",
            "│ Params    │ 101,770             │ 567,434    │\n",
            "╘═══════════╧═════════════════════╧════════════╛\n",
        ));
        assert_eq!(t.header, s(&["Metric", "v1 (Shallow)", "v2 (Deep)"]));
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[2], s(&["Params", "101,770", "567,434"]));

        // psql: borders around the header only, one line per row.
        let t = one(concat!(
            "+----+-----------+------------+\n",
            "|    |   Version |   Accuracy |\n",
            "|----+-----------+------------|\n",
            "|  0 |         1 |   0.944444 |\n",
            "|  1 |         2 |   1        |\n",
            "+----+-----------+------------+\n",
        ));
        assert_eq!(t.header, s(&["", "Version", "Accuracy"]));
        assert_eq!(t.rows.len(), 2);
    }

    #[test]
    fn html_tables_from_dataframes() {
        let html = r#"<div>
<style scoped>
    .dataframe tbody tr th:only-of-type { vertical-align: middle; }
</style>
<table border="1" class="dataframe">
  <thead>
    <tr style="text-align: right;">
      <th></th>
      <th>Algorithm</th>
      <th>Accuracy</th>
    </tr>
    <tr>
      <th>Version</th>
      <th></th>
      <th></th>
    </tr>
  </thead>
  <tbody>
    <tr>
      <th>v1</th>
      <td>Decision&nbsp;Tree</td>
      <td>0.944444</td>
    </tr>
    <tr>
      <th>v2</th>
      <td>Random Forest &amp; co</td>
      <td>1.000000</td>
    </tr>
  </tbody>
</table>
<p>2 rows × 2 columns</p>
</div>"#;
        let t = html_tables(html);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].form, TableForm::Html);
        assert_eq!(t[0].header, s(&["Version", "Algorithm", "Accuracy"]));
        assert_eq!(t[0].rows[1], s(&["v2", "Random Forest & co", "1.000000"]));
        // Without <thead>: leading rows of <th> are the header; found from printed text too.
        let t = find_tables(
            "<TABLE><TR><TH>a</TH><TH>b</TH></TR><TR><TD>1</TD><TD>2<br>3</TD></TR></TABLE>",
        );
        assert_eq!(t[0].header, s(&["a", "b"]));
        assert_eq!(t[0].rows[0], s(&["1", "2 3"]));
        // In order among the other tables; an unclosed last row still counts.
        let t = find_tables(
            "<table><tr><th>x</th></tr><tr><td>1</td></table>\n\
             | a | b |\n|---|---|\n| 1 | 2 |\n\
             <table><tr><th>y</th></tr></table>",
        );
        let forms: Vec<_> = t.iter().map(|t| (t.form, t.header[0].as_str())).collect();
        assert_eq!(
            forms,
            [
                (TableForm::Html, "x"),
                (TableForm::Markdown, "a"),
                (TableForm::Html, "y")
            ]
        );
        assert_eq!(t[0].rows, vec![s(&["1"])]);
    }

    #[test]
    fn loose_lines_become_a_table_per_run() {
        let t = one(concat!(
            "Registering models...\n",
            "Version 1: DecisionTree acc=0.94\n",
            "Created version '1' of model 'wine-quality-classifier'.\n",
            "v2 RandomForest accuracy: 100.00%\n",
            "\n",
            "Model v3 (GradientBoosting) - Accuracy: 0.9444, F1: 0.9436\n",
        ));
        assert_eq!(t.form, TableForm::Loose);
        assert_eq!(t.header, s(&["Version", "Name", "acc", "accuracy", "F1"]));
        assert_eq!(t.rows[0], s(&["1", "DecisionTree", "0.94", "", ""]));
        assert_eq!(t.rows[1], s(&["2", "RandomForest", "", "100.00%", ""]));
        assert_eq!(
            t.rows[2],
            s(&["3", "GradientBoosting", "", "0.9444", "0.9436"])
        );
        let t = one(concat!(
            "✅ Registered v1 (DecisionTreeClassifier) | accuracy=0.9444 | f1=0.9440\n",
            "Model: RandomForestClassifier, Version: 2, Accuracy: 1.0000, F1: 1.0000\n",
            "Champion Model: v2 (RandomForestClassifier) with accuracy 100.00%\n",
        ));
        assert_eq!(t.header, s(&["Version", "Name", "accuracy", "f1"]));
        assert_eq!(
            t.rows[0],
            s(&["1", "Registered DecisionTreeClassifier", "0.9444", "0.9440"])
        );
        assert_eq!(
            t.rows[1],
            s(&["2", "RandomForestClassifier", "1.0000", "1.0000"])
        );
        assert_eq!(t.rows.len(), 2);
        let t = one("v3 Deep + Dropout - Accuracy (%): 98.31, Loss: 0.0611\n");
        assert_eq!(t.header, s(&["Version", "Name", "Accuracy (%)", "Loss"]));
        assert_eq!(t.rows[0], s(&["3", "Deep + Dropout", "98.31", "0.0611"]));
        // A repeated version starts another table; lines without a keyed value are not rows.
        let t = find_tables("v1 DT acc=0.9\nv1 DT acc=0.91\nv2 was registered\n");
        assert_eq!(t.len(), 2);
        assert!(
            find_tables("Successfully registered model 'x'.\nEpoch 3/50 loss 0.2\n").is_empty()
        );
    }

    #[test]
    fn text_that_only_lines_up_is_not_a_table() {
        assert!(
            find_tables(concat!(
                "    model = RandomForestClassifier()\n",
                "    model.fit(X_train, y_train)\n",
            ))
            .is_empty()
        );
        assert!(
            find_tables("Epoch 1/50, Train Loss: 0.3012\nEpoch 2/50, Train Loss: 0.2011\n")
                .is_empty()
        );
        assert!(find_tables("<Figure size 640x480 with 1 Axes>").is_empty());
        // A progress bar redrawn with carriage returns does not hide the table after it.
        let t = one("100%|██████████| 10/10 [00:01<00:00]\r\n\
                     Version  Accuracy\n-----------------\n1        0.94\n");
        assert_eq!(t.rows, vec![s(&["1", "0.94"])]);
    }

    #[test]
    fn numbers_carry_their_printed_precision() {
        let n =
            numbers("Accuracy: 94.44% (F1-Score 0.9436, 1.2e-3, 101,770 params, mlflow 2.9.2, v3)");
        let got: Vec<(f64, u32, bool)> =
            n.iter().map(|n| (n.value, n.decimals, n.percent)).collect();
        assert_eq!(
            got,
            [
                (94.44, 2, true),
                (0.9436, 4, false),
                (1.2e-3, 1, false),
                (101770.0, 0, false)
            ]
        );
        assert_eq!(n[2].exponent, -3);
        assert!((n[2].resolution() - 1e-4).abs() < 1e-18);
        assert_eq!(numbers("100.00 %")[0].text, "100.00 %");
        assert_eq!(numbers("-0.5 and +2")[0].value, -0.5);
        assert_eq!(numbers("3f2a9c1b run, 12.5s")[0].value, 12.5);
        assert!(numbers("F1 v2 x_3 run_1").is_empty());
    }

    #[test]
    fn numbers_match_logged_metrics_within_rounding() {
        let n = |t: &str| numbers(t).remove(0);
        let acc = 17.0 / 18.0; // 0.9444…
        assert!(n("94.44%").matches(acc));
        assert!(n("94.4%").matches(acc));
        assert!(n("0.9444").matches(acc));
        assert!(n("94.44").matches(acc));
        assert!(!n("94.45%").matches(acc));
        assert!(!n("0.9445").matches(acc));
        assert!(n("100.00%").matches(1.0));
        assert!(n("1.0").matches(1.0));
        assert!(n(&format!("{acc}")).matches(acc));
        // Logged in percent (the MNIST helpers), printed either way.
        assert!(n("97.71%").matches(97.713));
        assert!(n("0.9771").matches(97.713));
        assert!(!n("97.71%").matches(0.5));
        assert!(n("50%").as_fraction() == 0.5);
        assert!(!n("1").matches(f64::NAN));
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(t in ".*") {
            let _ = find_tables(&t);
            let _ = html_tables(&t);
            let _ = numbers(&t);
        }

        #[test]
        fn never_panics_on_table_like_text(
            t in prop::collection::vec(
                prop::sample::select(vec![
                    "|", "│", "+", "-", "=", "═", "╞", "╪", " ", "  ", "\n", "\r", ":", "v1", "Version 2:",
                    "acc=", "0.94", "100%", "1,234", "<table>", "<tr>", "<th>", "<td>", "</tr>", "</table>",
                    "<thead>", "</thead>", "&amp;", "&#x", "e-", ".", "é", "\u{1b}[", "a", "_",
                ]),
                0..80,
            )
        ) {
            let text: String = t.concat();
            for table in find_tables(&text) {
                prop_assert!(table.rows.iter().all(|r| r.len() < 100));
            }
            let _ = html_tables(&text);
            for n in numbers(&text) {
                let _ = n.matches(0.5);
            }
        }
    }
}
