//! Maxout (Goodfellow et al. 2013): the max over groups of `k` linear pieces.
//!
//! Two forms:
//! - [`Maxout`]: parameter-free, the max over consecutive groups of `k` along a dimension
//!   (`[..., units·k, ...] → [..., units, ...]`), for use after any layer;
//! - [`MaxoutLinear`]: a learnable affine map to `units · k` pieces followed by that max, the
//!   layer of the paper (as [`super::glu::GatedLinear`] is the GLU's layer).
//!
//! **Ties:** the gradient goes to exactly one piece of each group, the one with the lowest index
//! (as PyTorch's `max(dim)` does on the CPU); a NaN in a group wins over every number and the
//! first NaN is the one selected.

use crate::error::ActivationError;
use crate::info::{ActivationInfo, Saturation};
use crate::ops::shapes::resolve_dim;
use crate::registry::Entry;
use burn::config::Config;
use burn::module::Module;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor};

/// Configuration of [`Maxout`].
#[derive(Config, Debug, PartialEq)]
pub struct MaxoutConfig {
    /// Pieces per unit.
    #[config(default = 2)]
    pub k: usize,
    /// The dimension holding the pieces; negative counts from the end.
    #[config(default = -1)]
    pub dim: isize,
}

impl MaxoutConfig {
    /// Builds the module; `k` must be at least 1.
    pub fn init(&self) -> Result<Maxout, ActivationError> {
        check_k(self.k)?;
        Ok(Maxout {
            k: self.k,
            dim: self.dim,
        })
    }
}

fn check_k(k: usize) -> Result<(), ActivationError> {
    if k == 0 {
        return Err(ActivationError::InvalidParameter {
            activation: "maxout",
            param: "k",
            value: "0".into(),
            requirement: "must be at least 1 (the number of linear pieces per unit)",
        });
    }
    Ok(())
}

/// The max over consecutive groups of `k` elements along `dim`: element `u` of the output is the
/// max of input elements `u·k .. u·k + k`.
#[derive(Module, Debug)]
pub struct Maxout {
    /// Pieces per unit.
    pub k: usize,
    /// The dimension holding the pieces.
    pub dim: isize,
}

impl Maxout {
    /// The output size of `dim` for an input of size `size`, or the error if `size` is not a
    /// multiple of `k`.
    pub fn output_size(&self, size: usize) -> Result<usize, ActivationError> {
        if !size.is_multiple_of(self.k) || size == 0 {
            return Err(ActivationError::IndivisibleDimension {
                activation: "maxout",
                dim: self.dim.unsigned_abs(),
                size,
                multiple: self.k,
            });
        }
        Ok(size / self.k)
    }

    /// Applies the group max, or says why the input's shape does not allow it.
    pub fn try_forward<const D: usize>(
        &self,
        input: Tensor<D>,
    ) -> Result<Tensor<D>, ActivationError> {
        let dim = resolve_dim("maxout", self.dim, D)?;
        self.output_size(input.dims()[dim])?;
        match crate::ops::grouped::maxout(input.clone(), self.k, dim) {
            Some(fused) => Ok(fused),
            None => Ok(group_max_composed(input, self.k, dim)),
        }
    }

    /// Applies the group max.
    ///
    /// # Panics
    /// If the size of `dim` is not a multiple of `k` (see [`Self::try_forward`]).
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        self.try_forward(input).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// The group max composed of tensor ops (gather at the winning index), for backends without the
/// single-pass kernel.
fn group_max_composed<const D: usize>(input: Tensor<D>, k: usize, dim: usize) -> Tensor<D> {
    let dims = input.dims();
    let units = dims[dim] / k;
    let outer: usize = dims[..dim].iter().product();
    let inner: usize = dims[dim + 1..].iter().product();
    let pieces = input.reshape([outer * units, k, inner]);
    let index = first_max_index(pieces.clone().detach(), k);
    let mut out_dims = dims;
    out_dims[dim] = units;
    pieces.gather(1, index).reshape(out_dims)
}

/// `[rows, k, inner] → [rows, 1, inner]`: the index of the first NaN if a group has one, else of the
/// first maximum.
fn first_max_index(values: Tensor<3>, k: usize) -> Tensor<3, Int> {
    let device = values.device();
    let max = values.clone().max_dim(1).expand(values.dims());
    let position = Tensor::<1, Int>::arange(0..k as i64, &device)
        .reshape([1, k, 1])
        .expand(values.dims());
    let k = k as i64;
    // key: NaN positions first (0..k), then maxima (k..2k), others last (3k)
    let key = Tensor::<3, Int>::full(values.dims(), 3 * k, &device)
        .mask_where(values.clone().equal(max), position.clone() + k)
        .mask_where(values.is_nan(), position);
    key.min_dim(1).remainder_scalar(k)
}

/// Configuration of the [`MaxoutLinear`] layer.
#[derive(Config, Debug)]
pub struct MaxoutLinearConfig {
    /// Input features.
    pub d_input: usize,
    /// Output units.
    pub units: usize,
    /// Linear pieces per unit.
    #[config(default = 2)]
    pub k: usize,
    /// Whether each piece has a bias.
    #[config(default = true)]
    pub bias: bool,
    /// Initializer of the pieces' weights (Burn's `Linear` default).
    #[config(
        default = "Initializer::KaimingUniform{gain:0.577_350_269_189_625_8, fan_out_only:false}"
    )]
    pub initializer: Initializer,
}

