//! # nonlin-backend
//!
//! Run-time backend selection shared by every nonlin crate and the CLI: `ndarray`, `flex`, `wgpu`
//! or `auto`, from a flag or the `NONLIN_BACKEND` environment variable, with autodiff on demand.
//!
//! wgpu is probed once per process (`Device::wgpu_options().init()`); without an adapter the
//! selection fails with an error that names the fix, instead of a panic at the first tensor op.
//! `auto` takes a real GPU adapter when there is one and the faster CPU backend otherwise; a
//! software adapter (lavapipe, llvmpipe) is never chosen by `auto`.

use burn::tensor::Device;
use core::fmt;
use core::str::FromStr;
use std::sync::OnceLock;

/// The environment variable that selects the backend when no flag does.
pub const BACKEND_ENV: &str = "NONLIN_BACKEND";
/// Set to `1` to make tests fail, instead of skipping wgpu, when no wgpu adapter is available.
pub const REQUIRE_WGPU_ENV: &str = "NONLIN_REQUIRE_WGPU";

/// A backend as the user names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Burn's ndarray CPU backend.
    Ndarray,
    /// Burn's flex CPU backend (pure Rust).
    Flex,
    /// wgpu: Vulkan, Metal, DX12 or WebGPU through CubeCL.
    Wgpu,
    /// A real GPU through wgpu if there is one, else the faster CPU backend.
    Auto,
}

impl BackendKind {
    /// All kinds, in the order the CLI lists them.
    pub const ALL: [BackendKind; 4] = [Self::Ndarray, Self::Flex, Self::Wgpu, Self::Auto];
    /// The CPU backend `auto` falls back to: flex trained faster than ndarray in every row of
    /// `nonlin bench train` (README, Performance).
    pub const FASTEST_CPU: BackendKind = BackendKind::Flex;

    /// The name used by flags and `NONLIN_BACKEND`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ndarray => "ndarray",
            Self::Flex => "flex",
            Self::Wgpu => "wgpu",
            Self::Auto => "auto",
        }
    }

    /// The kind named by `NONLIN_BACKEND`, or `default` when the variable is unset or empty.
    pub fn from_env_or(default: BackendKind) -> Result<BackendKind, BackendError> {
        match std::env::var(BACKEND_ENV) {
            Ok(v) if !v.trim().is_empty() => v.parse().map_err(|e| match e {
                BackendError::UnknownBackend { given, .. } => BackendError::UnknownBackend {
                    given: format!("{given} (from {BACKEND_ENV})"),
                },
                other => other,
            }),
            _ => Ok(default),
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BackendKind {
    type Err = BackendError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|k| k.name() == wanted)
            .ok_or_else(|| BackendError::UnknownBackend {
                given: s.to_string(),
            })
    }
}

/// What can go wrong when choosing a backend.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// A name that is not a backend.
    #[error("unknown backend `{given}`: choose one of ndarray, flex, wgpu, auto")]
    UnknownBackend {
        /// The name as given.
        given: String,
    },
    /// wgpu was asked for and no adapter could be initialised.
    #[error(
        "wgpu has no usable adapter ({reason}). Install a Vulkan driver (Debian/Ubuntu: \
         `apt-get install -y mesa-vulkan-drivers` gives the lavapipe software driver), or pick a \
         CPU backend: --backend flex (or NONLIN_BACKEND=flex)"
    )]
    WgpuUnavailable {
        /// What wgpu reported.
        reason: String,
    },
}

/// The wgpu adapter found by the probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adapter {
    /// The adapter's name, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub name: String,
    /// The graphics API, e.g. `Vulkan`.
    pub api: String,
    /// `DiscreteGpu`, `IntegratedGpu`, `Cpu`, …
    pub device_type: String,
    /// A CPU rasteriser such as lavapipe: correct, slow, never picked by `auto`.
    pub software: bool,
}

struct WgpuProbe {
    device: Device,
    adapter: Adapter,
}

