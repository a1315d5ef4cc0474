//! Causal multi-head self-attention over a packed projection, as one op: `qkv [B, T, 3·d]` holds
//! the queries, keys and values side by side (each `H` heads of `d / H` features, the layout of a
//! `Linear(d, 3·d)` split as nanoGPT's `c_attn`), and the result is
//! `softmax(q·kᵀ / √(d/H) + causal mask) · v` with the heads merged back into `[B, T, d]`:
//! PyTorch's `F.scaled_dot_product_attention(q, k, v, is_causal=True)` between the split and the
//! merge.
//!
//! On flex and ndarray (with their features) the forward and the backward each run one task per
//! head and sequence that reads q, k and v in place and keeps the head's `T×T` weights in cache
//! (`crate::cpu`'s attention kernels); the autodiff node keeps the input and the weights. Elsewhere
//! (wgpu, and without those features) it is Burn's tensor ops: split, scaled products, the mask,
//! softmax, merge.

// burn-ndarray is deprecated in Burn 0.22, but ndarray is one of the backends users ask for.
#![allow(deprecated)]

use burn::tensor::{Bool, Tensor};
#[cfg(cpu_kernels)]
use {burn::backend::Dispatch, extension::AttentionBackend};

/// The op and its autodiff node, where the crate has CPU kernels (features `flex`, `ndarray`).
#[cfg(cpu_kernels)]
pub(crate) mod extension {
    use burn::backend::autodiff::{
        Autodiff,
        checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
        grads::Gradients,
        ops::{Backward, Ops, OpsKind, unary},
    };
    use burn::backend::{Backend, backend_extension, tensor::FloatTensor};

    /// The forward, routed by Burn's dispatch to flex, ndarray and their autodiff wrappers only.
    #[backend_extension(Flex: cfg(feature = "flex"), NdArray: cfg(feature = "ndarray"), Autodiff)]
    pub trait AttentionBackend: Backend {
        /// `[B, T, 3·d]` → `[B, T, d]` (see [`super::causal_attention`]).
        fn causal_attention(qkv: FloatTensor<Self>, heads: usize) -> FloatTensor<Self>;
    }

    /// The kernels the autodiff wrapper calls on the inner backend.
    pub(crate) trait AttentionKernels: Backend {
        /// The merged heads `[B, T, d]` and the attention weights `[B, H, T, T]`.
        fn causal_attention_weights(
            qkv: FloatTensor<Self>,
            heads: usize,
        ) -> (FloatTensor<Self>, FloatTensor<Self>);

        /// The gradient with respect to `qkv`, given the weights and the output's gradient.
        fn causal_attention_backward(
            qkv: FloatTensor<Self>,
            weights: FloatTensor<Self>,
            grad: FloatTensor<Self>,
            heads: usize,
        ) -> FloatTensor<Self>;
    }

    #[derive(Debug)]
    struct AttentionGrad {
        heads: usize,
    }

    impl<B: AttentionKernels> Backward<B, 1> for AttentionGrad {
        /// The input and the weights.
        type State = (FloatTensor<B>, FloatTensor<B>);

        fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
            let (qkv, weights) = ops.state;
            unary::<B, _>(ops.parents, ops.node, grads, |grad| {
                B::causal_attention_backward(qkv, weights, grad, self.heads)
            });
        }
    }

    impl<B: AttentionBackend + AttentionKernels, C: CheckpointStrategy> AttentionBackend
        for Autodiff<B, C>
    {
        fn causal_attention(qkv: FloatTensor<Self>, heads: usize) -> FloatTensor<Self> {
            let (qkv, guard) = qkv.into_parts();
            match (AttentionGrad { heads })
                .prepare::<C>([guard])
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(prep) => {
                    let (merged, weights) = B::causal_attention_weights(qkv.clone(), heads);
                    prep.finish((qkv, weights), merged)
                }
                OpsKind::UnTracked(prep) => prep.finish(B::causal_attention(qkv, heads)),
            }
        }
    }
}

