//! The fused CPU engine: explicit forward and backward passes over flat buffers.
//!
//! For layer l with input A (b×in), weight W (out×in) and bias c:
//! forward `Z = A·Wᵀ + c`, hidden layers `A' = ReLU(Z) ⊙ mask`;
//! loss `L = mean_r CE(softmax(Z_last)_r, y_r)`, so `dZ_last = (softmax − onehot)/b`;
//! backward `dW = dZᵀ·A`, `dc = Σ_rows dZ`, `dA = dZ·W`, and into the previous layer
//! `dZ_prev = dA ⊙ mask ⊙ [A > 0]`. The input gradient of layer 0 is never needed.
//! All buffers are allocated once; a step allocates nothing.
//!
//! The first layer's weight is kept transposed (`[in, out]`) inside the engine: its input is raw
//! pixels, mostly zeros, and in that layout both its forward product and its weight gradient
//! become one contiguous row update per non-zero pixel (dense batches fall back to `gemm`).
//! The optimizers are elementwise, so the permuted layout changes nothing else.

use super::kernels::{self, Adam};
use super::optim::FlatOptimizer;
use super::{EvalMetrics, MlpConfig, N_CLASSES, NnError, Samples, StepStats, Stepper};
use crate::nn::Mlp;

/// Use the sparse first-layer kernels when at most this fraction of the batch's inputs differs
/// from the background value (the batch's first input, a corner pixel for MNIST).
const SPARSE_DENSITY: f64 = 0.4;

pub(crate) struct FusedStepper {
    /// Metadata (name, sizes, dropout); its parameters are stale until [`FusedStepper::model`].
    template: Mlp,
    /// Parameters in the engine layout (layer 0 weight transposed).
    params: Vec<f32>,
    sizes: Vec<usize>,
    /// Outputs of each layer: hidden activations (after ReLU/dropout), then logits.
    outs: Vec<Vec<f32>>,
    /// dZ of each layer.
    deltas: Vec<Vec<f32>>,
    grads: Vec<f32>,
    optimizer: FlatOptimizer,
    stats: StepStats,
    /// First-layer-width scratch row for the sparse kernels.
    scratch: Vec<f32>,
}

impl FusedStepper {
    pub(super) fn new(model: Mlp, config: &MlpConfig) -> Self {
        let sizes = model.layer_sizes().to_vec();
        let bs = config.batch_size;
        let n = model.n_parameters();
        let outs = sizes[1..].iter().map(|&w| vec![0.0; bs * w]).collect();
        let deltas = sizes[1..].iter().map(|&w| vec![0.0; bs * w]).collect();
        let mut params = model.params.clone();
        let (i, o) = (sizes[0], sizes[1]);
        kernels::transpose(&model.params[..o * i], o, i, &mut params[..o * i]);
        FusedStepper {
            template: model,
            params,
            sizes,
            outs,
            deltas,
            grads: vec![0.0; n],
            optimizer: FlatOptimizer::new(
                config.optimizer,
                Adam {
                    lr: config.learning_rate,
                    beta1: config.beta1,
                    beta2: config.beta2,
                    eps: config.eps,
                    t: 0,
                },
                n,
            ),
            stats: StepStats::default(),
            scratch: vec![0.0; o],
        }
    }

