//! The CPUs a thread may run on, as Linux reports them (shared by the pinning tests).

/// This thread's `Cpus_allowed_list` (e.g. `0-1` or `0,2-3`).
pub fn allowed_cpus() -> String {
    let status = std::fs::read_to_string("/proc/thread-self/status").expect("procfs");
    status
        .lines()
        .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
        .expect("Cpus_allowed_list")
        .trim()
        .to_string()
}

/// The CPUs of such a list.
pub fn cpus(list: &str) -> Vec<usize> {
    list.split(',')
        .flat_map(|range| {
            let (first, last) = range.split_once('-').unwrap_or((range, range));
            first.parse::<usize>().unwrap()..=last.parse::<usize>().unwrap()
        })
        .collect()
}
