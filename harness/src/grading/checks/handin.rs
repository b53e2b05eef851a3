//! Checks on what the hand-in itself shows: its code, what it printed, its tables and images.
//! Pure functions over [`HandInEvidence`] (and the store's [`Context`] where a printed number
//! is compared with what was logged); they run even when the hand-in has no store.

use std::collections::BTreeMap;

use super::identify::keyword_matches;
use super::{CheckResult, Context};
use crate::grading::evidence::HandInEvidence;
use crate::handin::{Call, Table, Value, numbers};
use crate::task::{ArgValue, TaskSpec};

fn no_code(id: String) -> CheckResult {
    CheckResult::new(
        id,
        false,
        "no notebook or script in the hand-in to read this from",
        Vec::new(),
    )
}

fn at(c: &Call) -> String {
    match c.loc.cell {
        Some(cell) => format!("code cell {}, line {}", cell + 1, c.loc.line),
        None => format!("line {}", c.loc.line),
    }
}

fn same(want: &ArgValue, got: &Value) -> bool {
    match want {
        ArgValue::Int(n) => got.as_f64().is_some_and(|g| (g - *n as f64).abs() < 1e-9),
        ArgValue::Float(f) => got.as_f64().is_some_and(|g| (g - f).abs() < 1e-9),
        ArgValue::Bool(b) => matches!(got, Value::Bool(g) if g == b),
        ArgValue::Str(s) => got.as_str() == Some(s.as_str()),
    }
}

fn shown_value(v: &ArgValue) -> String {
    match v {
        ArgValue::Int(n) => n.to_string(),
        ArgValue::Float(f) => f.to_string(),
        ArgValue::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        ArgValue::Str(s) => format!("{s:?}"),
    }
}

/// `call` appears in the code with the wanted constant arguments.
pub(super) fn code_call(
    id: String,
    call: &str,
    args: &BTreeMap<String, ArgValue>,
    e: Option<&HandInEvidence>,
) -> CheckResult {
    let Some(e) = e.filter(|e| e.code.parsed > 0) else {
        return no_code(id);
    };
    let names: Vec<&str> = call.split('|').map(str::trim).collect();
    let calls: Vec<&Call> = e
        .code
        .calls
        .iter()
        .filter(|c| names.iter().any(|n| c.matches(n)))
        .collect();
    let wanted = args
        .iter()
        .map(|(k, v)| format!("{k}={}", shown_value(v)))
        .collect::<Vec<_>>()
        .join(", ");
    let Some(first) = calls.first() else {
        return CheckResult::new(
            id,
            false,
            format!("no call to {} in the code", names.join(" or ")),
            vec![format!("{} code cell(s) and script(s) read", e.code.parsed)],
        );
    };
    let good = calls.iter().find(|c| {
        args.iter()
            .all(|(k, v)| c.kwarg(k).is_some_and(|g| same(v, g)))
    });
    match good {
        Some(c) => CheckResult::new(
            id,
            true,
            if args.is_empty() {
                format!("{} is called ({})", c.callee, at(c))
            } else {
                format!("{}({wanted}) is called ({})", c.callee, at(c))
            },
            Vec::new(),
        ),
        None => {
            let given: Vec<String> = args
                .keys()
                .map(|k| match first.kwarg(k) {
                    Some(v) if v.is_known() => format!("{k}={v}"),
                    Some(_) => format!("{k}=(not a constant harness can follow)"),
                    None => format!("no {k}"),
                })
                .collect();
            CheckResult::new(
                id,
                false,
                format!(
                    "{} is called with {}, not {wanted}",
                    first.callee,
                    given.join(", ")
                ),
                vec![format!("first call at {}", at(first))],
            )
        }
    }
}

