//! Uses the crate the way a project does: parse and check specs, build a module on the default
//! device, and ask whether that device takes the crate's hand-written backward.

use burn::tensor::{Device, Tensor};
use nonlin_activations::{ActivationConfig, has_hand_written_backward};

fn main() {
    let device = Device::default();
    for spec in ["gelu", "swish(beta=learnable)", "glu(gate=gelu_tanh)", "maxout(k=3)"] {
        let config: ActivationConfig = spec.parse().expect("a catalog spec");
        config.validate().expect("valid parameters");
        println!("{}", config.spec());
    }
    let gelu = ActivationConfig::Gelu.init(&device).expect("gelu builds");
    let y = gelu.forward(Tensor::<1>::from_floats([-1.0, 0.0, 1.0], &device));
    println!("{y} (hand-written backward: {})", has_hand_written_backward(&device));
}
