//! Optimizers and learning-rate schedules of the MLP engines, with PyTorch's update formulas so
//! a config reads the same here as in a `torch.optim` script:
//!
//! * Adam (`torch.optim.Adam`, no weight decay): [`kernels::Adam`].
//! * AdamW (`torch.optim.AdamW`): decoupled decay `p ← p·(1 − lr·λ)`, then the Adam update.
//! * SGD (`torch.optim.SGD`, dampening 0, not Nesterov): with momentum μ > 0 the buffer starts
//!   as the first gradient, then `b ← μ·b + g`; `p ← p − lr·b` (μ = 0: `p ← p − lr·g`).
//! * Schedules are stepped once per epoch, as a PyTorch loop calls `scheduler.step()` after each
//!   epoch: cosine annealing over `t_max` epochs to 0 (`CosineAnnealingLR`, η_min 0) and step
//!   decay by `gamma` every `step_size` epochs (`StepLR`).

use super::kernels::{self, Adam};

/// Which optimizer updates the weights, with its own hyperparameters (Adam's β and ε are shared,
/// see [`super::MlpConfig`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum OptimizerKind {
    #[default]
    Adam,
    /// Adam with decoupled weight decay (PyTorch's default λ is 0.01).
    AdamW { weight_decay: f64 },
    /// Stochastic gradient descent; `momentum` 0 is plain SGD (PyTorch's default).
    Sgd { momentum: f64 },
}

impl OptimizerKind {
    /// PyTorch's default weight decay of `torch.optim.AdamW`.
    pub const ADAMW_DEFAULT_WEIGHT_DECAY: f64 = 0.01;

    pub(crate) fn validate(&self) -> Result<(), String> {
        match *self {
            OptimizerKind::Adam => Ok(()),
            OptimizerKind::AdamW { weight_decay } => {
                if weight_decay >= 0.0 && weight_decay.is_finite() {
                    Ok(())
                } else {
                    Err(format!("weight_decay {weight_decay} must be 0 or more"))
                }
            }
            OptimizerKind::Sgd { momentum } => {
                if (0.0..1.0).contains(&momentum) {
                    Ok(())
                } else {
                    Err(format!("momentum {momentum} is outside [0, 1)"))
                }
            }
        }
    }
}

/// How the learning rate changes from epoch to epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LrSchedule {
    #[default]
    Constant,
    /// `CosineAnnealingLR(T_max = t_max, eta_min = 0)`.
    Cosine { t_max: usize },
    /// `StepLR(step_size, gamma)`.
    Step { step_size: usize, gamma: f64 },
}

impl LrSchedule {
    /// The learning rate of 0-based `epoch` for a base rate `base`.
    pub(crate) fn learning_rate(&self, base: f64, epoch: usize) -> f64 {
        match *self {
            LrSchedule::Constant => base,
            LrSchedule::Cosine { t_max } => {
                let t = t_max.max(1) as f64;
                base * (1.0 + (std::f64::consts::PI * epoch as f64 / t).cos()) / 2.0
            }
            LrSchedule::Step { step_size, gamma } => {
                base * gamma.powi((epoch / step_size.max(1)) as i32)
            }
        }
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        match *self {
            LrSchedule::Constant => Ok(()),
            LrSchedule::Cosine { t_max: 0 } => Err("cosine schedule needs t_max ≥ 1".into()),
            LrSchedule::Cosine { .. } => Ok(()),
            LrSchedule::Step { step_size: 0, .. } => Err("step_size must be at least 1".into()),
            LrSchedule::Step { gamma, .. } if !(gamma > 0.0 && gamma.is_finite()) => {
                Err(format!("gamma {gamma} must be a positive number"))
            }
            LrSchedule::Step { .. } => Ok(()),
        }
    }
}

/// The fused engine's optimizer state over the flat parameter buffer.
pub(crate) struct FlatOptimizer {
    kind: OptimizerKind,
    adam: Adam,
    /// Adam's first moment, or SGD's momentum buffer.
    m: Vec<f32>,
    /// Adam's second moment (unused by SGD).
    v: Vec<f32>,
}

impl FlatOptimizer {
    pub(crate) fn new(kind: OptimizerKind, adam: Adam, n_parameters: usize) -> Self {
        let v_len = if matches!(kind, OptimizerKind::Sgd { .. }) {
            0
        } else {
            n_parameters
        };
        FlatOptimizer {
            kind,
            adam,
            m: vec![0.0; n_parameters],
            v: vec![0.0; v_len],
        }
    }

    pub(crate) fn set_learning_rate(&mut self, lr: f64) {
        self.adam.lr = lr;
    }

