//! Conversions between nonlin's [`ActivationConfig`] and Burn's `burn::nn::ActivationConfig`.
//!
//! From Burn: every variant maps to the same function, except Burn's `SwiGlu` (a projection layer:
//! use [`GatedLinearConfig::from`](crate::activations::glu::GatedLinearConfig)) and `Shrink` with a bias other
//! than 0 or λ. Note that the nonlin version follows PyTorch's conventions where Burn's built-ins
//! differ (gradients at kinks, HardSigmoid's default, NaN-free ELU/SELU).
//!
//! To Burn: only where Burn has the function; the others are an error naming the activation.

use crate::activations::*;
use crate::error::ActivationError;
use crate::registry::ActivationConfig;
use burn::nn::activation::ActivationConfig as BurnConfig;

impl TryFrom<BurnConfig> for ActivationConfig {
    type Error = ActivationError;

    fn try_from(burn: BurnConfig) -> Result<Self, Self::Error> {
        use ActivationConfig as C;
        Ok(match burn {
            BurnConfig::Identity => C::Identity,
            BurnConfig::Gelu => C::Gelu,
            BurnConfig::GeluApproximate => C::GeluTanh,
            BurnConfig::PRelu(c) => C::PRelu(
                prelu::PReluConfig::new()
                    .with_num_parameters(c.num_parameters)
                    .with_alpha(c.alpha),
            ),
            BurnConfig::Relu => C::Relu,
            BurnConfig::LeakyRelu(c) => C::LeakyRelu(
                leaky_relu::LeakyReluConfig::new().with_negative_slope(c.negative_slope),
            ),
            BurnConfig::SwiGlu(_) => {
                return Err(ActivationError::NoCounterpart(
                    "Burn's SwiGlu is a layer with two projections, not an element-wise activation; \
                     convert it with nonlin_activations::GatedLinearConfig::from(swiglu_config)"
                        .into(),
                ));
            }
            BurnConfig::Selu => C::Selu,
            BurnConfig::Sigmoid => C::Sigmoid,
            BurnConfig::Tanh => C::Tanh,
            BurnConfig::HardSigmoid(c) => {
                // clamp(αx + β, 0, 1) rises from x = -β/α to x = (1 - β)/α
                if c.alpha.is_nan() || c.alpha <= 0.0 {
                    return Err(ActivationError::NoCounterpart(format!(
                        "Burn HardSigmoid with alpha = {} is not increasing; nonlin's HardSigmoid needs alpha > 0",
                        c.alpha
                    )));
                }
                C::HardSigmoid(
                    hard_sigmoid::HardSigmoidConfig::new()
                        .with_lower(-c.beta / c.alpha)
                        .with_upper((1.0 - c.beta) / c.alpha),
                )
            }
            BurnConfig::HardSwish => C::HardSwish,
            BurnConfig::Softplus(c) => C::Softplus(
                softplus::SoftplusConfig::new()
                    .with_beta(c.beta)
                    .with_threshold(c.threshold),
            ),
            BurnConfig::Softsign => C::Softsign,
            BurnConfig::Elu(c) => C::Elu(elu::EluConfig::new().with_alpha(c.alpha)),
            BurnConfig::Celu(c) => C::Celu(celu::CeluConfig::new().with_alpha(c.alpha)),
            BurnConfig::ThresholdedRelu(c) => {
                C::Threshold(threshold::ThresholdConfig::new(c.alpha, 0.0))
            }
            BurnConfig::HardShrink(c) => {
                C::HardShrink(hard_shrink::HardShrinkConfig::new().with_lambd(c.lambda))
            }
            BurnConfig::SoftShrink(c) => {
                C::SoftShrink(soft_shrink::SoftShrinkConfig::new().with_lambd(c.lambda))
            }
            BurnConfig::Shrink(c) if c.bias == c.lambda => {
                C::SoftShrink(soft_shrink::SoftShrinkConfig::new().with_lambd(c.lambda))
            }
            BurnConfig::Shrink(c) if c.bias == 0.0 => {
                C::HardShrink(hard_shrink::HardShrinkConfig::new().with_lambd(c.lambda))
            }
            BurnConfig::Shrink(c) => {
                return Err(ActivationError::NoCounterpart(format!(
                    "Burn Shrink(lambda = {}, bias = {}) has no nonlin counterpart: only bias = 0 \
                     (hardshrink) and bias = lambda (softshrink)",
                    c.lambda, c.bias
                )));
            }
            // burn::nn::ActivationConfig is non-exhaustive: a variant added after 0.22.1
            other => {
                return Err(ActivationError::NoCounterpart(format!(
                    "Burn activation {other} is newer than nonlin knows"
                )));
            }
        })
    }
}

