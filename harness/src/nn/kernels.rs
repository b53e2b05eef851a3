//! Flat-slice kernels for the fused CPU engine: three matrix-product shapes through `gemm` (the
//! crate candle's CPU backend uses, with runtime AVX2/AVX-512 dispatch) and fused elementwise
//! loops. All row-major. Everything runs on the calling thread (`Parallelism::None`): at batch
//! 32–64 thread hand-offs cost more than they save on a small machine, and a fixed summation order
//! makes results independent of the thread count.

use gemm::{Parallelism, gemm};
use rand::Rng;

/// `out (m×n) = a (m×k) · wᵀ` with `w` stored `n×k` (PyTorch's `[out, in]` weight layout).
pub fn matmul_a_wt(a: &[f32], w: &[f32], out: &mut [f32], m: usize, k: usize, n: usize) {
    assert!(a.len() >= m * k && w.len() >= n * k && out.len() >= m * n);
    // SAFETY: the assert above keeps every index gemm touches (row < m, col < n, inner < k with
    // the strides below) inside the three slices; `out` does not alias the inputs (&mut).
    unsafe {
        gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            k as isize,
            w.as_ptr(),
            k as isize,
            1,
            0.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        )
    }
}

/// `out (m×n) = dzᵀ · a` with `dz` stored `k×m` and `a` stored `k×n` (weight gradient).
pub fn matmul_dzt_a(dz: &[f32], a: &[f32], out: &mut [f32], m: usize, k: usize, n: usize) {
    assert!(dz.len() >= k * m && a.len() >= k * n && out.len() >= m * n);
    // SAFETY: as in `matmul_a_wt`; lhs element (i, kk) is dz[kk*m + i], rhs (kk, j) is a[kk*n + j].
    unsafe {
        gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            false,
            dz.as_ptr(),
            m as isize,
            1,
            a.as_ptr(),
            1,
            n as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        )
    }
}

/// `out (m×n) = dz (m×k) · w (k×n)` (gradient flowing to the layer input).
pub fn matmul_dz_w(dz: &[f32], w: &[f32], out: &mut [f32], m: usize, k: usize, n: usize) {
    assert!(dz.len() >= m * k && w.len() >= k * n && out.len() >= m * n);
    // SAFETY: as in `matmul_a_wt`; plain row-major operands.
    unsafe {
        gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            false,
            dz.as_ptr(),
            1,
            k as isize,
            w.as_ptr(),
            1,
            n as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        )
    }
}

/// Hidden layer activation in place: `z = max(z + bias, 0) * mask` (mask empty = no dropout).
pub fn bias_relu_dropout(z: &mut [f32], bias: &[f32], mask: &[f32]) {
    let w = bias.len();
    if mask.is_empty() {
        for row in z.chunks_exact_mut(w) {
            for (v, &b) in row.iter_mut().zip(bias) {
                *v = (*v + b).max(0.0);
            }
        }
    } else {
        for (row, mrow) in z.chunks_exact_mut(w).zip(mask.chunks_exact(w)) {
            for ((v, &b), &m) in row.iter_mut().zip(bias).zip(mrow) {
                *v = (*v + b).max(0.0) * m;
            }
        }
    }
}

/// Output layer: `z += bias` per row.
pub fn bias_add(z: &mut [f32], bias: &[f32]) {
    for row in z.chunks_exact_mut(bias.len()) {
        for (v, &b) in row.iter_mut().zip(bias) {
            *v += b;
        }
    }
}

/// Backward through dropout and ReLU in place: `d = a > 0 ? d * mask : 0`, where `a` is the
/// layer's output after ReLU and dropout (positive exactly where both let the unit through).
pub fn relu_dropout_backward(d: &mut [f32], a: &[f32], mask: &[f32]) {
    if mask.is_empty() {
        for (g, &v) in d.iter_mut().zip(a) {
            if v <= 0.0 {
                *g = 0.0;
            }
        }
    } else {
        for ((g, &v), &m) in d.iter_mut().zip(a).zip(mask) {
            *g = if v > 0.0 { *g * m } else { 0.0 };
        }
    }
}

/// Column sums of `d` (`rows × out.len()`) into `out` (bias gradient).
pub fn column_sums(d: &[f32], out: &mut [f32]) {
    out.fill(0.0);
    for row in d.chunks_exact(out.len()) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
}

