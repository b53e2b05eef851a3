//! A sweep's search space: per config key, a list of values (grid) or one of hyperopt's
//! distributions (`uniform`, `loguniform`, `quniform`, `choice`, `randint`), and drawing from it.
//!
//! Unlike `hp.loguniform`, whose bounds are the logarithms, `loguniform: [1e-4, 1e-1]` takes
//! the values themselves: that is what a config file's reader expects to see.

use rand::Rng;
use serde_json::Value;

/// One key's space.
#[derive(Debug, Clone, PartialEq)]
pub enum Space {
    /// A list: every value, in order (grid), or one of them uniformly (random, TPE).
    List(Vec<Value>),
    Uniform {
        low: f64,
        high: f64,
    },
    LogUniform {
        low: f64,
        high: f64,
    },
    /// `round(uniform(low, high) / q) * q`.
    QUniform {
        low: f64,
        high: f64,
        q: f64,
    },
    Choice(Vec<Value>),
    /// An integer in `[low, high)` (hyperopt's `randint(upper)` is `[0, upper)`).
    RandInt {
        low: i64,
        high: i64,
    },
}

/// How TPE models a key: a real line (in log space for `loguniform`) or categories.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dim {
    Real {
        low: f64,
        high: f64,
        log: bool,
        q: Option<f64>,
    },
    Categorical(usize),
}

const KINDS: &str = "a list of values or one of {uniform: [low, high]}, {loguniform: [low, high]}, \
{quniform: [low, high, q]}, {choice: [values…]}, {randint: [high]} / {randint: [low, high]}";

impl Space {
    /// Reads one key's space; the error says what is wrong (the caller adds the key path).
    ///
    /// # Errors
    /// A message naming the expected shape.
    pub fn parse(value: &serde_yaml_ng::Value) -> Result<Self, String> {
        let value = serde_json::to_value(value).map_err(|e| e.to_string())?;
        match value {
            Value::Array(values) if values.is_empty() => {
                Err("must be a non-empty list of values".into())
            }
            Value::Array(values) => Ok(Space::List(values)),
            Value::Object(map) if map.len() == 1 => {
                let (kind, args) = map.into_iter().next().unwrap_or_default();
                let args = match args {
                    Value::Array(a) => a,
                    other => vec![other],
                };
                let numbers = |n: usize| -> Result<Vec<f64>, String> {
                    let xs: Option<Vec<f64>> = args.iter().map(Value::as_f64).collect();
                    match xs {
                        Some(xs) if xs.len() == n && xs.iter().all(|x| x.is_finite()) => Ok(xs),
                        _ => Err(format!("`{kind}` takes {n} numbers")),
                    }
                };
                let ordered = |low: f64, high: f64| {
                    if low < high {
                        Ok(())
                    } else {
                        Err(format!("`{kind}` needs low < high (got {low} and {high})"))
                    }
                };
                match kind.as_str() {
                    "uniform" => {
                        let x = numbers(2)?;
                        ordered(x[0], x[1])?;
                        Ok(Space::Uniform {
                            low: x[0],
                            high: x[1],
                        })
                    }
                    "loguniform" => {
                        let x = numbers(2)?;
                        ordered(x[0], x[1])?;
                        if x[0] <= 0.0 {
                            return Err("`loguniform` bounds must be positive (they are the values, not their logarithms)".into());
                        }
                        Ok(Space::LogUniform {
                            low: x[0],
                            high: x[1],
                        })
                    }
                    "quniform" => {
                        let x = numbers(3)?;
                        ordered(x[0], x[1])?;
                        if x[2] <= 0.0 {
                            return Err("`quniform`'s q must be positive".into());
                        }
                        Ok(Space::QUniform {
                            low: x[0],
                            high: x[1],
                            q: x[2],
                        })
                    }
                    "choice" if !args.is_empty() => Ok(Space::Choice(args)),
                    "choice" => Err("`choice` needs at least one value".into()),
                    "randint" => {
                        let xs: Option<Vec<i64>> = args.iter().map(Value::as_i64).collect();
                        let (low, high) = match xs.as_deref() {
                            Some([high]) => (0, *high),
                            Some([low, high]) => (*low, *high),
                            _ => {
                                return Err("`randint` takes [high] or [low, high] integers".into());
                            }
                        };
                        if low >= high {
                            return Err(format!(
                                "`randint` needs low < high (got {low} and {high})"
                            ));
                        }
                        Ok(Space::RandInt { low, high })
                    }
                    other => Err(format!("unknown space `{other}`: expected {KINDS}")),
                }
            }
            _ => Err(format!("expected {KINDS}")),
        }
    }