    /// Forward and backward on one batch, leaving the gradient of the mean loss in `grads`.
    pub(crate) fn gradients(&mut self, x: &[f32], y: &[u8], masks: &[Vec<f32>]) -> StepStats {
        let b = y.len();
        let nl = self.sizes.len() - 1;
        let params = &self.params;
        let background = {
            let d = &x[..b * self.sizes[0]];
            let base = d[0];
            let nnz = d.iter().filter(|v| **v != base).count();
            ((nnz as f64) <= SPARSE_DENSITY * d.len() as f64).then_some(base)
        };
        for l in 0..nl {
            let (i, o) = (self.sizes[l], self.sizes[l + 1]);
            let (wo, bo) = Mlp::offsets(&self.sizes, l);
            let (w, bias) = (&params[wo..bo], &params[bo..bo + o]);
            let (prev, rest) = self.outs.split_at_mut(l);
            let input: &[f32] = if l == 0 { x } else { &prev[l - 1][..b * i] };
            let z = &mut rest[0][..b * o];
            if l > 0 {
                kernels::matmul_a_wt(input, w, z, b, i, o);
            } else if let Some(base) = background {
                kernels::sparse_rows_matmul(input, w, z, (b, i, o), base, &mut self.scratch);
            } else {
                kernels::matmul_dz_w(input, w, z, b, i, o);
            }
            if l + 1 < nl {
                let mask =
                    masks.get(l).map_or(
                        &[][..],
                        |m| {
                            if m.is_empty() { &[][..] } else { &m[..b * o] }
                        },
                    );
                kernels::bias_relu_dropout(z, bias, mask);
            } else {
                kernels::bias_add(z, bias);
            }
        }
        let (loss_sum, correct) = kernels::softmax_xent(
            &self.outs[nl - 1][..b * N_CLASSES],
            y,
            N_CLASSES,
            Some((&mut self.deltas[nl - 1][..b * N_CLASSES], 1.0 / b as f32)),
        );
        for l in (0..nl).rev() {
            let (i, o) = (self.sizes[l], self.sizes[l + 1]);
            let (wo, bo) = Mlp::offsets(&self.sizes, l);
            let input: &[f32] = if l == 0 {
                x
            } else {
                &self.outs[l - 1][..b * i]
            };
            let (lower, upper) = self.deltas.split_at_mut(l);
            let dz = &upper[0][..b * o];
            let (gw, gb) = self.grads[wo..bo + o].split_at_mut(bo - wo);
            if l > 0 {
                kernels::matmul_dzt_a(dz, input, gw, o, b, i);
            } else if let Some(base) = background {
                kernels::sparse_xt_dz(input, dz, gw, (b, i, o), base, &mut self.scratch);
            } else {
                kernels::matmul_dzt_a(input, dz, gw, i, b, o);
            }
            kernels::column_sums(dz, gb);
            if l > 0 {
                let da = &mut lower[l - 1][..b * i];
                kernels::matmul_dz_w(dz, &params[wo..bo], da, b, o, i);
                let mask = masks.get(l - 1).map_or(&[][..], |m| {
                    if m.is_empty() { &[][..] } else { &m[..b * i] }
                });
                kernels::relu_dropout_backward(da, input, mask);
            }
        }
        StepStats { loss_sum, correct }
    }

    /// The model with the current parameters, in the public layout.
    pub(super) fn model(&self) -> Mlp {
        let mut m = self.template.clone();
        m.params.copy_from_slice(&self.params);
        let (i, o) = (self.sizes[0], self.sizes[1]);
        kernels::transpose(&self.params[..i * o], i, o, &mut m.params[..i * o]);
        m
    }

    /// The last gradient in the public parameter layout.
    #[cfg(test)]
    pub(crate) fn grads(&self) -> Vec<f32> {
        let mut g = self.grads.clone();
        let (i, o) = (self.sizes[0], self.sizes[1]);
        kernels::transpose(&self.grads[..i * o], i, o, &mut g[..i * o]);
        g
    }
}

impl Stepper for FusedStepper {
    fn step(&mut self, x: &[f32], y: &[u8], masks: &[Vec<f32>]) -> Result<(), NnError> {
        let s = self.gradients(x, y, masks);
        self.stats.loss_sum += s.loss_sum;
        self.stats.correct += s.correct;
        self.optimizer.step(&mut self.params, &self.grads);
        Ok(())
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.optimizer.set_learning_rate(lr);
    }

    fn take_stats(&mut self) -> Result<StepStats, NnError> {
        Ok(std::mem::take(&mut self.stats))
    }

    fn evaluate(&mut self, data: Samples<'_>) -> Result<EvalMetrics, NnError> {
        self.model().evaluate(data)
    }

    fn into_model(self: Box<Self>) -> Result<Mlp, NnError> {
        Ok(self.model())
    }
}
