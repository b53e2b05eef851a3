//! Which version gets which alias: a pure function of the versions' scores, shared by every task.
//!
//! The homework's rule is "champion = highest accuracy, staging = second highest, baseline = v1".
//! Real scores tie (on the default wine split DecisionTree and GradientBoosting both reach
//! 34/36), so the rule needs tie-breakers that do not depend on the order results arrive in:
//! higher weighted F1 first, then the lower (older) version.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// The rule in words: printed by `harness run` and recorded in the registered model's
/// `alias_rule` tag, so a grader can see which tie-break produced the aliases.
pub const ALIAS_RULE: &str = "champion = highest test accuracy; staging = second-highest test \
     accuracy; ties broken by higher weighted F1, then by lower version number; baseline = the \
     first version";

/// Scores closer than this are a tie. Accuracy and F1 are ratios of small counts computed in
/// floating point; two mathematically equal F1 values summed in another order can differ in the
/// last bits, and that must not decide which model is champion.
pub(crate) const TIE_TOLERANCE: f64 = 1e-9;

/// A registered version and its test scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    pub version: u32,
    pub accuracy: f64,
    pub f1: f64,
}

/// What a version is in the registry after the aliases are set; its `status` tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Champion,
    /// Holds the `staging` alias: the best challenger to the champion.
    Challenger,
    Baseline,
    /// No alias.
    Candidate,
}

impl Role {
    /// The value of the version's `status` tag.
    pub fn status(self) -> &'static str {
        match self {
            Role::Champion => "champion",
            Role::Challenger => "challenger",
            Role::Baseline => "baseline",
            Role::Candidate => "candidate",
        }
    }
}

/// The outcome of [`assign_aliases`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasAssignment {
    pub champion: u32,
    /// `None` when there is only one version.
    pub staging: Option<u32>,
    pub(crate) baseline: u32,
    /// Every version, best first, by the rule.
    pub(crate) ranking: Vec<u32>,
}

impl AliasAssignment {
    /// A version's strongest role: champion over challenger over baseline. The first version
    /// can hold `baseline` and `staging` at once; its status then says `challenger`, since the
    /// `baseline` alias already records that it is the baseline.
    pub fn role(&self, version: u32) -> Role {
        if version == self.champion {
            Role::Champion
        } else if self.staging == Some(version) {
            Role::Challenger
        } else if version == self.baseline {
            Role::Baseline
        } else {
            Role::Candidate
        }
    }

    /// `(alias, version)` pairs in the order they are set and printed.
    pub(crate) fn pairs(&self) -> Vec<(&'static str, u32)> {
        let mut pairs = vec![("champion", self.champion)];
        if let Some(s) = self.staging {
            pairs.push(("staging", s));
        }
        pairs.push(("baseline", self.baseline));
        pairs
    }

    /// The aliases that point at `version`.
    pub(crate) fn aliases_of(&self, version: u32) -> Vec<&'static str> {
        self.pairs()
            .into_iter()
            .filter(|&(_, v)| v == version)
            .map(|(a, _)| a)
            .collect()
    }
}

/// Why no aliases can be assigned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RankError {
    #[error("no versions to rank")]
    Empty,
    #[error("version {version} has a {metric} of {value}, which cannot be ranked")]
    NotFinite {
        version: u32,
        metric: &'static str,
        value: f64,
    },
    #[error("version {version} appears more than once")]
    DuplicateVersion { version: u32 },
    #[error("baseline version {baseline} is not among the versions {versions:?}")]
    UnknownBaseline { baseline: u32, versions: Vec<u32> },
}

/// Compares two scores, best first, by [`ALIAS_RULE`]. Scores are compared on a grid of
/// [`TIE_TOLERANCE`] so the ordering is total (a plain "within epsilon" test is not transitive,
/// and `sort_by` needs a total order).
fn better_first(a: &Scored, b: &Scored) -> Ordering {
    let q = |x: f64| (x / TIE_TOLERANCE).round() as i64;
    q(b.accuracy)
        .cmp(&q(a.accuracy))
        .then(q(b.f1).cmp(&q(a.f1)))
        .then(a.version.cmp(&b.version))
}

/// Every version, best first, by [`ALIAS_RULE`].
///
/// # Errors
/// [`RankError`] for an empty list, a non-finite score or a repeated version.
pub fn rank(scored: &[Scored]) -> Result<Vec<u32>, RankError> {
    if scored.is_empty() {
        return Err(RankError::Empty);
    }
    for s in scored {
        for (metric, value) in [("accuracy", s.accuracy), ("F1", s.f1)] {
            if !value.is_finite() {
                return Err(RankError::NotFinite {
                    version: s.version,
                    metric,
                    value,
                });
            }
        }
    }
    let mut versions: Vec<u32> = scored.iter().map(|s| s.version).collect();
    versions.sort_unstable();
    if let Some(w) = versions.windows(2).find(|w| w[0] == w[1]) {
        return Err(RankError::DuplicateVersion { version: w[0] });
    }
    let mut sorted = scored.to_vec();
    sorted.sort_by(better_first);
    Ok(sorted.iter().map(|s| s.version).collect())
}