/// Causal multi-head self-attention over a packed projection, differentiable on every backend.
///
/// `qkv` is `[batch, length, 3·d]`: queries, keys and values side by side in the last dimension,
/// each `heads` heads of `d / heads` features (what `Linear(d, 3·d)` gives, split as nanoGPT's
/// `c_attn`). Position `t` attends to positions `0..=t`; the result is
/// `softmax(q·kᵀ / √(d/heads)) · v` per head with the heads merged back, `[batch, length, d]`:
/// PyTorch's `F.scaled_dot_product_attention(q, k, v, is_causal=True)` (no dropout) between the
/// split and `transpose(1, 2).reshape(B, T, d)`.
///
/// On flex and ndarray (with their features) forward and backward are one task per head and
/// sequence reading q, k and v in place; elsewhere Burn's tensor ops.
///
/// # Panics
/// If `heads` is 0 or `3·heads` does not divide the last dimension (as Burn's ops panic on shapes
/// that do not fit).
///
/// ```
/// use burn::tensor::{Device, Tensor};
/// let device = Device::default();
/// // one sequence of two positions, one head of one feature: q, k, v per position
/// let qkv = Tensor::<3>::from_floats([[[1.0, 1.0, 2.0], [1.0, 1.0, 4.0]]], &device);
/// let y: Vec<f32> = nonlin_activations::causal_attention(qkv, 1).into_data().to_vec().unwrap();
/// // position 0 sees only itself; position 1 weighs both equally (equal scores)
/// assert_eq!(y, [2.0, 3.0]);
/// ```
pub fn causal_attention(qkv: Tensor<3>, heads: usize) -> Tensor<3> {
    let width = qkv.dims()[2];
    assert!(
        heads > 0 && width.is_multiple_of(3 * heads),
        "causal_attention: the packed projection's last dimension ({width}) must be 3·heads·d_head \
         for heads = {heads} (give heads ≥ 1 that divides d = {width} / 3)"
    );
    #[cfg(cpu_kernels)]
    if crate::ops::backends::has_cpu_kernels(&qkv.device()) {
        return Tensor::from_dispatch(<Dispatch as AttentionBackend>::causal_attention(
            qkv.into_dispatch(),
            heads,
        ));
    }
    composed(qkv, heads)
}

/// The same from Burn's tensor ops (the path on wgpu, and the reference the kernels are tested
/// against).
pub(crate) fn composed(qkv: Tensor<3>, heads: usize) -> Tensor<3> {
    let [batch, length, width] = qkv.dims();
    let d = width / 3;
    let d_head = d / heads;
    // [B, T, 3, H, d_head] → three [B, H, T, d_head]
    let qkv = qkv
        .reshape([batch, length, 3, heads, d_head])
        .permute([2, 0, 3, 1, 4]);
    let part = |i: usize| {
        qkv.clone()
            .narrow(0, i, 1)
            .reshape([batch, heads, length, d_head])
    };
    let (q, k, v) = (part(0), part(1), part(2));
    // the 1/√d_head scale on the queries: T·d_head products instead of T·T
    let scores = (q / (d_head as f64).sqrt()).matmul(k.swap_dims(2, 3));
    // true above the diagonal: the positions after the query's, which it must not see
    let future = Tensor::<2, Bool>::tril_mask([length, length], 0, &scores.device())
        .unsqueeze::<4>()
        .expand([batch, heads, length, length]);
    let scores = scores.mask_fill(future, f32::NEG_INFINITY);
    crate::ops::softmax::softmax(scores, -1)
        .matmul(v)
        .swap_dims(1, 2)
        .reshape([batch, length, d])
}

#[cfg(all(test, feature = "flex", feature = "ndarray"))]
mod tests {
    use crate::ops::test_support::values;
    use burn::tensor::{Device, FloatDType, Tensor, TensorData};

    fn filled(n: usize, seed: usize) -> Vec<f32> {
        crate::ops::test_support::filled(n, seed, 0.13)
    }

