//! The `name(arg, key=value, …)` syntax shared by activation specs and the other spec strings of
//! nonlin (data sets, models), and the "did you mean" suggestions.

/// A parsed `name(args)`: the name and the top-level arguments, each `(key, value)` with the key
/// absent for positional ones. Values keep nested parentheses (`learnable(0.5)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecCall<'a> {
    /// The name before `(`.
    pub name: &'a str,
    /// The arguments, in order.
    pub args: Vec<(Option<&'a str>, &'a str)>,
}

/// How deep parentheses may nest inside one spec's argument list.
pub const MAX_NESTING: usize = 4;

/// Parses `name` or `name(a, b, key=value)`; the error says what is malformed.
pub fn parse_call(spec: &str) -> Result<SpecCall<'_>, String> {
    let spec = spec.trim();
    let Some(open) = spec.find('(') else {
        if spec.is_empty() {
            return Err("the name is empty".into());
        }
        if spec.contains(')') {
            return Err("`)` without `(`".into());
        }
        return Ok(SpecCall {
            name: spec,
            args: Vec::new(),
        });
    };
    let name = spec[..open].trim();
    let Some(body) = spec[open + 1..].strip_suffix(')') else {
        return Err("the argument list must end with `)`".into());
    };
    if name.is_empty() {
        return Err("the name before `(` is empty".into());
    }
    let mut raw = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in body.char_indices() {
        match c {
            '(' | '[' => {
                depth += 1;
                // specs nest (`glu(gate=leaky_relu(0.2))`) and their values parse recursively:
                // a bound keeps a hostile spec from exhausting the stack
                if depth > MAX_NESTING {
                    return Err(format!("nested more than {MAX_NESTING} levels deep"));
                }
            }
            ')' | ']' => depth = depth.checked_sub(1).ok_or("unbalanced `)`")?,
            ',' if depth == 0 => {
                raw.push(body[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unbalanced `(`".into());
    }
    let last = body[start..].trim();
    if !last.is_empty() || !raw.is_empty() {
        raw.push(last);
    }
    if raw.iter().any(|a| a.is_empty()) {
        return Err("an argument is empty (two commas in a row?)".into());
    }
    let args = raw
        .into_iter()
        .map(|arg| match arg.split_once('=') {
            Some((key, value)) => (Some(key.trim()), value.trim()),
            None => (None, arg),
        })
        .collect();
    Ok(SpecCall { name, args })
}

/// Lower case without `_`, `-` and spaces: how names are compared.
pub fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The candidate nearest to `given` in edit distance (on normalized names), if it is close enough
/// to be a plausible misspelling.
pub fn closest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let wanted = normalize(given);
    let (distance, best) = candidates
        .into_iter()
        .map(|c| (edit_distance(&wanted, &normalize(c)), c))
        .min_by_key(|(d, _)| *d)?;
    (distance <= (wanted.chars().count() / 3).max(2)).then(|| best.to_string())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_positional_keyword_and_nested_arguments() {
        let call = parse_call("swish(2, beta=learnable(0.5), dims=[1, 2])").unwrap();
        assert_eq!(call.name, "swish");
        assert_eq!(
            call.args,
            vec![
                (None, "2"),
                (Some("beta"), "learnable(0.5)"),
                (Some("dims"), "[1, 2]")
            ]
        );
        assert_eq!(
            parse_call(" relu ").unwrap(),
            SpecCall {
                name: "relu",
                args: vec![]
            }
        );
        assert!(parse_call("relu(").is_err() && parse_call("relu(1,,2)").is_err());
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            closest("leaky_rleu", ["relu", "leaky_relu"]).as_deref(),
            Some("leaky_relu")
        );
        assert_eq!(closest("qwertyuiop", ["relu", "leaky_relu"]), None);
    }
}
