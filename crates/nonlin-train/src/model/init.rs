//! Weight initialisation of hidden layers.

use burn::module::Param;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// How hidden-layer weights start.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Init {
    /// PyTorch's (and Burn's) `Linear` default: uniform in ±1/√fan_in, bias likewise.
    #[default]
    Pytorch,
    /// He et al. 2015: normal with std √2/√fan_in, for ReLU-like units.
    Kaiming,
    /// Glorot & Bengio 2010: uniform with variance 2/(fan_in + fan_out), for tanh and sigmoid.
    Xavier,
    /// Normal with mean 0 and this standard deviation.
    Normal(f64),
}

impl Init {
    /// A `Linear(inputs, outputs)` initialised this way, with a constant bias if `bias` is set.
    pub fn linear(
        self,
        inputs: usize,
        outputs: usize,
        bias: Option<f64>,
        device: &Device,
    ) -> Linear {
        let config = LinearConfig::new(inputs, outputs);
        let config = match self {
            Init::Pytorch => config,
            Init::Kaiming => config.with_initializer(Initializer::KaimingNormal {
                gain: core::f64::consts::SQRT_2,
                fan_out_only: false,
            }),
            Init::Xavier => config.with_initializer(Initializer::XavierUniform { gain: 1.0 }),
            Init::Normal(std) => config.with_initializer(Initializer::Normal { mean: 0.0, std }),
        };
        let mut linear = config.init(device);
        if let Some(value) = bias {
            linear.bias = Some(Param::from_tensor(Tensor::full([outputs], value, device)));
        }
        linear
    }
}

impl fmt::Display for Init {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Init::Pytorch => f.write_str("pytorch"),
            Init::Kaiming => f.write_str("kaiming"),
            Init::Xavier => f.write_str("xavier"),
            Init::Normal(std) => write!(f, "normal({std})"),
        }
    }
}

impl FromStr for Init {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        let std = s.strip_prefix("normal(").and_then(|r| r.strip_suffix(')'));
        match (s.as_str(), std) {
            ("pytorch" | "default", _) => Ok(Init::Pytorch),
            ("kaiming" | "he", _) => Ok(Init::Kaiming),
            ("xavier" | "glorot", _) => Ok(Init::Xavier),
            (_, Some(std)) => match std.trim_start_matches("std=").parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 => Ok(Init::Normal(v)),
                _ => Err(format!(
                    "init `{s}`: the standard deviation must be a positive number"
                )),
            },
            _ => Err(format!(
                "unknown init `{s}`: choose pytorch, kaiming, xavier or normal(<std>)"
            )),
        }
    }
}

impl Serialize for Init {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Init {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_ones_fail() {
        for init in [
            Init::Pytorch,
            Init::Kaiming,
            Init::Xavier,
            Init::Normal(0.01),
        ] {
            assert_eq!(init.to_string().parse::<Init>().unwrap(), init);
        }
        assert!("normal(-1)".parse::<Init>().is_err());
        assert!(
            "lecun"
                .parse::<Init>()
                .unwrap_err()
                .contains("choose pytorch")
        );
    }

    #[test]
    fn kaiming_has_he_variance_and_bias_is_set() {
        let device = Device::flex();
        device.seed(0);
        let linear = Init::Kaiming.linear(400, 300, Some(0.1), &device);
        let w = linear.weight.val();
        let var: f32 = w.clone().square().mean().into_scalar();
        assert!(
            (var - 2.0 / 400.0).abs() < 0.1 * 2.0 / 400.0,
            "variance {var}"
        );
        let bias: Vec<f32> = linear
            .bias
            .unwrap()
            .val()
            .into_data()
            .try_into_vec()
            .unwrap();
        assert!(bias.iter().all(|&b| b == 0.1));
    }
}
