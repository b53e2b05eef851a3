//! Which registered version is which expected model, and each version's accuracy as a fraction:
//! the task-level facts every check shares, computed once per task and snapshot in [`Context`].

use std::collections::BTreeMap;

use crate::handin::words;
use crate::snapshot::{Experiment, ModelVersion, RegisteredModel, Run, Snapshot};
use crate::task::{TaskSpec, VersionSpec};

/// A version's accuracy as a fraction, with how it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Accuracy {
    pub value: f64,
    pub metric: String,
    pub(crate) raw: f64,
    /// The run logged percent (0–100) and it was divided by 100.
    pub(crate) percent: bool,
}

/// How an expected version was recognised.
#[derive(Debug, Clone, PartialEq)]
pub struct Identified<'a> {
    pub version: &'a ModelVersion,
    pub(crate) how: String,
}

/// Facts about one task in one snapshot that several checks need.
#[derive(Debug)]
pub struct Context<'a> {
    pub spec: &'a TaskSpec,
    pub snapshot: &'a Snapshot,
    pub experiment: Option<&'a Experiment>,
    pub model: Option<&'a RegisteredModel>,
    pub versions: Vec<&'a ModelVersion>,
    /// Expected version key → the registered version graded for it.
    pub(crate) identified: BTreeMap<String, Identified<'a>>,
    /// Registered version number → the expected key it looks like (every match, not only the
    /// graded one: a re-registered DecisionTree is still a DecisionTree for `baseline`).
    pub(crate) kind_of: BTreeMap<u32, String>,
    /// Registered version number → accuracy, for versions whose run logged one.
    pub accuracy: BTreeMap<u32, Accuracy>,
    /// Registered version number → what its run logged under an accuracy name that is not an
    /// accuracy (NaN, infinite, negative, above 100), for versions without one.
    pub(crate) accuracy_problem: BTreeMap<u32, String>,
}

impl<'a> Context<'a> {
    pub fn new(spec: &'a TaskSpec, snapshot: &'a Snapshot) -> Self {
        let experiment = spec
            .experiment
            .as_deref()
            .and_then(|n| snapshot.experiment_by_name(n));
        let model = spec
            .registered_model
            .as_deref()
            .and_then(|n| snapshot.registered_model(n));
        let versions: Vec<&ModelVersion> = match model {
            Some(m) => snapshot.versions_of(&m.name).collect(),
            None => Vec::new(),
        };
        let mut ctx = Self {
            spec,
            snapshot,
            experiment,
            model,
            versions,
            identified: BTreeMap::new(),
            kind_of: BTreeMap::new(),
            accuracy: BTreeMap::new(),
            accuracy_problem: BTreeMap::new(),
        };
        ctx.identify();
        for v in &ctx.versions {
            let Some(run) = ctx.run_of(v) else { continue };
            match read_accuracy(spec, run) {
                Some(acc) => {
                    ctx.accuracy.insert(v.version, acc);
                }
                None => {
                    if let Some(problem) = unusable_accuracy(spec, run) {
                        ctx.accuracy_problem.insert(v.version, problem);
                    }
                }
            }
        }
        ctx
    }

    /// What to say about a registered model that an interrupted `harness run` left incomplete
    /// (it still carries [`crate::mlflow::INCOMPLETE_TAG`]); `None` for a complete one.
    pub(crate) fn incomplete_publish(&self) -> Option<String> {
        let m = self.model?;
        m.tags.get(crate::mlflow::INCOMPLETE_TAG)?;
        Some(format!(
            "registered model `{}` is incomplete: a `harness run` stopped while publishing it \
             (its tag `{}` is still set); re-run `harness run` with --replace",
            m.name,
            crate::mlflow::INCOMPLETE_TAG
        ))
    }