/// champion = rank 1, staging = rank 2, baseline = `baseline` (the first version).
///
/// # Errors
/// As [`rank`], plus a `baseline` that is not one of the versions.
pub fn assign_aliases(scored: &[Scored], baseline: u32) -> Result<AliasAssignment, RankError> {
    let ranking = rank(scored)?;
    if !ranking.contains(&baseline) {
        let mut versions = ranking.clone();
        versions.sort_unstable();
        return Err(RankError::UnknownBaseline { baseline, versions });
    }
    Ok(AliasAssignment {
        champion: ranking[0],
        staging: ranking.get(1).copied(),
        baseline,
        ranking,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(version: u32, accuracy: f64, f1: f64) -> Scored {
        Scored {
            version,
            accuracy,
            f1,
        }
    }

    #[test]
    fn highest_accuracy_is_champion_second_is_staging() {
        let a = assign_aliases(&[s(1, 0.90, 0.90), s(2, 0.95, 0.95), s(3, 0.98, 0.98)], 1).unwrap();
        assert_eq!((a.champion, a.staging, a.baseline), (3, Some(2), 1));
        assert_eq!(a.ranking, [3, 2, 1]);
        assert_eq!(a.role(3), Role::Champion);
        assert_eq!(a.role(2), Role::Challenger);
        assert_eq!(a.role(1), Role::Baseline);
    }

    #[test]
    fn accuracy_tie_goes_to_higher_f1() {
        // The default wine split: RF perfect, DT and GB tie on accuracy.
        let a = assign_aliases(
            &[
                s(1, 34.0 / 36.0, 0.9440),
                s(2, 1.0, 1.0),
                s(3, 34.0 / 36.0, 0.9449),
            ],
            1,
        )
        .unwrap();
        assert_eq!((a.champion, a.staging), (2, Some(3)));
    }

    #[test]
    fn full_tie_goes_to_the_lower_version_whatever_the_input_order() {
        let versions = [s(3, 0.9444, 0.9448), s(2, 1.0, 1.0), s(1, 0.9444, 0.9448)];
        let a = assign_aliases(&versions, 1).unwrap();
        assert_eq!(a.ranking, [2, 1, 3]);
        assert_eq!((a.champion, a.staging, a.baseline), (2, Some(1), 1));
        // v1 is baseline and staging: its status says challenger, both aliases point at it.
        assert_eq!(a.role(1), Role::Challenger);
        assert_eq!(a.aliases_of(1), ["staging", "baseline"]);
        assert_eq!(a.role(3), Role::Candidate);
    }

    #[test]
    fn champion_tie_goes_to_higher_f1_then_lower_version() {
        let a = assign_aliases(&[s(1, 0.9, 0.8), s(2, 0.9, 0.85), s(3, 0.9, 0.85)], 1).unwrap();
        assert_eq!(a.ranking, [2, 3, 1]);
    }

    #[test]
    fn differences_below_the_tolerance_are_ties() {
        let f1 = 0.944_855_967_078_189_2;
        let a = assign_aliases(&[s(1, 0.5, f1 + 1e-15), s(3, 0.5, f1), s(2, 0.9, 0.9)], 1).unwrap();
        assert_eq!(a.ranking, [2, 1, 3]);
        let a = assign_aliases(&[s(1, 0.5, f1), s(3, 0.5, f1 + 1e-6), s(2, 0.9, 0.9)], 1).unwrap();
        assert_eq!(a.ranking, [2, 3, 1]);
    }

    #[test]
    fn one_version_has_no_staging() {
        let a = assign_aliases(&[s(1, 0.7, 0.7)], 1).unwrap();
        assert_eq!((a.champion, a.staging, a.baseline), (1, None, 1));
        assert_eq!(a.pairs(), [("champion", 1), ("baseline", 1)]);
        assert_eq!(a.role(1), Role::Champion);
    }

    #[test]
    fn rejects_what_cannot_be_ranked() {
        assert_eq!(assign_aliases(&[], 1), Err(RankError::Empty));
        assert!(matches!(
            assign_aliases(&[s(1, f64::NAN, 0.5)], 1),
            Err(RankError::NotFinite { version: 1, .. })
        ));
        assert_eq!(
            assign_aliases(&[s(1, 0.5, 0.5), s(1, 0.5, 0.5)], 1),
            Err(RankError::DuplicateVersion { version: 1 })
        );
        assert_eq!(
            assign_aliases(&[s(1, 0.5, 0.5), s(1, 0.6, 0.5)], 1),
            Err(RankError::DuplicateVersion { version: 1 })
        );
        assert!(matches!(
            assign_aliases(&[s(1, 0.5, 0.5)], 4),
            Err(RankError::UnknownBaseline { baseline: 4, .. })
        ));
    }
}