    /// One update of `p` with gradient `g`.
    pub(crate) fn step(&mut self, p: &mut [f32], g: &[f32]) {
        match self.kind {
            OptimizerKind::Adam => self.adam.step(p, g, &mut self.m, &mut self.v),
            OptimizerKind::AdamW { weight_decay } => {
                let keep = (1.0 - self.adam.lr * weight_decay) as f32;
                for p in p.iter_mut() {
                    *p *= keep;
                }
                self.adam.step(p, g, &mut self.m, &mut self.v);
            }
            OptimizerKind::Sgd { momentum } => {
                self.adam.t += 1;
                let lr = self.adam.lr as f32;
                if momentum == 0.0 {
                    for (p, &g) in p.iter_mut().zip(g) {
                        *p -= lr * g;
                    }
                } else if self.adam.t == 1 {
                    for ((p, &g), b) in p.iter_mut().zip(g).zip(self.m.iter_mut()) {
                        *b = g;
                        *p -= lr * g;
                    }
                } else {
                    kernels::sgd_momentum(p, g, &mut self.m, momentum as f32, lr);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adam() -> Adam {
        Adam {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            t: 0,
        }
    }

    /// Three steps on p = [1.0, -2.0, 0.5] with the fixed gradients below; the expected values
    /// come from PyTorch 2 (`~/.cache/harness/fixtures-venv/bin/python`):
    /// ```python
    /// import torch
    /// p = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5]))
    /// opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)   # or AdamW([p], lr=0.1)
    /// for g in ([0.5, -1.0, 2.0], [0.25, 0.5, -1.0], [-0.75, 0.1, 0.3]):
    ///     opt.zero_grad(); p.grad = torch.tensor(g); opt.step()
    /// print(p.tolist())
    /// ```
    fn three_steps(kind: OptimizerKind) -> Vec<f32> {
        let mut p = vec![1.0f32, -2.0, 0.5];
        let mut opt = FlatOptimizer::new(kind, adam(), 3);
        for g in [[0.5f32, -1.0, 2.0], [0.25, 0.5, -1.0], [-0.75, 0.1, 0.3]] {
            opt.step(&mut p, &g);
        }
        p
    }

    /// Equal up to f32 rounding: PyTorch orders the float operations differently (its first
    /// moment is `m.lerp_(g, 1 − β1)`), which moves the last bits of each step.
    fn assert_close(got: &[f32], want: &[f32]) {
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g - w).abs() <= 5e-6 * w.abs().max(1.0),
                "{got:?} vs {want:?}"
            );
        }
    }

    #[test]
    fn sgd_matches_pytorch() {
        assert_close(
            &three_steps(OptimizerKind::Sgd { momentum: 0.0 }),
            &SGD_PLAIN,
        );
        assert_close(
            &three_steps(OptimizerKind::Sgd { momentum: 0.9 }),
            &SGD_MOMENTUM,
        );
    }

    #[test]
    fn adamw_matches_pytorch() {
        assert_close(
            &three_steps(OptimizerKind::AdamW {
                weight_decay: OptimizerKind::ADAMW_DEFAULT_WEIGHT_DECAY,
            }),
            &ADAMW,
        );
        assert_close(
            &three_steps(OptimizerKind::AdamW { weight_decay: 0.5 }),
            &ADAMW_DECAY_HALF,
        );
        // With no decay AdamW is Adam.
        assert_eq!(
            three_steps(OptimizerKind::AdamW { weight_decay: 0.0 }),
            three_steps(OptimizerKind::Adam)
        );
    }

    #[test]
    fn adam_matches_pytorch() {
        assert_close(&three_steps(OptimizerKind::Adam), &ADAM);
    }

    /// `[s.get_last_lr()[0] for each epoch]` of `CosineAnnealingLR(opt, T_max=5)` and
    /// `StepLR(opt, step_size=2, gamma=0.5)` on `lr=0.1`, 7 epochs, from PyTorch 2.
    #[test]
    fn schedules_match_pytorch() {
        let cosine = LrSchedule::Cosine { t_max: 5 };
        let step = LrSchedule::Step {
            step_size: 2,
            gamma: 0.5,
        };
        for (e, (&c, &s)) in COSINE.iter().zip(&STEP).enumerate() {
            let (gc, gs) = (cosine.learning_rate(0.1, e), step.learning_rate(0.1, e));
            assert!((gc - c).abs() < 1e-12, "cosine epoch {e}: {gc} vs {c}");
            assert!((gs - s).abs() < 1e-12, "step epoch {e}: {gs} vs {s}");
        }
        assert_eq!(LrSchedule::Constant.learning_rate(0.1, 9), 0.1);
    }

    #[test]
    fn bad_hyperparameters_are_refused() {
        assert!(OptimizerKind::Sgd { momentum: 1.0 }.validate().is_err());
        assert!(
            OptimizerKind::AdamW { weight_decay: -1.0 }
                .validate()
                .is_err()
        );
        assert!(
            LrSchedule::Step {
                step_size: 0,
                gamma: 0.1
            }
            .validate()
            .is_err()
        );
        assert!(
            LrSchedule::Step {
                step_size: 1,
                gamma: 0.0
            }
            .validate()
            .is_err()
        );
        assert!(LrSchedule::Cosine { t_max: 0 }.validate().is_err());
    }

    // Printed by PyTorch 2.15 with the scripts in the comments above.
    const SGD_PLAIN: [f32; 3] = [1.0, -1.959_999_9, 0.37];
    const SGD_MOMENTUM: [f32; 3] = [0.892, -1.834, 0.118_000_02];
    const ADAM: [f32; 3] = [0.814_979_7, -1.858_556_4, 0.344_459_53];
    const ADAMW: [f32; 3] = [0.812_275_8, -1.852_789, 0.343_187_57];
    const ADAMW_DECAY_HALF: [f32; 3] = [0.686_765_6, -1.584_388, 0.284_228_7];
    const COSINE: [f64; 7] = [
        0.1,
        0.090_450_849_718_747_38,
        0.065_450_849_718_747_37,
        0.034_549_150_281_252_63,
        0.009_549_150_281_252_633,
        0.0,
        0.009_549_150_281_252_628,
    ];
    const STEP: [f64; 7] = [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125];
}