    pub(crate) fn run_of(&self, v: &ModelVersion) -> Option<&'a Run> {
        v.run_id.as_deref().and_then(|id| self.snapshot.run(id))
    }

    /// Texts a student uses to say which model a version is, with where each came from.
    pub(super) fn haystack(&self, v: &ModelVersion) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, val) in &v.tags {
            if !k.starts_with("mlflow.") {
                out.push((format!("version tag {k}"), val.clone()));
            }
        }
        if let Some(d) = &v.description {
            out.push(("version description".into(), d.clone()));
        }
        if let Some(run) = self.run_of(v) {
            if let Some(n) = &run.name {
                out.push(("run name".into(), n.clone()));
            }
            for (k, val) in &run.params {
                out.push((format!("run param {k}"), val.clone()));
            }
            for (k, val) in &run.tags {
                if !k.starts_with("mlflow.") {
                    out.push((format!("run tag {k}"), val.clone()));
                }
            }
        }
        out
    }

    fn identify(&mut self) {
        let specs = &self.spec.versions;
        // For each registered version: the expected key it matches best, and why.
        let mut best: BTreeMap<u32, (String, usize, String)> = BTreeMap::new();
        for v in &self.versions {
            // Each text is normalised once, not once per keyword: a student's 1 MB tag must not
            // cost a second per keyword.
            let hay: Vec<(String, Searchable)> = self
                .haystack(v)
                .into_iter()
                .map(|(field, text)| (field, Searchable::new(&text)))
                .collect();
            let mut scored: Vec<(usize, usize, &VersionSpec, Vec<String>)> = specs
                .iter()
                .map(|s| {
                    let hits: Vec<(String, String)> = s
                        .keywords
                        .iter()
                        .filter_map(|kw| {
                            hay.iter()
                                .find(|(_, text)| text.matches(kw))
                                .map(|(field, _)| (kw.clone(), field.clone()))
                        })
                        .collect();
                    let longest = hits
                        .iter()
                        .map(|(k, _)| normalize(k).len())
                        .max()
                        .unwrap_or(0);
                    let why = hits.iter().map(|(k, f)| format!("`{k}` in {f}")).collect();
                    (hits.len(), longest, s, why)
                })
                .filter(|(n, ..)| *n > 0)
                .collect();
            scored.sort_by(|a, b| {
                (b.0, b.1, b.2.version == v.version).cmp(&(a.0, a.1, a.2.version == v.version))
            });
            if let Some((n, longest, s, why)) = scored.first() {
                let ambiguous = scored.get(1).is_some_and(|(n2, l2, s2, _)| {
                    (n2, l2) == (n, longest) && s2.version != v.version && s.version != v.version
                });
                if !ambiguous {
                    best.insert(v.version, (s.key.clone(), *n, why.join(", ")));
                }
            }
        }
        self.kind_of = best.iter().map(|(v, (k, ..))| (*v, k.clone())).collect();
        for s in specs {
            let mut cands: Vec<&&ModelVersion> = self
                .versions
                .iter()
                .filter(|v| best.get(&v.version).is_some_and(|(k, ..)| *k == s.key))
                .collect();
            // Prefer the homework's number, then the best-scoring, then the earliest.
            cands.sort_by_key(|v| {
                let score = best.get(&v.version).map_or(0, |b| b.1);
                (v.version != s.version, usize::MAX - score, v.version)
            });
            if let Some(v) = cands.first() {
                let why = &best[&v.version].2;
                self.identified.insert(
                    s.key.clone(),
                    Identified {
                        version: v,
                        how: format!("v{} matched {why}", v.version),
                    },
                );
            } else if let Some(v) = self
                .versions
                .iter()
                .find(|v| v.version == s.version && !best.contains_key(&v.version))
            {
                self.identified.insert(
                    s.key.clone(),
                    Identified {
                        version: v,
                        how: format!(
                            "v{} taken by its number only: no keyword ({}) in its tags, run name or params",
                            v.version,
                            s.keywords.join(", ")
                        ),
                    },
                );
                self.kind_of.insert(v.version, s.key.clone());
            }
        }
    }

    pub(super) fn model_name(&self) -> &str {
        self.spec.registered_model.as_deref().unwrap_or("")
    }
}

/// Lowercase, letters and digits only: `Decision_Tree`, `decision-tree` → `decisiontree`.
pub fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Short keywords (`dt`, `rf`) must be a whole word; longer ones may sit inside a word
/// (`DecisionTreeClassifier`).
pub fn keyword_matches(keyword: &str, text: &str) -> bool {
    Searchable::new(text).matches(keyword)
}

/// A text prepared once for [`keyword_matches`] against many keywords.
pub(super) struct Searchable {
    normalized: String,
    words: std::collections::HashSet<String>,
}

impl Searchable {
    pub(super) fn new(text: &str) -> Searchable {
        Searchable {
            normalized: normalize(text),
            words: words(text).into_iter().collect(),
        }
    }

    pub(super) fn matches(&self, keyword: &str) -> bool {
        let k = normalize(keyword);
        if k.is_empty() {
            return false;
        }
        if k.chars().count() <= 3 {
            self.words.contains(&k)
        } else {
            self.normalized.contains(&k)
        }
    }
}

/// `a|b|c` accepts any of the names; comparison ignores case and separators.
pub(super) fn find_key<'m, V>(
    map: &'m BTreeMap<String, V>,
    names: &str,
) -> Option<(&'m String, &'m V)> {
    names.split('|').find_map(|n| {
        let n = normalize(n);
        map.iter().find(|(k, _)| normalize(k) == n)
    })
}

/// Why a run has no accuracy although it logged a metric under an accuracy name: the first such
/// metric's value, said as it is ("accuracy is NaN", "accuracy is inf, not a fraction (0–1) or
/// percent (0–100)"). `None` when no accuracy name was logged at all.
pub(super) fn unusable_accuracy(spec: &TaskSpec, run: &Run) -> Option<String> {
    spec.accuracy.metric.iter().find_map(|name| {
        let (key, raw) = find_key(&run.metrics, name)?;
        Some(if raw.is_nan() {
            format!("{key} is NaN")
        } else {
            format!(
                "{key} is {}, not a fraction (0–1) or percent (0–100)",
                number_text(*raw)
            )
        })
    })
}

/// A logged number as short text: `inf`, `-inf`, `1e308`, `-0.5`, `250`.
pub(super) fn number_text(x: f64) -> String {
    if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else if x != 0.0 && (x.abs() >= 1e6 || x.abs() < 1e-4) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

pub(super) fn read_accuracy(spec: &TaskSpec, run: &Run) -> Option<Accuracy> {
    spec.accuracy.metric.iter().find_map(|name| {
        let (key, raw) = find_key(&run.metrics, name)?;
        let raw = *raw;
        if !(0.0..=100.0).contains(&raw) {
            return None;
        }
        let percent = raw > 1.0;
        Some(Accuracy {
            value: if percent { raw / 100.0 } else { raw },
            metric: key.clone(),
            raw,
            percent,
        })
    })
}
