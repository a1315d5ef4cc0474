//! The dense layer on CPU buffers: `y = x·W (+ b)` and its three gradients, each one call of the
//! gemm crate (the one burn-flex multiplies with) straight on the buffers, transposes given as
//! strides, into one fresh output.
//!
//! Why not Burn's composition: burn-flex 0.22.1's matmul allocates its output as a zero-filled
//! byte vector and then copies it into an aligned allocation (`FlexTensor::empty` →
//! `Bytes::from_bytes_vec`), two passes over every output before the product writes it; on the
//! transformer's tall products that is more than half of the multiplication's time (README,
//! Performance: `bench matmul`). Here the output is written once, by gemm, or by the bias and then
//! accumulated into by gemm.

use super::buffer::{Buffer, CpuTensor, Typed, typed};
use super::float::Float;
use burn::backend::{Backend, TensorMetadata, tensor::FloatTensor};
use burn::tensor::Shape;

/// At and above this many multiply-adds gemm splits the product over rayon's pool; below, one
/// thread is faster (burn-flex's threshold, so both multiply alike).
const PARALLEL_THRESHOLD: usize = 192 * 192 * 192;

/// A matrix over a slice: element `(i, j)` at `i·row_stride + j·col_stride`.
#[derive(Clone, Copy)]
struct Matrix<'a, E> {
    data: &'a [E],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a, E> Matrix<'a, E> {
    /// `data` as a row-major `rows × cols` matrix.
    fn row_major(data: &'a [E], rows: usize, cols: usize) -> Self {
        assert_eq!(data.len(), rows * cols, "a {rows}×{cols} matrix's elements");
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose: the same elements, strides swapped.
    fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }
}

/// `lhs · rhs (+ bias on every row)` into a new row-major buffer.
fn product<E: Float>(lhs: Matrix<'_, E>, rhs: Matrix<'_, E>, bias: Option<&[E]>) -> Vec<E> {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert_eq!(rhs.rows, k, "inner dimensions");
    let mut out: Vec<E> = Vec::with_capacity(m * n);
    if m * n == 0 {
        return out;
    }
    let read_dst = match bias {
        Some(bias) => {
            assert_eq!(bias.len(), n, "one bias per output column");
            for _ in 0..m {
                out.extend_from_slice(bias);
            }
            true
        }
        None => false,
    };
    let parallelism = if m.saturating_mul(n).saturating_mul(k) >= PARALLEL_THRESHOLD {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: `lhs` and `rhs` are views whose largest offsets, (rows−1)·row_stride +
    // (cols−1)·col_stride, lie inside their slices (row-major views and their transposes, built
    // from slices of exactly rows·cols elements); the output has capacity m·n, rows of n. With
    // `read_dst` false gemm reads none of it (alpha 0) and writes all m·n elements, k = 0 included
    // (zeros); with a bias every element was written above and gemm adds the product to it.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            read_dst,
            lhs.data.as_ptr(),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            if read_dst { E::ONE } else { E::ZERO },
            E::ONE,
            false,
            false,
            false,
            parallelism,
        );
        out.set_len(m * n);
    }
    out
}

/// Column sums of a row-major `rows × cols` matrix.
fn column_sums<E: Float>(grad: &[E], cols: usize) -> Vec<E> {
    let mut sums = vec![E::ZERO; cols];
    for row in grad.chunks_exact(cols.max(1)) {
        for (s, &g) in sums.iter_mut().zip(row) {
            *s = *s + g;
        }
    }
    sums
}

/// `x [.., K]` as `rows × K`, and the output shape `[.., N]`.
fn rows_of(shape: &Shape, n: usize) -> (usize, usize, Shape) {
    let dims = shape.as_slice();
    let (k, leading) = dims.split_last().map_or((1, &[][..]), |(&k, l)| (k, l));
    let mut out = dims.to_vec();
    if let Some(last) = out.last_mut() {
        *last = n;
    }
    (leading.iter().product(), k, Shape::from(out))
}

/// The last dimension of a shape.
fn last(shape: &Shape) -> usize {
    shape.as_slice().last().copied().unwrap_or(1)
}

/// `$body` over the tensors' buffers as float32 or float64 slices (`$b[i]`: the i-th tensor's),
/// wrapped into a tensor of `$shape`; `None` when the dtypes are neither or mixed (the caller then
/// takes Burn's op). The buffers' borrows end before the caller can move the tensors.
macro_rules! on_buffers {
    ($backend:ty, $tensors:expr, $shape:expr, |$b:ident| $body:expr) => {{
        let buffers: Option<Vec<Buffer<'_>>> = $tensors.into_iter().map(|t| t.buffer()).collect();
        buffers.as_deref().and_then(typed).map(|typed| match typed {
            Typed::F32($b) => FloatTensor::<$backend>::from_f32($body, $shape),
            Typed::F64($b) => FloatTensor::<$backend>::from_f64($body, $shape),
        })
    }};
}

/// `x [.., K] · W [K, N] (+ b [N])`.
pub(super) fn linear<B: Backend>(
    x: FloatTensor<B>,
    weight: FloatTensor<B>,
    bias: Option<FloatTensor<B>>,
) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    let [_, n] = weight.shape().dims::<2>();
    let (rows, k, shape) = rows_of(&x.shape(), n);
    let tensors = [Some(&x), Some(&weight), bias.as_ref()]
        .into_iter()
        .flatten();
    let out = on_buffers!(B, tensors, shape, |b| product(
        Matrix::row_major(b[0], rows, k),
        Matrix::row_major(b[1], k, n),
        b.get(2).copied(),
    ));
    out.unwrap_or_else(|| B::linear(x, weight, bias))
}

/// `dx = dy [.., N] · Wᵀ`, shaped as `x`.
pub(super) fn linear_input_backward<B: Backend>(
    weight: FloatTensor<B>,
    grad: FloatTensor<B>,
) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    let [k, n] = weight.shape().dims::<2>();
    let (rows, _, shape) = rows_of(&grad.shape(), k);
    let out = on_buffers!(B, [&grad, &weight], shape, |b| product(
        Matrix::row_major(b[0], rows, n),
        Matrix::row_major(b[1], k, n).t(),
        None,
    ));
    out.unwrap_or_else(|| B::linear_x_backward(weight, grad))
}

/// `dW = xᵀ · dy` over every leading position: `[K, N]`.
pub(super) fn linear_weight_backward<B: Backend>(
    x: FloatTensor<B>,
    grad: FloatTensor<B>,
) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    let n = last(&grad.shape());
    let (rows, k, _) = rows_of(&x.shape(), n);
    let out = on_buffers!(B, [&x, &grad], Shape::new([k, n]), |b| product(
        Matrix::row_major(b[0], rows, k).t(),
        Matrix::row_major(b[1], rows, n),
        None,
    ));
    out.unwrap_or_else(|| B::linear_weight_backward(x, grad))
}

/// `db = Σ dy` over every leading position: `[N]`.
pub(super) fn linear_bias_backward<B: Backend>(grad: FloatTensor<B>) -> FloatTensor<B>
where
    FloatTensor<B>: CpuTensor,
{
    let n = last(&grad.shape());
    let out = on_buffers!(B, [&grad], Shape::new([n]), |b| column_sums(b[0], n));
    out.unwrap_or_else(|| B::linear_bias_backward(grad))
}
