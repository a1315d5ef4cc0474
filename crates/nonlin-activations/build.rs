//! Three cfgs from the backend features, so the sources say what they mean: `cpu_kernels` (flex
//! or ndarray: the single-pass kernels), `cube_backend` (a CubeCL runtime: the custom op with its
//! hand-written backward on `burn::backend::Cube`) and `custom_ops` (either: the custom ops exist).

fn main() {
    for cfg in ["cpu_kernels", "cube_backend", "custom_ops"] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
    }
    let on = |feature: &str| std::env::var_os(format!("CARGO_FEATURE_{feature}")).is_some();
    let cpu = on("FLEX") || on("NDARRAY");
    let cube = ["WGPU", "VULKAN", "METAL", "CUDA", "ROCM"]
        .into_iter()
        .any(on);
    let cfgs = [
        ("cpu_kernels", cpu),
        ("cube_backend", cube),
        ("custom_ops", cpu || cube),
    ];
    for (cfg, _) in cfgs.iter().filter(|(_, set)| *set) {
        println!("cargo::rustc-cfg={cfg}");
    }
}