/// Every number was printed, or logged as a param or metric of a run.
pub(super) fn shown(
    id: String,
    what: &str,
    wanted: &[f64],
    e: Option<&HandInEvidence>,
    ctx: Option<&Context<'_>>,
) -> CheckResult {
    let printed: Vec<f64> = e
        .map(|e| numbers(&e.printed))
        .unwrap_or_default()
        .iter()
        .map(|n| n.value)
        .collect();
    let has = |pool: &[f64], n: f64| pool.iter().any(|p| (p - n).abs() < 1e-9);
    let logged: Vec<f64> = ctx
        .map(|c| {
            c.snapshot
                .runs
                .iter()
                .filter(|r| c.experiment.is_none_or(|x| x.id == r.experiment_id))
                .flat_map(|r| {
                    r.params
                        .values()
                        .filter_map(|v| v.trim().parse::<f64>().ok())
                        .chain(r.metrics.values().copied())
                })
                .collect()
        })
        .unwrap_or_default();
    let list = wanted
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if wanted.iter().all(|n| has(&printed, *n)) {
        return CheckResult::new(id, true, format!("{what} ({list}) printed"), Vec::new());
    }
    if wanted.iter().all(|n| has(&logged, *n)) {
        return CheckResult::new(
            id,
            true,
            format!("{what} ({list}) logged to MLflow"),
            Vec::new(),
        );
    }
    let missing: Vec<String> = wanted
        .iter()
        .filter(|n| !has(&printed, **n) && !has(&logged, **n))
        .map(|n| n.to_string())
        .collect();
    CheckResult::new(
        id,
        false,
        format!("{what}: {} neither printed nor logged", missing.join(", ")),
        Vec::new(),
    )
}

/// What the homework asks to record about the data; each is recorded when it is logged to
/// MLflow **or** printed ("record" accepts either).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataFact {
    /// Sample counts or the split.
    Samples,
    ImageShape,
    Classes,
}

impl DataFact {
    /// The fact a `data_params` name records.
    fn of_param(name: &str) -> DataFact {
        let n = name.to_lowercase();
        if n.contains("shape") || n.contains("input") {
            DataFact::ImageShape
        } else if n.contains("class") {
            DataFact::Classes
        } else {
            DataFact::Samples
        }
    }

    fn name(self) -> &'static str {
        match self {
            DataFact::Samples => "samples",
            DataFact::ImageShape => "image shape",
            DataFact::Classes => "classes",
        }
    }

    /// Words one of which a printed line must hold to state this fact.
    fn words(self) -> &'static [&'static str] {
        match self {
            DataFact::Samples => &["sample", "train", "test", "split", "rows", "size"],
            DataFact::ImageShape => &["shape", "image", "pixel", "dimension", "input"],
            DataFact::Classes => &["class"],
        }
    }

    /// Whether a printed line states this fact: one clause (split at `,`, `;`, `|`) holds one
    /// of its words and a whole number (at least 10 for sample counts). Lines about
    /// predictions or scores are not about the data.
    fn stated_in(self, line: &str) -> bool {
        let l = line.to_lowercase();
        if mentions(&l, &PREDICTED) || mentions(&l, &["accuracy", "loss", "epoch"]) {
            return false;
        }
        let least = if self == DataFact::Samples { 10.0 } else { 2.0 };
        clauses(&l).into_iter().any(|clause| {
            self.words().iter().any(|w| clause.contains(w))
                && numbers(clause)
                    .iter()
                    .any(|n| n.value.fract() == 0.0 && n.value >= least && n.exponent == 0)
        })
    }
}

/// A line's clauses: split at `,`, `;` and `|` outside brackets, so `(1, 28, 28)` stays whole.
fn clauses(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in line.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' | ';' | '|' if depth <= 0 => {
                out.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&line[start..]);
    out
}

/// The printed line stating each fact: one line stating them all when there is one (an image
/// data set's summary line, rather than another data set's sample count), else the first line
/// stating each.
fn printed_facts(facts: &[DataFact], printed: &str) -> Vec<Option<String>> {
    let shown = |line: &str| line.trim().chars().take(100).collect::<String>();
    if let Some(line) = printed
        .lines()
        .find(|l| facts.iter().all(|f| f.stated_in(l)))
    {
        return facts.iter().map(|_| Some(shown(line))).collect();
    }
    facts
        .iter()
        .map(|f| printed.lines().find(|l| f.stated_in(l)).map(shown))
        .collect()
}

