//! Adam's and AdamW's update on CPU buffers in one pass: each element's gradient, moments and
//! parameter read once and the new parameter and moments written once (PyTorch's fused Adam).
//!
//! Why not Burn's: burn-optim 0.22.1's Adam is about a dozen tensor ops per parameter (moments
//! scaled and added, the gradient squared, a square root, a division, the step scaled and
//! subtracted), each a pass over the parameter's elements; on an MLP of 670k parameters that is a
//! large share of a step that multiplies in a few milliseconds.

use super::buffer::{Buffer, CpuTensor, Typed, typed};
use super::float::Float;
use super::loops::{Task, run_task_fastest};
use crate::ops::optim::AdamUpdate;
use burn::backend::{Backend, TensorMetadata, tensor::FloatTensor};
use burn::tensor::FloatDType;
use core::mem::MaybeUninit;
use rayon::prelude::*;

/// Elements per parallel task.
const CHUNK: usize = 1 << 14;

/// The update's scalars in the element type, computed once per parameter as Burn computes them
/// (float32 powers of the betas, as burn-optim does).
#[derive(Clone, Copy)]
struct Coefficients<E> {
    beta_1: E,
    beta_2: E,
    one_minus_beta_1: E,
    one_minus_beta_2: E,
    /// Adam: the L2 penalty added to the gradient (when not 0); AdamW: none.
    l2: Option<E>,
    /// AdamW: `1 − lr·λ`; Adam: 1.
    decay: E,
    /// `lr`, and the bias corrections' factors (see [`Task`] for each form).
    lr: E,
    step_scale: E,
    epsilon: E,
    second_scale: E,
}

impl<E: Float> Coefficients<E> {
    fn of(update: &AdamUpdate) -> Self {
        let time = update.time as i32;
        let (b1, b2) = (update.beta_1, update.beta_2);
        let (correction_1, correction_2) = (1.0 - b1.powi(time), 1.0 - b2.powi(time));
        let f = |x: f32| E::from_f64(f64::from(x));
        let (step_scale, epsilon, second_scale) = if update.decoupled {
            // AdamW (burn-optim): (m / c₁) / (√(v / c₂) + ε)
            (
                f(1.0 / correction_1),
                f(update.epsilon),
                f(1.0 / correction_2),
            )
        } else {
            // Adam (burn-optim): m · (√c₂ / c₁) / (√v + ε·√c₂)
            let root = correction_2.sqrt();
            (f(root / correction_1), f(update.epsilon * root), f(1.0))
        };
        Self {
            beta_1: f(b1),
            beta_2: f(b2),
            one_minus_beta_1: f(1.0 - b1),
            one_minus_beta_2: f(1.0 - b2),
            l2: (!update.decoupled && update.weight_decay != 0.0).then(|| f(update.weight_decay)),
            decay: if update.decoupled {
                E::from_f64(1.0 - update.learning_rate * f64::from(update.weight_decay))
            } else {
                E::ONE
            },
            lr: E::from_f64(update.learning_rate),
            step_scale,
            epsilon,
            second_scale,
        }
    }
}

/// One chunk of the update: reads `param`, `grad` and the moments (zeros when there are none yet),
/// writes the three results.
struct Update<'a, E> {
    c: Coefficients<E>,
    param: &'a [E],
    grad: &'a [E],
    moments: Option<(&'a [E], &'a [E])>,
    /// The new parameter, first and second moment.
    out: [&'a mut [MaybeUninit<E>]; 3],
}

impl<E: Float> Update<'_, E> {
    #[inline(always)]
    fn element(c: &Coefficients<E>, p: E, g: E, m: E, v: E) -> (E, E, E) {
        // without a penalty the gradient as it is (a non-finite θ does not reach it)
        let g = match c.l2 {
            Some(l2) => g + p * l2,
            None => g,
        };
        let m = m * c.beta_1 + g * c.one_minus_beta_1;
        let v = v * c.beta_2 + g * g * c.one_minus_beta_2;
        let step = (m * c.step_scale) / ((v * c.second_scale).sqrt() + c.epsilon);
        (p * c.decay - step * c.lr, m, v)
    }
}