impl TryFrom<&ActivationConfig> for BurnConfig {
    type Error = ActivationError;

    fn try_from(config: &ActivationConfig) -> Result<Self, Self::Error> {
        use ActivationConfig as C;
        use burn::nn::activation as nn;
        Ok(match config {
            C::Identity => BurnConfig::Identity,
            C::Relu => BurnConfig::Relu,
            C::Gelu => BurnConfig::Gelu,
            C::GeluTanh => BurnConfig::GeluApproximate,
            C::Selu => BurnConfig::Selu,
            C::Sigmoid => BurnConfig::Sigmoid,
            C::Tanh => BurnConfig::Tanh,
            C::HardSwish => BurnConfig::HardSwish,
            C::Softsign => BurnConfig::Softsign,
            C::LeakyRelu(c) => BurnConfig::LeakyRelu(
                nn::LeakyReluConfig::new().with_negative_slope(c.negative_slope),
            ),
            C::PRelu(c) => BurnConfig::PRelu(
                nn::PReluConfig::new()
                    .with_num_parameters(c.num_parameters)
                    .with_alpha(c.alpha),
            ),
            C::HardSigmoid(c) => {
                let width = c.upper - c.lower;
                BurnConfig::HardSigmoid(
                    nn::HardSigmoidConfig::new()
                        .with_alpha(1.0 / width)
                        .with_beta(-c.lower / width),
                )
            }
            C::Softplus(c) => BurnConfig::Softplus(
                nn::SoftplusConfig::new()
                    .with_beta(c.beta)
                    .with_threshold(c.threshold),
            ),
            C::Elu(c) => BurnConfig::Elu(nn::EluConfig::new().with_alpha(c.alpha)),
            C::Celu(c) => BurnConfig::Celu(nn::CeluConfig::new().with_alpha(c.alpha)),
            C::Threshold(c) if c.value == 0.0 => BurnConfig::ThresholdedRelu(
                nn::ThresholdedReluConfig::new().with_alpha(c.threshold),
            ),
            C::HardShrink(c) => {
                BurnConfig::HardShrink(nn::HardShrinkConfig::new().with_lambda(c.lambd))
            }
            C::SoftShrink(c) => {
                BurnConfig::SoftShrink(nn::SoftShrinkConfig::new().with_lambda(c.lambd))
            }
            other => {
                return Err(ActivationError::NoCounterpart(format!(
                    "burn::nn::ActivationConfig has no counterpart of `{}`",
                    other.spec()
                )));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burn_variants_convert_and_back() {
        for burn in [
            BurnConfig::Relu,
            BurnConfig::Gelu,
            BurnConfig::GeluApproximate,
            BurnConfig::Tanh,
            BurnConfig::LeakyRelu(
                burn::nn::activation::LeakyReluConfig::new().with_negative_slope(0.3),
            ),
            BurnConfig::Elu(burn::nn::activation::EluConfig::new().with_alpha(2.0)),
            BurnConfig::Softplus(burn::nn::activation::SoftplusConfig::new().with_beta(2.0)),
        ] {
            let ours = ActivationConfig::try_from(burn.clone()).unwrap();
            let back = BurnConfig::try_from(&ours).unwrap();
            assert_eq!(format!("{back}"), format!("{burn}"));
        }
    }

    #[test]
    fn burn_hard_sigmoid_keeps_its_slope() {
        let ours = ActivationConfig::try_from(BurnConfig::HardSigmoid(
            burn::nn::activation::HardSigmoidConfig::new(),
        ))
        .unwrap();
        assert_eq!(ours.spec(), "hard_sigmoid(lower=-2.5, upper=2.5)");
    }

    #[test]
    fn missing_counterparts_are_errors() {
        assert!(
            BurnConfig::try_from(&ActivationConfig::Mish)
                .unwrap_err()
                .to_string()
                .contains("mish")
        );
        let swiglu = BurnConfig::SwiGlu(burn::nn::activation::SwiGluConfig::new(4, 8));
        assert!(
            ActivationConfig::try_from(swiglu)
                .unwrap_err()
                .to_string()
                .contains("GatedLinearConfig")
        );
    }
}