/// `data_logged` for a hand-in: what the store's check says when the runs record the data,
/// else each fact the task's `data_params` name (samples, image shape, classes) logged as a
/// param or printed. Without a store, `None` unless the printing alone records every fact (the
/// check then stays the store's).
pub(super) fn data_recorded(
    id: String,
    spec: &TaskSpec,
    e: &HandInEvidence,
    ctx: Option<&Context<'_>>,
) -> Option<CheckResult> {
    let logged = ctx.map(|c| super::runs::data_logged(id.clone(), c));
    if let Some(r) = &logged
        && r.status == super::CheckStatus::Pass
    {
        return logged;
    }
    let mut facts: Vec<DataFact> = Vec::new();
    for f in spec
        .requirements
        .data_params
        .iter()
        .map(|p| DataFact::of_param(p))
    {
        if !facts.contains(&f) {
            facts.push(f);
        }
    }
    let runs = ctx.map(super::runs::data_runs).unwrap_or_default();
    let logged_as = |f: DataFact| {
        runs.iter().find_map(|r| {
            spec.requirements
                .data_params
                .iter()
                .filter(|p| DataFact::of_param(p) == f)
                .find_map(|p| super::identify::find_key(&r.params, p))
                .map(|(k, v)| format!("logged as param {k} = {v}"))
        })
    };
    let mut how = Vec::new();
    let mut missing = Vec::new();
    for (f, line) in facts.iter().zip(printed_facts(&facts, &e.printed)) {
        match line
            .map(|line| format!("printed: \"{line}\""))
            .or_else(|| logged_as(*f))
        {
            Some(h) => how.push(format!("{}: {h}", f.name())),
            None => missing.push(f.name()),
        }
    }
    let names = facts
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ");
    if !facts.is_empty() && missing.is_empty() {
        return Some(CheckResult::new(
            id,
            true,
            format!("the data ({names}) is recorded in the hand-in"),
            how,
        ));
    }
    let mut r = logged?;
    r.message = format!(
        "{}; nor is {} printed in the hand-in",
        r.message,
        missing.join(", ")
    );
    r.evidence.extend(how);
    Some(r)
}

/// A model URI the code loads, as far as it could be followed.
fn model_uri(c: &Call) -> Option<&str> {
    c.param(0, "model_uri").and_then(Value::as_str)
}

/// The registered model is loaded in the code (through `alias` when given).
pub(super) fn model_loaded(
    id: String,
    alias: Option<&str>,
    spec: &TaskSpec,
    e: Option<&HandInEvidence>,
) -> CheckResult {
    let Some(e) = e.filter(|e| e.code.parsed > 0) else {
        return no_code(id);
    };
    let name = spec.registered_model.as_deref().unwrap_or("");
    let loads: Vec<&Call> = e.code.calls_named("load_model").collect();
    let uris: Vec<(&Call, &str)> = loads
        .iter()
        .filter_map(|c| Some((*c, model_uri(c)?)))
        .collect();
    let of_model = |u: &str| {
        u.strip_prefix("models:/")
            .is_some_and(|rest| rest.starts_with(name) && !name.is_empty())
    };
    match alias {
        Some(alias) => {
            let want = format!("models:/{name}@{alias}");
            if let Some((c, u)) = uris.iter().find(|(_, u)| *u == want) {
                return CheckResult::new(id, true, format!("loads {u} ({})", at(c)), Vec::new());
            }
            let by_alias_lookup = e
                .code
                .calls_named("get_model_version_by_alias")
                .find(|c| c.param(1, "alias").and_then(Value::as_str) == Some(alias));
            // `mv = get_model_version_by_alias(...)` then `load_model(f"models:/{name}/{mv.version}")`:
            // the load's URI is not a constant then. A constant URI that names a version
            // number is loading by version, whatever was looked up before.
            let followed_later = loads.iter().any(|c| model_uri(c).is_none());
            if let (Some(c), true) = (by_alias_lookup, followed_later) {
                return CheckResult::new(
                    id,
                    true,
                    format!(
                        "looks up @{alias} with get_model_version_by_alias ({}) and loads it",
                        at(c)
                    ),
                    Vec::new(),
                );
            }
            let other: Vec<String> = uris
                .iter()
                .map(|(c, u)| format!("{u} ({})", at(c)))
                .collect();
            CheckResult::new(
                id,
                false,
                if other.is_empty() && loads.is_empty() {
                    format!("the code never loads a model (no load_model call); {want} expected")
                } else if other.is_empty() {
                    format!(
                        "load_model is called, but not with {want} (its URI could not be followed)"
                    )
                } else {
                    format!(
                        "the model is loaded as {}, not by alias ({want})",
                        other.join(", ")
                    )
                },
                Vec::new(),
            )
        }
        None => match uris.iter().find(|(_, u)| of_model(u)) {
            Some((c, u)) => {
                CheckResult::new(id, true, format!("loads {u} ({})", at(c)), Vec::new())
            }
            None if !loads.is_empty() => CheckResult::new(
                id,
                true,
                format!(
                    "load_model is called ({}); its URI could not be followed",
                    at(loads[0])
                ),
                Vec::new(),
            ),
            None => CheckResult::new(
                id,
                false,
                format!("the code never loads `{name}` from the registry"),
                Vec::new(),
            ),
        },
    }
}