impl MaxoutLinearConfig {
    /// Builds the layer on `device`.
    pub fn init(&self, device: &Device) -> Result<MaxoutLinear, ActivationError> {
        check_k(self.k)?;
        for (param, value) in [("d_input", self.d_input), ("units", self.units)] {
            if value == 0 {
                return Err(ActivationError::InvalidParameter {
                    activation: "maxout",
                    param,
                    value: "0".into(),
                    requirement: "must be at least 1",
                });
            }
        }
        Ok(MaxoutLinear {
            pieces: LinearConfig::new(self.d_input, self.units * self.k)
                .with_bias(self.bias)
                .with_initializer(self.initializer.clone())
                .init(device),
            groups: Maxout { k: self.k, dim: -1 },
        })
    }
}

/// Maxout layer: `h_u(x) = max_{j<k} (W_{u,j} x + b_{u,j})`, a learnable convex piecewise-linear
/// function per unit. With `k = 2` it can represent ReLU (`max(wx, 0)`) and |x| exactly.
///
/// The pieces of unit `u` are outputs `u·k .. u·k + k` of one `Linear(d_input, units·k)`.
#[derive(Module, Debug)]
pub struct MaxoutLinear {
    /// All pieces of all units, as one linear map.
    pub pieces: Linear,
    /// The max over each unit's pieces.
    pub groups: Maxout,
}

impl MaxoutLinear {
    /// # Shapes
    /// - input: `[..., d_input]`
    /// - output: `[..., units]`
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        self.groups.forward(self.pieces.forward(input))
    }
}

/// Catalog entry of the parameter-free group max.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "maxout",
    title: "Maxout",
    formula: "max over each group of k consecutive inputs",
    derivative: "1 for the winning piece (lowest index on ties), 0 for the others",
    range: "(-inf, inf)",
    zero_centred: false,
    saturation: Saturation::None,
    monotone: true,
    smooth: false,
    learnable: &["the pieces' weights (MaxoutLinear layer)"],
    problems: &[
        "k times the parameters of a linear layer",
        "divides the width by k",
    ],
    pytorch: "x.unflatten(-1, (-1, k)).amax(-1)",
    reference: "Goodfellow et al. 2013",
};

impl Entry for Maxout {
    const INFO: ActivationInfo = INFO;
    const PARAMS: &'static [&'static str] = &["k", "dim"];
}

