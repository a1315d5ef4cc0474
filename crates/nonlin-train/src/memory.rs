//! Sizes are checked before they are allocated: a data set or model that cannot fit is a clear
//! error that names the bytes needed and the bytes available, never an allocation abort.

/// Memory the process may plan to use: `NONLIN_MEMORY_LIMIT` (bytes) if set, else the machine's
/// available memory (`MemAvailable` in `/proc/meminfo`), else 16 GiB.
pub fn limit_bytes() -> u64 {
    if let Some(limit) = std::env::var("NONLIN_MEMORY_LIMIT")
        .ok()
        .and_then(|v| v.trim().parse().ok())
    {
        return limit;
    }
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(16 << 30, |kib| kib * 1024)
}

/// `Err(message)` when `bytes` (`None`: more than fits in 128 bits) exceed [`limit_bytes`].
pub fn check(what: &str, bytes: Option<u128>, fix: &str) -> Result<(), String> {
    let limit = limit_bytes();
    match bytes {
        Some(b) if b <= u128::from(limit) => Ok(()),
        _ => Err(format!(
            "{what} needs {} of memory, more than the {} available; {fix}",
            bytes.map_or_else(|| "more than 2^128 bytes".into(), human),
            human(u128::from(limit))
        )),
    }
}

/// `12.3 GiB`, `512 B`.
pub fn human(bytes: u128) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_are_named() {
        assert_eq!(super::human(512), "512 B");
        assert_eq!(super::human(3 << 30), "3.0 GiB");
        let err = super::check("xor(n=…)", None, "use a smaller n").unwrap_err();
        assert!(err.contains("more than 2^128 bytes") && err.ends_with("use a smaller n"));
        assert!(super::check("a little", Some(1), "").is_ok());
    }
}