const PREDICTED: [&str; 3] = ["pred", "predicted", "prediction"];
const ACTUAL: [&str; 6] = ["actual", "true", "label", "target", "expected", "y_test"];
const CONFIDENCE: [&str; 4] = ["conf", "prob", "softmax", "score"];

fn mentions(text: &str, words: &[&str]) -> bool {
    let t = text.to_lowercase();
    words.iter().any(|w| t.contains(w))
}

/// At least `count` predictions printed next to the actual values.
pub(super) fn predictions_shown(
    id: String,
    count: usize,
    confidence: bool,
    e: Option<&HandInEvidence>,
) -> CheckResult {
    let Some(e) = e.filter(|e| !e.printed.trim().is_empty()) else {
        return CheckResult::new(
            id,
            false,
            "the hand-in printed nothing (no outputs)",
            Vec::new(),
        );
    };
    let header_ok = |t: &Table| {
        let h = t.header.join(" ");
        mentions(&h, &PREDICTED)
            && mentions(&h, &ACTUAL)
            && (!confidence || mentions(&h, &CONFIDENCE))
    };
    if let Some(t) = e
        .tables
        .iter()
        .find(|t| header_ok(t) && t.rows.len() >= count)
    {
        return CheckResult::new(
            id,
            true,
            format!("a table of {} predictions with actual values", t.rows.len()),
            vec![format!("columns: {}", t.header.join(", "))],
        );
    }
    // `Sample 3: predicted 1, actual 1 (confidence 0.98)`, one line each.
    let lines = e
        .printed
        .lines()
        .filter(|l| mentions(l, &PREDICTED) && mentions(l, &ACTUAL))
        .filter(|l| !confidence || mentions(l, &CONFIDENCE) || l.contains('%'))
        .count();
    if lines >= count {
        return CheckResult::new(
            id,
            true,
            format!("{lines} printed lines with a prediction and the actual value"),
            Vec::new(),
        );
    }
    // `Predictions: [1 0 2 …]` over `Actual: [1 0 2 …]`.
    let longest = |words: &[&str]| {
        e.printed
            .lines()
            .filter(|l| mentions(l, words))
            .map(|l| numbers(l).len())
            .max()
            .unwrap_or(0)
    };
    let (p, a) = (longest(&PREDICTED), longest(&ACTUAL));
    if p >= count && a >= count && !confidence {
        return CheckResult::new(
            id,
            true,
            format!("{p} predictions printed beside {a} actual values"),
            Vec::new(),
        );
    }
    CheckResult::new(
        id,
        false,
        format!(
            "fewer than {count} predictions printed next to the actual values{}",
            if confidence { " with a confidence" } else { "" }
        ),
        vec![format!(
            "best found: {} lines, {} predicted and {} actual values in one line",
            lines, p, a
        )],
    )
}

/// Which row of `table` names which version of `spec`, one row per version: `(row, version key)`.
/// A row's name can hold another version's keyword ("Medium Deep NN" holds "deep"), so the pairs
/// with the most matching keywords are taken first, each row and version once.
fn rows_of_versions<'s>(spec: &'s TaskSpec, table: &Table) -> Vec<(usize, &'s str)> {
    let mut pairs: Vec<(usize, usize, usize)> = Vec::new(); // (keywords matched, row, version)
    for (r, row) in table.rows.iter().enumerate() {
        let text = row.join(" ");
        for (v, version) in spec.versions.iter().enumerate() {
            let n = version
                .keywords
                .iter()
                .filter(|k| keyword_matches(k, &text))
                .count();
            if n > 0 {
                pairs.push((n, r, v));
            }
        }
    }
    // Most keywords first; ties go to the earlier row, then the earlier version.
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let (mut rows_taken, mut versions_taken) = (Vec::new(), Vec::new());
    let mut hits = Vec::new();
    for (_, r, v) in pairs {
        if !rows_taken.contains(&r) && !versions_taken.contains(&v) {
            rows_taken.push(r);
            versions_taken.push(v);
            hits.push((r, spec.versions[v].key.as_str()));
        }
    }
    hits.sort_unstable();
    hits
}

