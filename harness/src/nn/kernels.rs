//! Flat-slice kernels for the fused CPU engine: three matrix-product shapes through `gemm` (the
//! crate candle's CPU backend uses, with runtime AVX2/AVX-512 dispatch) and fused elementwise
//! loops. All row-major. Everything runs on the calling thread (`Parallelism::None`): at batch
//! 32–64 thread hand-offs cost more than they save on a small machine, and a fixed summation order
//! makes results independent of the thread count.

use gemm::{Parallelism, gemm};
use rand::Rng;

/// `out (m×n) = a (m×k) · wᵀ` with `w` stored `n×k` (PyTorch's `[out, in]` weight layout).
pub(crate) fn matmul_a_wt(a: &[f32], w: &[f32], out: &mut [f32], m: usize, k: usize, n: usize) {
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
pub(crate) fn matmul_dzt_a(dz: &[f32], a: &[f32], out: &mut [f32], m: usize, k: usize, n: usize) {
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
pub(crate) fn matmul_dz_w(dz: &[f32], w: &[f32], out: &mut [f32], m: usize, k: usize, n: usize) {
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
pub(crate) fn bias_relu_dropout(z: &mut [f32], bias: &[f32], mask: &[f32]) {
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
pub(crate) fn bias_add(z: &mut [f32], bias: &[f32]) {
    for row in z.chunks_exact_mut(bias.len()) {
        for (v, &b) in row.iter_mut().zip(bias) {
            *v += b;
        }
    }
}

/// Backward through dropout and ReLU in place: `d = a > 0 ? d * mask : 0`, where `a` is the
/// layer's output after ReLU and dropout (positive exactly where both let the unit through).
pub(crate) fn relu_dropout_backward(d: &mut [f32], a: &[f32], mask: &[f32]) {
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
pub(crate) fn column_sums(d: &[f32], out: &mut [f32]) {
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
pub(crate) fn softmax_xent(
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
pub(crate) fn softmax_rows(z: &mut [f32], c: usize) {
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
pub(crate) fn dropout_mask<R: Rng>(rng: &mut R, p: f32, mask: &mut [f32]) {
    let keep = 1.0 / (1.0 - p);
    for m in mask {
        *m = if rng.random::<f32>() < p { 0.0 } else { keep };
    }
}

/// Adam hyperparameters and step counter (PyTorch `torch.optim.Adam` semantics, no weight decay).
#[derive(Debug, Clone)]
pub(crate) struct Adam {
    pub(crate) lr: f64,
    pub(crate) beta1: f64,
    pub(crate) beta2: f64,
    pub(crate) eps: f64,
    pub(crate) t: i32,
}

impl Adam {
    /// One update over flat buffers, following PyTorch's formula:
    /// `m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;`
    /// `p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)`.
    pub(super) fn step(&mut self, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        self.t += 1;
        let bc1 = 1.0 - self.beta1.powi(self.t);
        let bc2 = 1.0 - self.beta2.powi(self.t);
        let k = AdamConsts {
            step: (self.lr / bc1) as f32,
            inv_sqrt_bc2: (1.0 / bc2.sqrt()) as f32,
            b1: self.beta1 as f32,
            b2: self.beta2 as f32,
            eps: self.eps as f32,
        };
        let n = p.len();
        let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            unsafe { adam_avx2(&k, p, g, m, v) };
            return;
        }
        adam_body(&k, p, g, m, v);
    }
}

struct AdamConsts {
    step: f32,
    inv_sqrt_bc2: f32,
    b1: f32,
    b2: f32,
    eps: f32,
}

/// Same arithmetic as [`adam_body`], compiled for AVX2: sqrt and division are exact IEEE
/// operations and Rust never fuses or reorders float ops, so results are bit-identical to the
/// baseline build — only 8 lanes instead of 4.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn adam_avx2(k: &AdamConsts, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    adam_body(k, p, g, m, v)
}

#[inline(always)]
fn adam_body(k: &AdamConsts, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    let (c1, c2) = (1.0 - k.b1, 1.0 - k.b2);
    for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        let mi = k.b1 * *m + c1 * g;
        let vi = k.b2 * *v + c2 * g * g;
        *m = mi;
        *v = vi;
        *p -= k.step * mi / (vi.sqrt() * k.inv_sqrt_bc2 + k.eps);
    }
}

/// SGD with momentum after the first step (PyTorch, dampening 0): `b ← μ·b + g; p ← p − lr·b`.
pub(crate) fn sgd_momentum(p: &mut [f32], g: &[f32], buf: &mut [f32], momentum: f32, lr: f32) {
    for ((p, &g), b) in p.iter_mut().zip(g).zip(buf.iter_mut()) {
        *b = momentum * *b + g;
        *p -= lr * *b;
    }
}

/// `out (b×o) = x (b×i) · wt (i×o)` touching only inputs that differ from `base`: MNIST pixels
/// are ~80 % background (0, or −0.42 after the starter's normalisation), so the first layer does
/// a fifth of the dense work. Uses `x = base + (x − base)`: every row starts from
/// `base · Σ_j wt[j, :]` (held in `scratch`, `o` long) and each non-background input adds one
/// contiguous row of `wt` (the weight transposed, `[in, out]`).
pub(crate) fn sparse_rows_matmul(
    x: &[f32],
    wt: &[f32],
    out: &mut [f32],
    shape: (usize, usize, usize),
    base: f32,
    scratch: &mut [f32],
) {
    let (b, i, o) = shape;
    assert!(x.len() >= b * i && wt.len() >= i * o && out.len() >= b * o && scratch.len() >= o);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        unsafe { sparse_rows_matmul_avx2(x, wt, out, shape, base, scratch) };
        return;
    }
    sparse_rows_matmul_body(x, wt, out, shape, base, scratch)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sparse_rows_matmul_avx2(
    x: &[f32],
    wt: &[f32],
    out: &mut [f32],
    shape: (usize, usize, usize),
    base: f32,
    scratch: &mut [f32],
) {
    sparse_rows_matmul_body(x, wt, out, shape, base, scratch)
}

#[inline(always)]
fn sparse_rows_matmul_body(
    x: &[f32],
    wt: &[f32],
    out: &mut [f32],
    (b, i, o): (usize, usize, usize),
    base: f32,
    scratch: &mut [f32],
) {
    let start = &mut scratch[..o];
    start.fill(0.0);
    if base != 0.0 {
        for wrow in wt[..i * o].chunks_exact(o) {
            for (s, &w) in start.iter_mut().zip(wrow) {
                *s += w;
            }
        }
        for s in start.iter_mut() {
            *s *= base;
        }
    }
    for (xr, zr) in x[..b * i].chunks_exact(i).zip(out.chunks_exact_mut(o)) {
        zr.copy_from_slice(start);
        for (&xv, wrow) in xr.iter().zip(wt.chunks_exact(o)) {
            if xv != base {
                let d = xv - base;
                for (z, &w) in zr.iter_mut().zip(wrow) {
                    *z += d * w;
                }
            }
        }
    }
}

/// Weight gradient of the first layer in `[in, out]` layout, `gt = xᵀ · dz`, with the same
/// background split as [`sparse_rows_matmul`]: every row starts from `base · Σ_r dz[r, :]` and
/// each non-background input adds one row of `dz`. Each output row is written once.
pub(crate) fn sparse_xt_dz(
    x: &[f32],
    dz: &[f32],
    gt: &mut [f32],
    shape: (usize, usize, usize),
    base: f32,
    scratch: &mut [f32],
) {
    let (b, i, o) = shape;
    assert!(x.len() >= b * i && dz.len() >= b * o && gt.len() >= i * o && scratch.len() >= o);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        unsafe { sparse_xt_dz_avx2(x, dz, gt, shape, base, scratch) };
        return;
    }
    sparse_xt_dz_body(x, dz, gt, shape, base, scratch)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sparse_xt_dz_avx2(
    x: &[f32],
    dz: &[f32],
    gt: &mut [f32],
    shape: (usize, usize, usize),
    base: f32,
    scratch: &mut [f32],
) {
    sparse_xt_dz_body(x, dz, gt, shape, base, scratch)
}

#[inline(always)]
fn sparse_xt_dz_body(
    x: &[f32],
    dz: &[f32],
    gt: &mut [f32],
    (b, i, o): (usize, usize, usize),
    base: f32,
    scratch: &mut [f32],
) {
    let start = &mut scratch[..o];
    start.fill(0.0);
    if base != 0.0 {
        for row in dz[..b * o].chunks_exact(o) {
            for (s, &d) in start.iter_mut().zip(row) {
                *s += d;
            }
        }
        for s in start.iter_mut() {
            *s *= base;
        }
    }
    for (j, grow) in gt[..i * o].chunks_exact_mut(o).enumerate() {
        grow.copy_from_slice(start);
        for r in 0..b {
            let xv = x[r * i + j];
            if xv != base {
                let d = xv - base;
                for (g, &v) in grow.iter_mut().zip(&dz[r * o..(r + 1) * o]) {
                    *g += d * v;
                }
            }
        }
    }
}

/// Transposes a `r×c` row-major matrix into `out` (`c×r`).
pub(crate) fn transpose(a: &[f32], r: usize, c: usize, out: &mut [f32]) {
    for (i, row) in a[..r * c].chunks_exact(c).enumerate() {
        for (j, &v) in row.iter().enumerate() {
            out[j * r + i] = v;
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
        for base in [0.0, -0.42] {
            let sparse_a: Vec<f32> = a.iter().map(|&v| if v > 0.3 { v } else { base }).collect();
            let want = naive(&sparse_a, &b, m, k, n);
            let close = |x: &[f32]| x.iter().zip(&want).all(|(p, q)| (p - q).abs() < 1e-5);
            let mut scratch = vec![9.0; n];
            sparse_rows_matmul(&sparse_a, &b, &mut out, (m, k, n), base, &mut scratch);
            assert!(close(&out), "base {base}");
            // gt (k×n) = aᵀ (k×m) · c (m×n): here a plays x (m×k) and c the dz (m×n).
            let c: Vec<f32> = (0..m * n).map(|i| (i as f32 * 0.23).sin()).collect();
            let want = naive(&transpose_vec(&sparse_a, m, k), &c, k, m, n);
            let mut gt = vec![1.0; k * n];
            sparse_xt_dz(&sparse_a, &c, &mut gt, (m, k, n), base, &mut scratch);
            assert!(
                gt.iter().zip(&want).all(|(p, q)| (p - q).abs() < 1e-5),
                "base {base}"
            );
        }
    }

    fn transpose_vec(a: &[f32], r: usize, c: usize) -> Vec<f32> {
        let mut t = vec![0.0; r * c];
        super::transpose(a, r, c, &mut t);
        t
    }
}