    /// The kernels against Burn's composition (split, scaled products, mask, softmax, merge,
    /// differentiated by Burn's autodiff) on flex and ndarray, float32 and float64, one and several
    /// heads, lengths below, at and above the 16 lanes of the row loops, on a contiguous and a
    /// transposed (strided) input: the same values and input gradients.
    #[test]
    fn values_and_gradients_match_the_composition() {
        for device in [Device::flex(), Device::ndarray()] {
            let autodiff = device.clone().autodiff();
            for dtype in [FloatDType::F32, FloatDType::F64] {
                for (batch, length, heads, d_head) in [
                    (2, 5, 1, 3),
                    (3, 16, 2, 4),
                    (2, 37, 3, 2),
                    (1, 70, 2, 4),
                    (1, 1, 2, 2),
                ] {
                    for strided in [false, true] {
                        let width = 3 * heads * d_head;
                        let run = |ours: bool| {
                            let n = batch * length * width;
                            let x = if strided {
                                Tensor::<3>::from_data(
                                    TensorData::new(filled(n, 1), [batch, width, length]),
                                    &autodiff,
                                )
                            } else {
                                Tensor::<3>::from_data(
                                    TensorData::new(filled(n, 1), [batch, length, width]),
                                    &autodiff,
                                )
                            }
                            .cast(dtype)
                            .require_grad();
                            let input = if strided {
                                x.clone().swap_dims(1, 2)
                            } else {
                                x.clone()
                            };
                            let y = if ours {
                                super::causal_attention(input, heads)
                            } else {
                                super::composed(input, heads)
                            };
                            let m = batch * length * heads * d_head;
                            let weights = Tensor::<3>::from_data(
                                TensorData::new(filled(m, 2), [batch, length, heads * d_head]),
                                &autodiff,
                            )
                            .cast(dtype);
                            let grads = (y.clone() * weights).sum().backward();
                            (
                                y.dims(),
                                values(y.detach()),
                                values(x.grad(&grads).unwrap()),
                            )
                        };
                        let (ours, burns) = (run(true), run(false));
                        let case = format!(
                            "{device:?} {dtype:?} B{batch} T{length} H{heads} dh{d_head} \
                             strided {strided}"
                        );
                        assert_eq!(ours.0, [batch, length, heads * d_head], "{case}");
                        // float64: the composition's scalar scale 1/√d_head passes through
                        // float32 (relative 3e-8), the kernel's does not
                        let tolerance = if dtype == FloatDType::F64 { 1e-7 } else { 2e-5 };
                        for (what, a, b) in [("y", &ours.1, &burns.1), ("dqkv", &ours.2, &burns.2)]
                        {
                            assert_eq!(a.len(), b.len(), "{case} {what}");
                            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                                assert!(
                                    (x - y).abs() <= tolerance * (1.0 + y.abs()),
                                    "{case} {what}[{i}]: {x} vs {y}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    /// Causality, measured: changing the last position's q, k and v changes no earlier output
    /// and no gradient of an earlier output with respect to earlier positions.
    #[test]
    fn a_later_position_never_changes_an_earlier_output() {
        let (batch, length, heads, d_head) = (2, 9, 2, 4);
        let width = 3 * heads * d_head;
        for device in [Device::flex(), Device::ndarray()] {
            let first = filled(batch * length * width, 3);
            let mut second = first.clone();
            for b in 0..batch {
                let last = (b * length + length - 1) * width;
                for v in &mut second[last..last + width] {
                    *v = -*v * 7.0 + 1.0;
                }
            }
            let out = |data: Vec<f32>| {
                let x =
                    Tensor::<3>::from_data(TensorData::new(data, [batch, length, width]), &device);
                values(super::causal_attention(x, heads))
            };
            let (a, b) = (out(first), out(second));
            let d = heads * d_head;
            for bt in 0..batch * length {
                let earlier = bt % length < length - 1;
                let same = a[bt * d..(bt + 1) * d] == b[bt * d..(bt + 1) * d];
                assert_eq!(same, earlier, "{device:?} row {bt}");
            }
        }
    }

    /// float16 runs in float32 and is cast back: the values of the float32 op, rounded.
    #[test]
    fn half_precision_runs_in_float32() {
        let device = Device::flex();
        let (batch, length, heads, d_head) = (2, 6, 2, 2);
        let x = Tensor::<3>::from_data(
            TensorData::new(
                filled(batch * length * 3 * heads * d_head, 4),
                [batch, length, 12],
            ),
            &device,
        );
        let full = values(super::causal_attention(x.clone(), heads));
        let half = super::causal_attention(x.cast(FloatDType::F16), heads);
        assert_eq!(half.dtype(), burn::tensor::DType::F16);
        for (h, f) in values(half).iter().zip(&full) {
            assert!((h - f).abs() <= 2e-3 * (1.0 + f.abs()), "{h} vs {f}");
        }
    }

    /// Infinities and NaN flow as in the composition: a NaN query poisons its own row only.
    #[test]
    fn nan_stays_in_its_row() {
        let device = Device::flex();
        let (length, width) = (4, 3);
        let mut data = filled(length * width, 5);
        data[2 * width] = f32::NAN; // the query of position 2
        let x = Tensor::<3>::from_data(TensorData::new(data, [1, length, width]), &device);
        let y = values(super::causal_attention(x, 1));
        assert!(
            y[0].is_finite() && y[1].is_finite() && y[3].is_finite(),
            "{y:?}"
        );
        assert!(y[2].is_nan(), "{y:?}");
    }

    #[test]
    #[should_panic(expected = "must be 3·heads·d_head")]
    fn heads_that_do_not_divide_the_width_are_refused() {
        let x = Tensor::<3>::zeros([1, 2, 12], &Device::flex());
        let _ = super::causal_attention(x, 3);
    }
}