/// A printed table with a row per expected version of `task`, matching the logged accuracies.
pub(super) fn comparison_table(
    id: String,
    task: Option<&TaskSpec>,
    e: Option<&HandInEvidence>,
    ctx: Option<&Context<'_>>,
) -> CheckResult {
    let Some(spec) = task else {
        return CheckResult::new(
            id,
            false,
            "the task this table compares is not being graded (use --task all)",
            Vec::new(),
        );
    };
    let Some(e) = e.filter(|e| !e.tables.is_empty()) else {
        return CheckResult::new(id, false, "no printed table in the hand-in", Vec::new());
    };
    let best = e
        .tables
        .iter()
        .map(|t| (rows_of_versions(spec, t), t))
        .max_by_key(|(hits, _)| hits.len());
    let found = best.as_ref().map_or(0, |(h, _)| h.len());
    let Some((hits, table)) = best.filter(|(h, _)| h.len() == spec.versions.len()) else {
        return CheckResult::new(
            id,
            false,
            format!(
                "no printed table has a row for each of the {} versions of {} (best: {found})",
                spec.versions.len(),
                spec.id
            ),
            vec![format!("{} table(s) found in the output", e.tables.len())],
        );
    };
    let mut evidence = vec![format!("columns: {}", table.header.join(", "))];
    let acc_col = table
        .header
        .iter()
        .position(|h| h.to_lowercase().contains("acc"));
    let mut differ = Vec::new();
    if let (Some(col), Some(ctx)) = (acc_col, ctx) {
        for (row, key) in &hits {
            let Some(ident) = ctx.identified.get(*key) else {
                continue;
            };
            let Some(acc) = ctx.accuracy.get(&ident.version.version) else {
                continue;
            };
            let Some(cell) = table.rows[*row].get(col) else {
                continue;
            };
            if let Some(n) = numbers(cell).first()
                && !n.matches(acc.raw)
                && !n.matches(acc.value)
            {
                differ.push(format!(
                    "v{} printed {}, logged {} = {}",
                    ident.version.version, n.text, acc.metric, acc.raw
                ));
            }
        }
    } else if ctx.is_some() {
        evidence.push("no accuracy column to compare with the logged metrics".into());
    }
    if differ.is_empty() {
        CheckResult::new(
            id,
            true,
            format!("a table with a row for each version of {}", spec.id),
            evidence,
        )
    } else {
        CheckResult::new(
            id,
            false,
            format!(
                "printed results differ from what was logged: {}",
                differ.join("; ")
            ),
            evidence,
        )
    }
}