super::device_free_entry!(MaxoutConfig => Maxout, |config, params| {
    // k is always printed: "maxout(k=3)" says what the layer does to the width
    params.usize("k", &mut config.k, true)?;
    params.isize("dim", &mut config.dim)
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;
    use burn::tensor::TensorData;

    #[test]
    fn ties_send_the_gradient_to_the_first_piece() {
        let device = Device::flex().autodiff();
        let x = Tensor::<2>::from_data(TensorData::from([[3.0f32, 3.0, 1.0, 5.0]]), &device)
            .require_grad();
        let m = MaxoutConfig::new().init().unwrap();
        let y = m.forward(x.clone());
        let grads = y.clone().sum().backward();
        assert_close(&to_vec(y.flatten(0, 1)), &[3.0, 5.0]);
        assert_close(
            &to_vec(x.grad(&grads).unwrap().flatten(0, 1)),
            &[1.0, 0.0, 0.0, 1.0],
        );
    }

    /// The single-pass kernel (flex, ndarray) against the composed gather on the same backend:
    /// values and gradients, for every split dimension, with ties, NaN and infinities.
    #[test]
    #[cfg(all(feature = "flex", feature = "ndarray"))] // the CPU kernels
    fn single_pass_kernel_matches_the_composed_op() {
        let values = [
            1.0f32,
            3.0,
            3.0,
            -2.0,
            f32::NAN,
            0.5,
            f32::INFINITY,
            -0.0,
            0.0,
        ];
        let xs: Vec<f32> = (0..4 * 6 * 3)
            .map(|i| values[(i * 7 + i / 5) % values.len()] + (i % 3) as f32)
            .collect();
        let upstream: Vec<f32> = (0..4 * 6 * 3).map(|i| 1.0 + i as f32).collect();
        #[allow(deprecated)]
        for device in [Device::flex(), Device::ndarray()] {
            let device = device.autodiff();
            for (k, dim) in [(2, 0), (3, 1), (2, 1), (6, 1), (3, 2), (1, 2)] {
                let x = Tensor::<3>::from_data(TensorData::new(xs.clone(), [4, 6, 3]), &device);
                let mut out = [4, 6, 3];
                out[dim] /= k;
                let n = out.iter().product::<usize>();
                let up =
                    Tensor::<3>::from_data(TensorData::new(upstream[..n].to_vec(), out), &device);
                let run = |fused: bool| {
                    let x = x.clone().require_grad();
                    let y = if fused {
                        crate::ops::grouped::maxout(x.clone(), k, dim).expect("a CPU backend")
                    } else {
                        group_max_composed(x.clone(), k, dim)
                    };
                    let grads = (y.clone() * up.clone()).sum().backward();
                    (
                        to_vec(y.flatten(0, 2)),
                        to_vec(x.grad(&grads).unwrap().flatten(0, 2)),
                    )
                };
                let (fused, composed) = (run(true), run(false));
                let same = |a: &[f32], b: &[f32]| {
                    a.iter()
                        .zip(b)
                        .all(|(p, q)| p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()))
                };
                assert!(
                    same(&fused.0, &composed.0),
                    "k={k} dim={dim} values {:?} vs {:?}",
                    fused.0,
                    composed.0
                );
                assert!(
                    same(&fused.1, &composed.1),
                    "k={k} dim={dim} grads {:?} vs {:?}",
                    fused.1,
                    composed.1
                );
            }
        }
    }

    /// Large enough that the backward splits its output over threads in chunks that start inside
    /// a group.
    #[test]
    #[cfg(all(feature = "flex", feature = "ndarray"))] // the CPU kernels
    fn threads_split_groups_without_changing_the_result() {
        let device = Device::flex().autodiff();
        // groups of 12,000 outgrow the 8,192-element chunks: some chunks hold no group start
        for (k, groups) in [(3, 20_011), (5, 20_011), (1_000, 70), (12_000, 3)] {
            let n = k * groups;
            let xs: Vec<f32> = (0..n).map(|i| ((i * 7919) % 113) as f32).collect();
            let run = |fused: bool| {
                let x = Tensor::<2>::from_data(TensorData::new(xs.clone(), [1, n]), &device)
                    .require_grad();
                let y = if fused {
                    crate::ops::grouped::maxout(x.clone(), k, 1).expect("a CPU backend")
                } else {
                    group_max_composed(x.clone(), k, 1)
                };
                let weights: Vec<f32> = (0..n / k).map(|i| i as f32).collect();
                let weights = Tensor::<2>::from_data(TensorData::new(weights, [1, n / k]), &device);
                let grads = (y.clone() * weights).sum().backward();
                (
                    to_vec(y.flatten(0, 1)),
                    to_vec(x.grad(&grads).unwrap().flatten(0, 1)),
                )
            };
            assert!(run(true) == run(false), "k = {k}");
        }
    }

    #[test]
    fn nan_wins_its_group() {
        let x = Tensor::<1>::from_data(
            TensorData::from([1.0f32, f32::NAN, 2.0, 0.0]),
            &Device::flex(),
        );
        let y = to_vec(MaxoutConfig::new().init().unwrap().forward(x));
        assert!(y[0].is_nan() && y[1] == 2.0, "{y:?}");
    }

    #[test]
    fn layer_with_two_pieces_is_the_absolute_value() {
        let device = Device::flex();
        let mut layer = MaxoutLinearConfig::new(1, 1).init(&device).unwrap();
        // pieces x and -x: max(x, -x) = |x|
        layer.pieces.weight = burn::module::Param::from_tensor(Tensor::<2>::from_data(
            TensorData::from([[1.0f32, -1.0]]),
            &device,
        ));
        layer.pieces.bias = Some(burn::module::Param::from_tensor(Tensor::<1>::zeros(
            [2],
            &device,
        )));
        let x = Tensor::<2>::from_data(TensorData::from([[-2.0f32], [0.5], [3.0]]), &device);
        assert_close(&to_vec(layer.forward(x).flatten(0, 1)), &[2.0, 0.5, 3.0]);
    }

    #[test]
    fn indivisible_width_is_a_typed_error() {
        let m = MaxoutConfig::new().with_k(3).init().unwrap();
        let x = Tensor::<2>::zeros([2, 4], &Device::flex());
        let err = m.try_forward(x).unwrap_err();
        assert!(err.to_string().contains("multiple of 3"), "{err}");
        assert!(MaxoutConfig::new().with_k(0).init().is_err());
    }
}
