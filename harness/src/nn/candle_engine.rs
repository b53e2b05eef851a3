//! The candle engine: the same network and the same RNG stream, expressed with candle tensors,
//! autograd and candle's `AdamW` (PyTorch's AdamW; with `weight_decay: 0` it is Adam) or SGD with
//! PyTorch's momentum. Runs on any candle device — this is the CUDA path — and cross-checks the
//! fused engine's hand-written gradients.

use candle_core::{D, DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

use super::{EvalMetrics, MlpConfig, NnError, OptimizerKind, Samples, StepStats, Stepper};
use crate::nn::Mlp;

/// Rows per forward pass when evaluating.
const EVAL_CHUNK: usize = 1024;

enum CandleOptimizer {
    AdamW(AdamW),
    /// `torch.optim.SGD` (dampening 0, not Nesterov): the momentum buffer starts as the first
    /// gradient.
    Sgd {
        vars: Vec<Var>,
        buffers: Vec<Option<Tensor>>,
        lr: f64,
        momentum: f64,
    },
}

impl CandleOptimizer {
    fn backward_step(&mut self, loss: &Tensor) -> Result<(), NnError> {
        match self {
            CandleOptimizer::AdamW(o) => o.backward_step(loss)?,
            CandleOptimizer::Sgd {
                vars,
                buffers,
                lr,
                momentum,
            } => {
                let grads = loss.backward()?;
                for (var, buffer) in vars.iter().zip(buffers.iter_mut()) {
                    let Some(g) = grads.get(var.as_tensor()) else {
                        continue;
                    };
                    let update = if *momentum == 0.0 {
                        g.clone()
                    } else {
                        let next = match buffer.take() {
                            None => g.clone(),
                            Some(b) => ((b * *momentum)? + g)?,
                        };
                        buffer.insert(next).clone()
                    };
                    var.set(&(var.as_tensor() - (update * *lr)?)?)?;
                }
            }
        }
        Ok(())
    }
}

pub(crate) struct CandleStepper {
    device: Device,
    name: String,
    sizes: Vec<usize>,
    dropout: Vec<f32>,
    /// (weight `[out, in]`, bias `[out]`) per layer.
    vars: Vec<(Var, Var)>,
    opt: CandleOptimizer,
    /// Device-side sums since the last `take_stats`: loss × batch (f32) and correct (u32).
    acc: Option<(Tensor, Tensor)>,
}

impl CandleStepper {
    pub(super) fn new(model: Mlp, config: &MlpConfig, device: &Device) -> Result<Self, NnError> {
        let sizes = model.layer_sizes().to_vec();
        let mut vars = Vec::new();
        for l in 0..model.n_layers() {
            let (w, b) = model.layer(l);
            let (i, o) = (sizes[l], sizes[l + 1]);
            vars.push((
                Var::from_slice(w, (o, i), device)?,
                Var::from_slice(b, o, device)?,
            ));
        }
        let all: Vec<Var> = vars
            .iter()
            .flat_map(|(w, b)| [w.clone(), b.clone()])
            .collect();
        let opt = match config.optimizer {
            OptimizerKind::Sgd { momentum } => CandleOptimizer::Sgd {
                buffers: vec![None; all.len()],
                vars: all,
                lr: config.learning_rate,
                momentum,
            },
            OptimizerKind::Adam | OptimizerKind::AdamW { .. } => {
                let weight_decay = match config.optimizer {
                    OptimizerKind::AdamW { weight_decay } => weight_decay,
                    _ => 0.0,
                };
                CandleOptimizer::AdamW(AdamW::new(
                    all,
                    ParamsAdamW {
                        lr: config.learning_rate,
                        beta1: config.beta1,
                        beta2: config.beta2,
                        eps: config.eps,
                        weight_decay,
                    },
                )?)
            }
        };
        Ok(CandleStepper {
            device: device.clone(),
            name: model.name.clone(),
            sizes,
            dropout: model.dropout().to_vec(),
            vars,
            opt,
            acc: None,
        })
    }

    /// Logits for `b` rows of `x`; `masks` (one per hidden layer, possibly empty) in training.
    fn forward(&self, x: &[f32], b: usize, masks: Option<&[Vec<f32>]>) -> Result<Tensor, NnError> {
        let mut h = Tensor::from_slice(x, (b, self.sizes[0]), &self.device)?;
        let nl = self.vars.len();
        for (l, (w, bias)) in self.vars.iter().enumerate() {
            h = h
                .matmul(&w.as_tensor().t()?)?
                .broadcast_add(bias.as_tensor())?;
            if l + 1 < nl {
                h = h.relu()?;
                if let Some(m) = masks.and_then(|m| m.get(l)).filter(|m| !m.is_empty()) {
                    let o = self.sizes[l + 1];
                    let m = Tensor::from_slice(&m[..b * o], (b, o), &self.device)?;
                    h = (h * m)?;
                }
            }
        }
        Ok(h)
    }

    /// Mean loss (graph kept for backward) and, on the device, summed loss and correct count.
    fn loss(&self, logits: &Tensor, y: &[u8]) -> Result<(Tensor, (Tensor, Tensor)), NnError> {
        let targets = Tensor::from_iter(y.iter().map(|&v| u32::from(v)), &self.device)?;
        let mean_loss = candle_nn::loss::cross_entropy(logits, &targets)?;
        let correct = logits
            .argmax(D::Minus1)?
            .eq(&targets)?
            .to_dtype(DType::U32)?
            .sum_all()?;
        let loss_sum = mean_loss.detach().affine(y.len() as f64, 0.0)?;
        Ok((mean_loss, (loss_sum, correct)))
    }

    fn read_stats((loss, correct): &(Tensor, Tensor)) -> Result<StepStats, NnError> {
        Ok(StepStats {
            loss_sum: f64::from(loss.to_scalar::<f32>()?),
            correct: correct.to_scalar::<u32>()? as usize,
        })
    }

    /// Flat gradient of the mean loss (for the gradient cross-check), without an update.
    #[cfg(test)]
    pub(crate) fn gradients(
        &self,
        x: &[f32],
        y: &[u8],
        masks: &[Vec<f32>],
    ) -> Result<Vec<f32>, NnError> {
        let logits = self.forward(x, y.len(), Some(masks))?;
        let (loss, _) = self.loss(&logits, y)?;
        let grads = loss.backward()?;
        let mut flat = Vec::new();
        for (w, b) in &self.vars {
            for v in [w, b] {
                let g = grads.get(v.as_tensor()).ok_or_else(|| {
                    NnError::Config("candle produced no gradient for a parameter".into())
                })?;
                flat.extend(g.flatten_all()?.to_vec1::<f32>()?);
            }
        }
        Ok(flat)
    }
}

impl Stepper for CandleStepper {
    fn step(&mut self, x: &[f32], y: &[u8], masks: &[Vec<f32>]) -> Result<(), NnError> {
        let logits = self.forward(x, y.len(), Some(masks))?;
        let (loss, (l, c)) = self.loss(&logits, y)?;
        self.opt.backward_step(&loss)?;
        self.acc = Some(match self.acc.take() {
            None => (l, c),
            Some((al, ac)) => ((al + l)?, (ac + c)?),
        });
        Ok(())
    }

    fn set_learning_rate(&mut self, lr: f64) {
        match &mut self.opt {
            CandleOptimizer::AdamW(o) => o.set_learning_rate(lr),
            CandleOptimizer::Sgd { lr: l, .. } => *l = lr,
        }
    }

    fn take_stats(&mut self) -> Result<StepStats, NnError> {
        self.acc
            .take()
            .map_or(Ok(StepStats::default()), |a| Self::read_stats(&a))
    }

    fn evaluate(&mut self, data: Samples<'_>) -> Result<EvalMetrics, NnError> {
        let d = self.sizes[0];
        let (mut loss, mut correct) = (0.0, 0);
        for (xc, yc) in data.x.chunks(EVAL_CHUNK * d).zip(data.y.chunks(EVAL_CHUNK)) {
            let logits = self.forward(xc, yc.len(), None)?;
            let (_, sums) = self.loss(&logits, yc)?;
            let s = Self::read_stats(&sums)?;
            loss += s.loss_sum;
            correct += s.correct;
        }
        let n = data.len() as f64;
        Ok(EvalMetrics {
            loss: loss / n,
            accuracy: correct as f64 / n,
        })
    }

    fn into_model(self: Box<Self>) -> Result<Mlp, NnError> {
        let mut params = Vec::new();
        for (w, b) in &self.vars {
            params.extend(w.as_tensor().flatten_all()?.to_vec1::<f32>()?);
            params.extend(b.as_tensor().flatten_all()?.to_vec1::<f32>()?);
        }
        Ok(Mlp::from_parts(self.name, self.sizes, self.dropout, params))
    }
}