/// The one wgpu initialisation of this process: a second `init()` would fail.
fn probe_wgpu() -> Result<&'static WgpuProbe, BackendError> {
    static PROBE: OnceLock<Result<WgpuProbe, BackendError>> = OnceLock::new();
    PROBE
        .get_or_init(|| {
            let (device, setup) = Device::wgpu_options().init_with_setup().map_err(|e| {
                BackendError::WgpuUnavailable {
                    reason: e.to_string(),
                }
            })?;
            let info = setup.adapter.get_info();
            let adapter = Adapter {
                name: info.name.clone(),
                api: format!("{:?}", info.backend),
                device_type: format!("{:?}", info.device_type),
                software: info.device_type == burn::tensor::wgpu::wgpu::DeviceType::Cpu,
            };
            Ok(WgpuProbe { device, adapter })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// A backend ready to use: its device, without autodiff (call [`Backend::autodiff`] for training).
#[derive(Debug, Clone)]
pub struct Backend {
    /// The concrete backend (`auto` resolved).
    pub kind: BackendKind,
    /// The device, without autodiff.
    pub device: Device,
    /// The wgpu adapter, for wgpu.
    pub adapter: Option<Adapter>,
}

impl Backend {
    /// Resolves `kind` to a device. `wgpu` without an adapter is an error naming the fix.
    pub fn select(kind: BackendKind) -> Result<Backend, BackendError> {
        match kind {
            BackendKind::Ndarray => Ok(Self::cpu(kind, ndarray_device())),
            BackendKind::Flex => Ok(Self::cpu(kind, Device::flex())),
            BackendKind::Wgpu => probe_wgpu().map(|p| Backend {
                kind,
                device: p.device.clone(),
                adapter: Some(p.adapter.clone()),
            }),
            BackendKind::Auto => match probe_wgpu() {
                Ok(p) if !p.adapter.software => Self::select(BackendKind::Wgpu),
                _ => Self::select(BackendKind::FASTEST_CPU),
            },
        }
    }

    fn cpu(kind: BackendKind, device: Device) -> Backend {
        Backend {
            kind,
            device,
            adapter: None,
        }
    }

    /// The same device with autodiff, for training and gradients.
    pub fn autodiff(&self) -> Device {
        self.device.clone().autodiff()
    }

    /// One line for logs: `wgpu (llvmpipe …, Vulkan, software)` or `flex`.
    pub fn describe(&self) -> String {
        match &self.adapter {
            Some(a) => format!(
                "{} ({}, {}, {})",
                self.kind,
                a.name,
                a.api,
                if a.software { "software" } else { "hardware" }
            ),
            None => self.kind.to_string(),
        }
    }
}

#[allow(deprecated)]
fn ndarray_device() -> Device {
    Device::ndarray()
}

/// The backends that tests should cover: ndarray and flex always, and wgpu when an adapter exists.
///
/// Without an adapter, wgpu is skipped with a message on stderr, unless `NONLIN_REQUIRE_WGPU=1`
/// (as CI sets it), in which case this panics so the test fails.
pub fn test_backends() -> Vec<Backend> {
    let mut backends = vec![
        Backend::select(BackendKind::Ndarray).expect("ndarray is always available"),
        Backend::select(BackendKind::Flex).expect("flex is always available"),
    ];
    match Backend::select(BackendKind::Wgpu) {
        Ok(wgpu) => backends.push(wgpu),
        Err(e) if std::env::var(REQUIRE_WGPU_ENV).is_ok_and(|v| v == "1") => {
            panic!("{REQUIRE_WGPU_ENV}=1 but {e}")
        }
        Err(e) => {
            // Written to the stderr handle, not with eprintln!, so the test harness does not
            // capture it: a local run says plainly that wgpu was not tested.
            static WARNED: OnceLock<()> = OnceLock::new();
            WARNED.get_or_init(|| {
                use std::io::Write;
                let _ = writeln!(std::io::stderr(), "note: wgpu tests SKIPPED: {e}");
            });
        }
    }
    backends
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print() {
        for kind in BackendKind::ALL {
            assert_eq!(kind.name().parse::<BackendKind>().unwrap(), kind);
        }
        assert_eq!(" FLEX ".parse::<BackendKind>().unwrap(), BackendKind::Flex);
        let err = "cuda".parse::<BackendKind>().unwrap_err().to_string();
        assert!(err.contains("ndarray, flex, wgpu, auto"), "{err}");
    }

    #[test]
    fn auto_never_picks_a_software_adapter() {
        let auto = Backend::select(BackendKind::Auto).unwrap();
        match Backend::select(BackendKind::Wgpu) {
            Ok(wgpu) if !wgpu.adapter.as_ref().unwrap().software => {
                assert_eq!(auto.kind, BackendKind::Wgpu)
            }
            _ => assert_eq!(auto.kind, BackendKind::FASTEST_CPU),
        }
    }

    #[test]
    fn cpu_backends_compute() {
        for kind in [BackendKind::Ndarray, BackendKind::Flex] {
            let backend = Backend::select(kind).unwrap();
            let x = burn::tensor::Tensor::<1>::ones([3], &backend.autodiff());
            assert_eq!(x.sum().into_scalar::<f32>(), 3.0);
        }
    }
}
