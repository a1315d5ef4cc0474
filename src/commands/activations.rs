//! `nonlin activations` and `nonlin backends`.

use crate::Format;
use crate::table::{print_table, yes_no};
use anyhow::{Context, Result, bail};
use burn::tensor::{Tensor, TensorData};
use nonlin_activations::{ActivationConfig, CATALOG};
use nonlin_backend::{Backend, BackendKind};

pub fn print_catalog(format: Format) -> Result<()> {
    if let Format::Json = format {
        let infos: Vec<_> = CATALOG
            .iter()
            .map(|e| serde_json::json!({ "name": e.name, "aliases": e.aliases, "params": e.params, "info": e.info }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&infos)?);
        return Ok(());
    }
    let header = [
        "name",
        "formula",
        "range",
        "zero-centred",
        "saturates",
        "monotone",
        "smooth",
        "learnable",
    ];
    let rows: Vec<[String; 8]> = CATALOG
        .iter()
        .map(|e| {
            let i = e.info;
            [
                e.name.to_string(),
                i.formula.to_string(),
                i.range.to_string(),
                yes_no(i.zero_centred),
                format!("{:?}", i.saturation).to_lowercase(),
                yes_no(i.monotone),
                yes_no(i.smooth),
                yes_no(!i.learnable.is_empty()),
            ]
        })
        .collect();
    print_table(&header, &rows, matches!(format, Format::Markdown));
    Ok(())
}

pub fn print_activation(spec: &str, format: Format) -> Result<()> {
    let config: ActivationConfig = spec
        .parse()
        .with_context(|| format!("reading activation `{spec}`"))?;
    let entry = config.entry();
    let info = entry.info;
    if let Format::Json = format {
        let json = serde_json::json!({ "spec": config.spec(), "aliases": entry.aliases, "params": entry.params, "info": info });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    println!("{} — {}", config.spec(), info.title);
    println!("  f(x)        {}", info.formula);
    println!("  f'(x)       {}", info.derivative);
    println!("  range       {}", info.range);
    println!(
        "  zero-centred {}, saturates: {:?}, monotone: {}, smooth: {}",
        yes_no(info.zero_centred),
        info.saturation,
        yes_no(info.monotone),
        yes_no(info.smooth)
    );
    if !info.learnable.is_empty() {
        println!("  learnable   {}", info.learnable.join(", "));
    }
    for problem in info.problems {
        println!("  problem     {problem}");
    }
    println!(
        "  parameters  {}",
        if entry.params.is_empty() {
            "(none)".to_string()
        } else {
            entry.params.join(", ")
        }
    );
    if !entry.aliases.is_empty() {
        println!("  also        {}", entry.aliases.join(", "));
    }
    println!("  PyTorch     {}", info.pytorch);
    println!("  reference   {}", info.reference);
    Ok(())
}

/// Prints `x, f(x), f'(x)` computed on `backend` with autodiff.
pub fn print_values_at(spec: &str, at: &[f32], backend: BackendKind) -> Result<()> {
    let config: ActivationConfig = spec
        .parse()
        .with_context(|| format!("reading activation `{spec}`"))?;
    if matches!(
        config,
        ActivationConfig::Maxout(_) | ActivationConfig::Glu(_)
    ) {
        bail!(
            "`{}` combines several inputs into one output; --at needs an element-wise activation",
            config.spec()
        );
    }
    let backend = Backend::select(backend)?;
    let device = backend.autodiff();
    let activation = config.init(&device)?;
    let x =
        Tensor::<1>::from_data(TensorData::new(at.to_vec(), [at.len()]), &device).require_grad();
    let y = activation.forward(x.clone());
    let grads = y.clone().sum().backward();
    let dy = x
        .grad(&grads)
        .context("the activation produced no input gradient")?;
    let read = |t: Tensor<1>| {
        t.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("reading the result: {e:?}"))
    };
    let (ys, dys) = (read(y)?, read(dy)?);
    println!("{} on {}", config.spec(), backend.describe());
    let rows: Vec<[String; 3]> = at
        .iter()
        .zip(ys.iter().zip(&dys))
        .map(|(x, (y, d))| [x.to_string(), y.to_string(), d.to_string()])
        .collect();
    print_table(&["x", "f(x)", "f'(x)"], &rows, false);
    Ok(())
}

pub fn print_backends() -> Result<()> {
    for kind in BackendKind::ALL {
        match Backend::select(kind) {
            Ok(b) => println!("{:<8} ok: {}", kind.name(), b.describe()),
            Err(e) => println!("{:<8} unavailable: {e}", kind.name()),
        }
    }
    Ok(())
}