/// At least `min` images: screenshot files, or images embedded in a notebook.
pub(super) fn screenshots(id: String, min: usize, e: Option<&HandInEvidence>) -> CheckResult {
    let images: &[String] = e.map_or(&[], |e| &e.images);
    CheckResult::new(
        id,
        images.len() >= min,
        if images.len() >= min {
            format!(
                "{} image(s) in the hand-in; the TA confirms they show the registry",
                images.len()
            )
        } else {
            format!(
                "{} image(s) in the hand-in, at least {min} wanted",
                images.len()
            )
        },
        images.iter().take(12).cloned().collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grading::checks::CheckStatus;
    use crate::handin::{PythonFacts, find_tables};

    fn evidence(code: &[&str], printed: &str) -> HandInEvidence {
        HandInEvidence {
            code: PythonFacts::from_cells(code.iter().copied().enumerate()),
            printed: printed.to_string(),
            tables: find_tables(printed),
            ..HandInEvidence::default()
        }
    }

    fn args(pairs: &[(&str, ArgValue)]) -> BTreeMap<String, ArgValue> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn split_arguments_are_followed_through_variables() {
        let want = args(&[
            ("test_size", ArgValue::Float(0.2)),
            ("random_state", ArgValue::Int(42)),
        ]);
        let good = evidence(
            &[
                "from sklearn.model_selection import train_test_split\nSEED = 42",
                "X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=SEED)",
            ],
            "",
        );
        let r = code_call("c".into(), "train_test_split", &want, Some(&good));
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
        let wrong = evidence(
            &["train_test_split(X, y, test_size=0.3, random_state=7)"],
            "",
        );
        let r = code_call("c".into(), "train_test_split", &want, Some(&wrong));
        assert_eq!(r.status, CheckStatus::Fail);
        assert!(r.message.contains("random_state=7"), "{}", r.message);
        let none = code_call("c".into(), "train_test_split", &want, None);
        assert!(none.message.contains("no notebook or script"));
    }

    #[test]
    fn loading_by_alias_is_told_from_loading_by_version() {
        let tasks = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks");
        let spec = crate::task::TaskSpec::load(&tasks.join("wine.toml")).unwrap();
        let by_alias = evidence(
            &[
                "name = 'wine-quality-classifier'\nm = mlflow.pyfunc.load_model(f'models:/{name}@champion')",
            ],
            "",
        );
        let by_version = evidence(
            &["m = mlflow.sklearn.load_model('models:/wine-quality-classifier/2')"],
            "",
        );
        let alias = model_loaded("a".into(), Some("champion"), &spec, Some(&by_alias));
        assert_eq!(alias.status, CheckStatus::Pass, "{}", alias.message);
        let version = model_loaded("a".into(), Some("champion"), &spec, Some(&by_version));
        assert_eq!(version.status, CheckStatus::Fail);
        assert!(
            version.message.contains("not by alias"),
            "{}",
            version.message
        );
        let any = model_loaded("a".into(), None, &spec, Some(&by_version));
        assert_eq!(any.status, CheckStatus::Pass, "{}", any.message);
    }

    #[test]
    fn predictions_count_in_tables_and_lines() {
        let table: String =
            std::iter::once("| Sample | Predicted | Actual |\n|---|---|---|\n".to_string())
                .chain((0..10).map(|i| format!("| {i} | 1 | 1 |\n")))
                .collect();
        let r = predictions_shown("p".into(), 10, false, Some(&evidence(&[], &table)));
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
        let lines: String = (0..20)
            .map(|i| format!("Sample {i}: predicted 7, actual 7, confidence 0.99\n"))
            .collect();
        let r = predictions_shown("p".into(), 20, true, Some(&evidence(&[], &lines)));
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
        let r = predictions_shown("p".into(), 20, true, Some(&evidence(&[], &table)));
        assert_eq!(r.status, CheckStatus::Fail);
    }

    #[test]
    fn data_facts_count_when_printed_or_logged() {
        let tasks = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks");
        let mnist = crate::task::TaskSpec::load(&tasks.join("mnist.toml")).unwrap();
        let printed = "Train samples: 49000\nTest samples: 21000\nImage shape: torch.Size([1, 28, 28])\nNumber of classes: 10\n";
        let r = data_recorded("d".into(), &mnist, &evidence(&[], printed), None).unwrap();
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
        assert!(
            r.message.contains("samples, image shape, classes"),
            "{}",
            r.message
        );
        assert!(
            r.evidence
                .iter()
                .any(|e| e.contains("Number of classes: 10")),
            "{:?}",
            r.evidence
        );
        // Without a store, what is not printed stays the store's to decide.
        let partial = "Train samples: 49000\nNumber of classes: 10\n";
        assert!(data_recorded("d".into(), &mnist, &evidence(&[], partial), None).is_none());
        // Prediction lines and accuracies are not the data.
        let preds =
            "Sample 12: predicted 7, actual 7\nTest accuracy: 97 %\nclasses predicted: 10\n";
        assert!(data_recorded("d".into(), &mnist, &evidence(&[], preds), None).is_none());
        // Wine records only its split.
        let wine = crate::task::TaskSpec::load(&tasks.join("wine.toml")).unwrap();
        let r = data_recorded(
            "d".into(),
            &wine,
            &evidence(&[], "Training set: 142 samples, test set: 36 samples"),
            None,
        )
        .unwrap();
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
    }

    #[test]
    fn each_table_row_names_one_version_even_when_names_share_words() {
        let tasks = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks");
        let mnist = crate::task::TaskSpec::load(&tasks.join("mnist.toml")).unwrap();
        let printed = "| Version | Architecture | Accuracy (%) |\n|---|---|---|\n\
                       | 1 | Shallow NN (784-16-10) | 90.1 |\n\
                       | 2 | Medium Deep NN (784-32-16-10) | 92.3 |\n\
                       | 3 | Deep NN + Dropout | 93.9 |\n";
        let e = evidence(&[], printed);
        // "Medium Deep NN" holds the deep version's keyword too; it is still the medium row.
        assert_eq!(
            rows_of_versions(&mnist, &e.tables[0]),
            vec![(0, "shallow"), (1, "medium"), (2, "deep")]
        );
        let r = comparison_table("t".into(), Some(&mnist), Some(&e), None);
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
    }

    #[test]
    fn numbers_count_when_printed() {
        let e = evidence(&[], "Train samples: 142\nTest samples: 36\n");
        let r = shown("s".into(), "sizes", &[142.0, 36.0], Some(&e), None);
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
        let r = shown(
            "s".into(),
            "sizes",
            &[142.0, 36.0],
            Some(&evidence(&[], "142")),
            None,
        );
        assert_eq!(r.status, CheckStatus::Fail);
        assert!(r.message.contains("36"), "{}", r.message);
    }
}
