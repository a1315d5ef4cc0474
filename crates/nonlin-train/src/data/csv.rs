//! CSV files for the user's own tabular data: a header row, numeric feature columns and one label
//! column (by name; the last column by default). Labels may be numbers or names; they are mapped to
//! classes `0..k` in sorted order.

use super::Dataset;
use crate::error::DataError;
use std::collections::BTreeSet;
use std::path::Path;

/// Loads `path`; `label` names the label column (default: the last one).
pub fn load(path: &Path, label: Option<&str>) -> Result<Dataset, DataError> {
    let file = std::fs::File::open(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(file, path, label)
}

/// Parses CSV text from `reader`; `origin` names it in errors.
pub fn parse(
    reader: impl std::io::Read,
    origin: &Path,
    label: Option<&str>,
) -> Result<Dataset, DataError> {
    let bad = |line: u64, reason: String| DataError::Csv {
        path: origin.to_path_buf(),
        line,
        reason,
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let header: Vec<String> = csv
        .headers()
        .map_err(|e| bad(1, format!("cannot read the header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    if header.len() < 2 {
        return Err(bad(
            1,
            format!(
                "{} column(s): need at least one feature and a label",
                header.len()
            ),
        ));
    }
    let label_col = match label {
        None => header.len() - 1,
        Some(name) => header.iter().position(|h| h == name).ok_or_else(|| {
            let hint = nonlin_activations::spec::closest(name, header.iter().map(String::as_str))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            bad(
                1,
                format!(
                    "no column `{name}`{hint}; the columns are: {}",
                    header.join(", ")
                ),
            )
        })?,
    };
    let mut features = Vec::new();
    let mut raw_labels = Vec::new();
    for (row, record) in csv.records().enumerate() {
        let line = row as u64 + 2;
        let record = record.map_err(|e| bad(line, e.to_string()))?;
        if record.len() != header.len() {
            return Err(bad(
                line,
                format!(
                    "{} fields, but the header has {}",
                    record.len(),
                    header.len()
                ),
            ));
        }
        for (col, cell) in record.iter().enumerate() {
            if col == label_col {
                raw_labels.push(cell.to_string());
            } else {
                let value: f32 = cell.parse().map_err(|_| {
                    bad(
                        line,
                        format!("column `{}`: `{cell}` is not a number", header[col]),
                    )
                })?;
                if !value.is_finite() {
                    return Err(bad(
                        line,
                        format!("column `{}`: {value} is not finite", header[col]),
                    ));
                }
                features.push(value);
            }
        }
    }
    if raw_labels.is_empty() {
        return Err(bad(2, "the file has a header but no rows".into()));
    }
    let classes: Vec<&String> = {
        let set: BTreeSet<&String> = raw_labels.iter().collect();
        let mut classes: Vec<&String> = set.into_iter().collect();
        // numeric labels sort numerically, so "10" comes after "9"
        if classes.iter().all(|c| c.parse::<f64>().is_ok()) {
            classes.sort_by(|a, b| {
                a.parse::<f64>()
                    .unwrap()
                    .total_cmp(&b.parse::<f64>().unwrap())
            });
        }
        classes
    };
    if classes.len() < 2 {
        return Err(bad(
            2,
            format!(
                "the label column `{}` has a single class",
                header[label_col]
            ),
        ));
    }
    let labels = raw_labels
        .iter()
        .map(|l| {
            classes
                .iter()
                .position(|c| *c == l)
                .expect("every label is a class") as u32
        })
        .collect();
    let name = format!("csv({})", origin.display());
    Dataset::new(
        name,
        features,
        labels,
        vec![header.len() - 1],
        classes.len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str, label: Option<&str>) -> Result<Dataset, DataError> {
        parse(text.as_bytes(), Path::new("t.csv"), label)
    }

    #[test]
    fn features_and_named_labels() {
        let d = parse_str("a,species,b\n1,cat,2\n3,dog,4\n5,cat,6\n", Some("species")).unwrap();
        assert_eq!(d.features, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(d.labels, vec![0, 1, 0]);
        assert_eq!((d.num_classes, d.sample_shape.clone()), (2, vec![2]));
        let numeric = parse_str("x,y\n1,10\n2,9\n3,10\n", None).unwrap();
        assert_eq!(numeric.labels, vec![1, 0, 1], "9 sorts before 10");
    }

    #[test]
    fn bad_files_name_the_line_and_column() {
        let err = parse_str("a,y\n1,0\nx,1\n", None).unwrap_err().to_string();
        assert!(
            err.contains("line 3") && err.contains("`x` is not a number"),
            "{err}"
        );
        let err = parse_str("a,b,y\n1,2,0\n1,1\n", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3") && err.contains("2 fields"), "{err}");
        let err = parse_str("a,label\n1,0\n", Some("lable"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean `label`"), "{err}");
        assert!(
            parse_str("a,y\n", None)
                .unwrap_err()
                .to_string()
                .contains("no rows")
        );
        assert!(
            parse_str("a,y\n1,0\n2,0\n", None)
                .unwrap_err()
                .to_string()
                .contains("single class")
        );
        assert!(
            load(Path::new("/nonexistent.csv"), None)
                .unwrap_err()
                .to_string()
                .contains("/nonexistent.csv")
        );
    }
}