    pub fn dim(&self) -> Dim {
        match self {
            Space::List(v) | Space::Choice(v) => Dim::Categorical(v.len()),
            Space::RandInt { low, high } => {
                Dim::Categorical(usize::try_from(high - low).unwrap_or(usize::MAX))
            }
            Space::Uniform { low, high } => Dim::Real {
                low: *low,
                high: *high,
                log: false,
                q: None,
            },
            Space::LogUniform { low, high } => Dim::Real {
                low: low.ln(),
                high: high.ln(),
                log: true,
                q: None,
            },
            Space::QUniform { low, high, q } => Dim::Real {
                low: *low,
                high: *high,
                log: false,
                q: Some(*q),
            },
        }
    }

    /// The config value of a point on [`Self::dim`] (an index for categories, a log for
    /// `loguniform`).
    pub fn value(&self, x: f64) -> Value {
        let index = |n: usize| (x.max(0.0) as usize).min(n.saturating_sub(1));
        match self {
            Space::List(v) | Space::Choice(v) => v[index(v.len())].clone(),
            Space::RandInt { low, .. } => Value::from(low + x.max(0.0) as i64),
            Space::Uniform { .. } => Value::from(x),
            Space::LogUniform { .. } => Value::from(x.exp()),
            Space::QUniform { q, .. } => {
                // Whole steps of a whole q are integers, so `batch_size` takes them.
                if q.fract() == 0.0 && x.fract() == 0.0 && x.abs() < 9.0e15 {
                    Value::from(x as i64)
                } else {
                    Value::from(x)
                }
            }
        }
    }
}

impl Dim {
    /// A draw from the prior (hyperopt's `rand.suggest`).
    pub fn sample(&self, rng: &mut impl Rng) -> f64 {
        match *self {
            Dim::Categorical(n) => rng.random_range(0..n.max(1)) as f64,
            Dim::Real { low, high, q, .. } => {
                let x = low + rng.random::<f64>() * (high - low);
                quantise(x, q)
            }
        }
    }
}

pub fn quantise(x: f64, q: Option<f64>) -> f64 {
    match q {
        Some(q) => (x / q).round() * q,
        None => x,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn space(yaml: &str) -> Result<Space, String> {
        Space::parse(&serde_yaml_ng::from_str(yaml).unwrap())
    }

    #[test]
    fn the_five_distributions_and_lists_parse() {
        assert_eq!(
            space("{loguniform: [1e-4, 1e-1]}").unwrap(),
            Space::LogUniform {
                low: 1e-4,
                high: 1e-1
            }
        );
        assert_eq!(
            space("{randint: 5}").unwrap(),
            Space::RandInt { low: 0, high: 5 }
        );
        assert_eq!(
            space("{randint: [2, 5]}").unwrap(),
            Space::RandInt { low: 2, high: 5 }
        );
        assert!(matches!(
            space("{quniform: [16, 128, 16]}").unwrap(),
            Space::QUniform { .. }
        ));
        assert!(matches!(
            space("{uniform: [0, 1]}").unwrap(),
            Space::Uniform { .. }
        ));
        assert!(matches!(
            space("{choice: [adam, sgd]}").unwrap(),
            Space::Choice(_)
        ));
        assert!(matches!(space("[1, 2]").unwrap(), Space::List(_)));
    }

    #[test]
    fn bad_spaces_say_what_is_expected() {
        assert!(
            space("{uniform: [1, 0]}")
                .unwrap_err()
                .contains("low < high")
        );
        assert!(
            space("{loguniform: [0, 1]}")
                .unwrap_err()
                .contains("positive")
        );
        assert!(
            space("{quniform: [0, 1]}")
                .unwrap_err()
                .contains("3 numbers")
        );
        assert!(
            space("{normal: [0, 1]}")
                .unwrap_err()
                .contains("unknown space `normal`")
        );
        assert!(space("[]").unwrap_err().contains("non-empty"));
        assert!(space("0.1").unwrap_err().contains("loguniform"));
    }

    #[test]
    fn draws_stay_in_bounds_and_keep_their_type() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let s = space("{loguniform: [1e-4, 1e-1]}").unwrap();
        let q = space("{quniform: [16, 128, 16]}").unwrap();
        let r = space("{randint: [2, 5]}").unwrap();
        for _ in 0..200 {
            let v = s.value(s.dim().sample(&mut rng)).as_f64().unwrap();
            assert!((1e-4..=1e-1).contains(&v), "{v}");
            let v = q.value(q.dim().sample(&mut rng));
            assert!(
                v.as_i64()
                    .is_some_and(|v| v % 16 == 0 && (16..=128).contains(&v)),
                "{v}"
            );
            let v = r.value(r.dim().sample(&mut rng)).as_i64().unwrap();
            assert!((2..5).contains(&v), "{v}");
        }
    }
}