impl<E: Float> Task for Update<'_, E> {
    #[inline(always)]
    fn run(self) {
        let c = self.c;
        let [param_out, m_out, v_out] = self.out;
        let outs = param_out.iter_mut().zip(m_out.iter_mut()).zip(v_out);
        let inputs = self.param.iter().zip(self.grad);
        match self.moments {
            Some((m, v)) => {
                for ((((po, mo), vo), (&p, &g)), (&m, &v)) in outs.zip(inputs).zip(m.iter().zip(v))
                {
                    let (p, m, v) = Self::element(&c, p, g, m, v);
                    po.write(p);
                    mo.write(m);
                    vo.write(v);
                }
            }
            None => {
                for (((po, mo), vo), (&p, &g)) in outs.zip(inputs) {
                    let (p, m, v) = Self::element(&c, p, g, E::ZERO, E::ZERO);
                    po.write(p);
                    mo.write(m);
                    vo.write(v);
                }
            }
        }
    }
}

/// The new parameter and moments.
fn update<E: Float>(
    param: &[E],
    grad: &[E],
    moments: Option<(&[E], &[E])>,
    update: &AdamUpdate,
) -> (Vec<E>, Vec<E>, Vec<E>) {
    let n = param.len();
    let c = Coefficients::<E>::of(update);
    let (mut p, mut m, mut v) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    p.spare_capacity_mut()[..n]
        .par_chunks_mut(CHUNK)
        .zip(m.spare_capacity_mut()[..n].par_chunks_mut(CHUNK))
        .zip(v.spare_capacity_mut()[..n].par_chunks_mut(CHUNK))
        .enumerate()
        .for_each(|(chunk, ((p, m), v))| {
            let range = chunk * CHUNK..chunk * CHUNK + p.len();
            run_task_fastest(Update {
                c,
                param: &param[range.clone()],
                grad: &grad[range.clone()],
                moments: moments.map(|(m, v)| (&m[range.clone()], &v[range.clone()])),
                out: [p, m, v],
            })
        });
    // SAFETY: the chunks cover all n elements of each output, and every task wrote each element
    // of its three chunks.
    unsafe {
        p.set_len(n);
        m.set_len(n);
        v.set_len(n);
    }
    (p, m, v)
}

/// `(param, moment 1, moment 2)` after one step. float32 and float64 run as they are; other float
/// dtypes run in float32 and are cast back.
pub(super) fn adam_update<B: Backend>(
    param: FloatTensor<B>,
    grad: FloatTensor<B>,
    moments: Option<(FloatTensor<B>, FloatTensor<B>)>,
    step: &AdamUpdate,
) -> (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>)
where
    FloatTensor<B>: CpuTensor,
{
    let shape = param.shape();
    let mut tensors = vec![&param, &grad];
    if let Some((m, v)) = &moments {
        tensors.extend([m, v]);
    }
    let buffers: Option<Vec<Buffer<'_>>> = tensors.into_iter().map(|t| t.buffer()).collect();
    macro_rules! run {
        ($b:expr, $from:ident) => {{
            let b = $b;
            let (p, m, v) = update(b[0], b[1], (b.len() == 4).then(|| (b[2], b[3])), step);
            (
                FloatTensor::<B>::$from(p, shape.clone()),
                FloatTensor::<B>::$from(m, shape.clone()),
                FloatTensor::<B>::$from(v, shape),
            )
        }};
    }
    match buffers.as_deref().and_then(typed) {
        Some(Typed::F32(b)) => run!(b, from_f32),
        Some(Typed::F64(b)) => run!(b, from_f64),
        None => {
            let dtype: FloatDType = param.dtype().into();
            let f32 = |t: &FloatTensor<B>| B::float_cast(t.clone(), FloatDType::F32);
            let moments = moments.as_ref().map(|(m, v)| (f32(m), f32(v)));
            let (p, m, v) = adam_update::<B>(f32(&param), f32(&grad), moments, step);
            (
                B::float_cast(p, dtype),
                B::float_cast(m, dtype),
                B::float_cast(v, dtype),
            )
        }
    }
}