/// Numerically stable softmax cross-entropy per row of `logits` (`labels.len() × c`).
/// Returns (sum of per-row losses, rows whose first arg-max equals the label). When `grad` is
/// given it receives `(softmax - onehot) * grad_scale`, the gradient of `grad_scale × Σ loss`.
pub fn softmax_xent(
    logits: &[f32],
    labels: &[u8],
    c: usize,
    mut grad: Option<(&mut [f32], f32)>,
) -> (f64, usize) {
    let mut loss = 0f64;
    let mut correct = 0;
    for (r, (row, &y)) in logits.chunks_exact(c).zip(labels).enumerate() {
        let y = usize::from(y);
        let (mut best, mut max) = (0, row[0]);
        for (j, &v) in row.iter().enumerate().skip(1) {
            if v > max {
                max = v;
                best = j;
            }
        }
        correct += usize::from(best == y);
        let sum: f32 = row.iter().map(|&v| (v - max).exp()).sum();
        let lse = max + sum.ln();
        loss += f64::from(lse - row[y]);
        if let Some((g, scale)) = grad.as_mut() {
            let inv = 1.0 / sum;
            let grow = &mut g[r * c..(r + 1) * c];
            for (j, (gv, &v)) in grow.iter_mut().zip(row).enumerate() {
                let p = (v - max).exp() * inv;
                *gv = (p - if j == y { 1.0 } else { 0.0 }) * *scale;
            }
        }
    }
    (loss, correct)
}

/// Row-wise softmax in place.
pub fn softmax_rows(z: &mut [f32], c: usize) {
    for row in z.chunks_exact_mut(c) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for v in row.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        for v in row.iter_mut() {
            *v /= sum;
        }
    }
}

/// Inverted-dropout mask: each unit kept with probability 1 − p and scaled by 1/(1 − p), so
/// evaluation needs no rescaling. Draws one `f32` per unit from the run's RNG.
pub fn dropout_mask<R: Rng>(rng: &mut R, p: f32, mask: &mut [f32]) {
    let keep = 1.0 / (1.0 - p);
    for m in mask {
        *m = if rng.random::<f32>() < p { 0.0 } else { keep };
    }
}

/// Adam hyperparameters and step counter (PyTorch `torch.optim.Adam` semantics, no weight decay).
#[derive(Debug, Clone)]
pub struct Adam {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub t: i32,
}

impl Adam {
    /// One update over flat buffers, following PyTorch's formula:
    /// `m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;`
    /// `p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)`.
    pub fn step(&mut self, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        self.t += 1;
        let bc1 = 1.0 - self.beta1.powi(self.t);
        let bc2 = 1.0 - self.beta2.powi(self.t);
        let step = (self.lr / bc1) as f32;
        let inv_sqrt_bc2 = (1.0 / bc2.sqrt()) as f32;
        let (b1, b2, eps) = (self.beta1 as f32, self.beta2 as f32, self.eps as f32);
        let (c1, c2) = (1.0 - b1, 1.0 - b2);
        let n = p.len();
        let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
        for i in 0..n {
            let gi = g[i];
            let mi = b1 * m[i] + c1 * gi;
            let vi = b2 * v[i] + c2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] -= step * mi / (vi.sqrt() * inv_sqrt_bc2 + eps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut o = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                o[i * n + j] = (0..k).map(|kk| a[i * k + kk] * b[kk * n + j]).sum();
            }
        }
        o
    }

    fn transpose(a: &[f32], r: usize, c: usize) -> Vec<f32> {
        let mut t = vec![0.0; r * c];
        for i in 0..r {
            for j in 0..c {
                t[j * r + i] = a[i * c + j];
            }
        }
        t
    }

    #[test]
    fn matmul_shapes_match_naive() {
        let (m, k, n) = (5, 7, 3);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
        let want = naive(&a, &b, m, k, n);
        let close = |x: &[f32]| x.iter().zip(&want).all(|(p, q)| (p - q).abs() < 1e-5);
        let mut out = vec![0.0; m * n];
        matmul_a_wt(&a, &transpose(&b, k, n), &mut out, m, k, n);
        assert!(close(&out));
        matmul_dzt_a(&transpose(&a, m, k), &b, &mut out, m, k, n);
        assert!(close(&out));
        matmul_dz_w(&a, &b, &mut out, m, k, n);
        assert!(close(&out));
    }
}
