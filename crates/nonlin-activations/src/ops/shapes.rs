//! Shape checks the modules share: a dimension index counted from either end, and per-channel
//! parameters broadcast to the input's shape.

use crate::error::ActivationError;
use burn::tensor::Tensor;

/// A dimension index, negative counting from the end, checked against the rank.
pub(crate) fn resolve_dim(
    activation: &'static str,
    dim: isize,
    rank: usize,
) -> Result<usize, ActivationError> {
    let resolved = if dim < 0 { rank as isize + dim } else { dim };
    if resolved < 0 || resolved >= rank as isize {
        return Err(ActivationError::DimensionOutOfRange {
            activation,
            dim,
            rank,
        });
    }
    Ok(resolved as usize)
}

/// Expands per-channel parameters `[C]` to the shape of `input`: `C = 1` is shared by all elements,
/// otherwise the channel is dimension 1 (dimension 0 for 1-D inputs). The expansion's backward sums
/// each parameter's gradient over the elements that share it.
pub(crate) fn broadcast_channels<const D: usize>(
    activation: &'static str,
    param: Tensor<1>,
    input: &Tensor<D>,
) -> Result<Tensor<D>, ActivationError> {
    let [channels] = param.dims();
    let dims = input.dims();
    let mut shape = [1usize; D];
    if channels > 1 {
        let dim = if D == 1 { 0 } else { 1 };
        if dims[dim] != channels {
            return Err(ActivationError::ChannelMismatch {
                activation,
                channels,
                dim,
                size: dims[dim],
                shape: dims.to_vec(),
            });
        }
        shape[dim] = channels;
    }
    Ok(param.reshape(shape).expand(dims))
}
