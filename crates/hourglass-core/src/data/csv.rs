//! Your own data as CSV: a row per sample, an optional header, an optional label column.

use super::Dataset;
use crate::Error;

/// Which column holds labels: a header name or a 0-based index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelColumn {
    Name(String),
    Index(usize),
}

impl std::str::FromStr for LabelColumn {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.parse::<usize>() {
            Ok(i) => LabelColumn::Index(i),
            Err(_) => LabelColumn::Name(s.to_string()),
        })
    }
}

/// The column a header names `label` (any case): the labels, when no other column is named.
/// (Our own CSVs — `encode`, `reconstruct`, the pages' exports — head their label column so.)
pub fn label_in_header(bytes: &[u8]) -> Option<LabelColumn> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(1 << 16)]);
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    first
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .find(|c| c.eq_ignore_ascii_case("label"))
        .map(|c| LabelColumn::Name(c.to_string()))
}

/// Parses numeric CSV. A first row with any non-numeric field is taken as a header.
/// Every row must have the same number of fields. Labels are non-negative integers, or text
/// (`cat`, `dog`), which is mapped to classes 0, 1, … in sorted order.
pub fn read_csv(name: &str, bytes: &[u8], label: Option<&LabelColumn>) -> Result<Dataset, Error> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .flexible(true)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| Error::format(name, format!("row {}: {e}", i + 1)))?;
        if rec.iter().all(str::is_empty) {
            continue;
        }
        rows.push(rec);
    }
    if rows.is_empty() {
        return Err(Error::format(name, "no rows"));
    }
    let header: Option<Vec<String>> = if rows[0].iter().any(|f| f.parse::<f64>().is_err()) {
        Some(rows.remove(0).iter().map(str::to_string).collect())
    } else {
        None
    };
    if rows.is_empty() {
        return Err(Error::format(name, "a header but no data rows"));
    }
    let width = header.as_ref().map_or(rows[0].len(), Vec::len);
    let label_idx = match label {
        None => None,
        Some(LabelColumn::Index(i)) if *i < width => Some(*i),
        Some(LabelColumn::Index(i)) => {
            return Err(Error::format(
                name,
                format!("label column {i} is past the last column ({})", width - 1),
            ));
        }
        Some(LabelColumn::Name(n)) => {
            let h = header.as_ref().ok_or_else(|| {
                Error::format(
                    name,
                    format!("label column '{n}' named, but the file has no header row"),
                )
            })?;
            Some(h.iter().position(|c| c == n).ok_or_else(|| {
                Error::format(name, format!("no column named '{n}' in the header"))
            })?)
        }
    };
    let features = width - usize::from(label_idx.is_some());
    if features == 0 {
        return Err(Error::format(name, "no value columns besides the label"));
    }
    let first_line = 1 + usize::from(header.is_some());
    let mut values = Vec::with_capacity(rows.len() * features);
    let mut texts: Vec<&str> = Vec::with_capacity(if label_idx.is_some() { rows.len() } else { 0 });
    for (r, rec) in rows.iter().enumerate() {
        let line = r + first_line;
        if rec.len() != width {
            return Err(Error::format(
                name,
                format!("row {line} has {} fields, expected {width}", rec.len()),
            ));
        }
        for (c, field) in rec.iter().enumerate() {
            if Some(c) == label_idx {
                if field.is_empty() {
                    return Err(Error::format(
                        name,
                        format!("row {line}: the label is empty"),
                    ));
                }
                texts.push(field);
            } else {
                let v = field
                    .parse::<f32>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        let hint = if label_idx.is_none() {
                            let col = header
                                .as_ref()
                                .map_or_else(|| c.to_string(), |h| h[c].clone());
                            format!(" (if it holds labels, name it with --label-column {col})")
                        } else {
                            String::new()
                        };
                        Error::format(
                            name,
                            format!(
                                "row {line}, column {}: '{field}' is not a finite number{hint}",
                                c + 1
                            ),
                        )
                    })?;
                values.push(v);
            }
        }
    }
    // whole numbers are class numbers; any text maps every label to a class, in sorted order,
    // and the names are kept
    let mut names = None;
    let labels = label_idx.map(|_| {
        let numbers: Option<Vec<u32>> = texts.iter().map(|t| t.parse::<u32>().ok()).collect();
        numbers.unwrap_or_else(|| {
            let mut classes: Vec<&str> = texts.clone();
            classes.sort_unstable();
            classes.dedup();
            let labels = texts
                .iter()
                .map(|t| classes.binary_search(t).map_or(0, |i| i as u32))
                .collect();
            names = Some(classes.iter().map(|c| c.to_string()).collect());
            labels
        })
    });
    let data = Dataset::new(name, features, values, labels)?;
    Ok(match names {
        Some(n) => data.with_classes(n),
        None => data,
    })
}

/// Writes samples (and optional labels, as the last column) as CSV with a header.
pub fn write_csv(
    columns: &[String],
    rows: usize,
    values: &[f32],
    labels: Option<&[u32]>,
) -> Vec<u8> {
    write_csv_named(columns, rows, values, labels, None)
}

/// [`write_csv`], the labels written as the classes' names when `classes` names them.
pub fn write_csv_named(
    columns: &[String],
    rows: usize,
    values: &[f32],
    labels: Option<&[u32]>,
    classes: Option<&[String]>,
) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head: Vec<String> = columns.to_vec();
    if labels.is_some() {
        head.push("label".into());
    }
    w.write_record(&head).expect("write to memory");
    let width = columns.len();
    for r in 0..rows {
        let mut rec: Vec<String> = values[r * width..(r + 1) * width]
            .iter()
            .map(|v| v.to_string())
            .collect();
        if let Some(l) = labels {
            let c = l[r];
            rec.push(
                classes
                    .and_then(|n| n.get(c as usize).cloned())
                    .unwrap_or_else(|| c.to_string()),
            );
        }
        w.write_record(&rec).expect("write to memory");
    }
    w.into_inner().expect("flush to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_with_and_without_header_and_labels() {
        let d = read_csv("a.csv", b"1,2,3\n4,5,6\n", None).unwrap();
        assert_eq!((d.len(), d.features), (2, 3));
        let d = read_csv(
            "b.csv",
            b"x,y,class\n0.5,1,3\n2,3,1\n",
            Some(&"class".parse().unwrap()),
        )
        .unwrap();
        assert_eq!(d.features, 2);
        assert_eq!(d.labels, Some(vec![3, 1]));
        assert_eq!(d.sample(1), &[2.0, 3.0]);
        let d = read_csv("c.csv", b"7,1,2\n8,3,4\n", Some(&LabelColumn::Index(0))).unwrap();
        assert_eq!(d.labels, Some(vec![7, 8]));
    }

    #[test]
    fn rejects_malformed_files_by_row() {
        let err = read_csv("r.csv", b"1,2,3\n4,5\n", None)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "r.csv: row 2 has 2 fields, expected 3");
        let err = read_csv("n.csv", b"a,b\n1,x\n", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("row 2") && err.contains("'x'"), "{err}");
        assert!(read_csv("e.csv", b"", None).is_err());
        assert!(read_csv("l.csv", b"1,2\n", Some(&LabelColumn::Name("z".into()))).is_err());
        assert!(read_csv("i.csv", b"1,inf\n", None).is_err());
        // a text column without --label-column: the hint names the flag and the column
        assert_eq!(
            label_in_header(b"# ours\nx,y,Label\n1,2,3\n"),
            Some(LabelColumn::Name("Label".into()))
        );
        assert_eq!(label_in_header(b"x,labels\n1,2\n"), None);
        let err = read_csv("t.csv", b"x,y,kind\n1,2,dog\n", None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("'dog'") && err.contains("--label-column kind"),
            "{err}"
        );
    }

    #[test]
    fn text_labels_become_classes_in_sorted_order() {
        let d = read_csv(
            "pets.csv",
            b"x,y,kind\n1,2,dog\n3,4,cat\n5,6,dog\n7,8,bird\n",
            Some(&"kind".parse().unwrap()),
        )
        .unwrap();
        assert_eq!(d.labels, Some(vec![2, 1, 2, 0]));
        assert_eq!(d.features, 2);
        let err = read_csv("e.csv", b"x,kind\n1,\n", Some(&"kind".parse().unwrap()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("label is empty"), "{err}");
    }

    #[test]
    fn writes_what_it_reads() {
        let bytes = write_csv(
            &["z0".into(), "z1".into()],
            2,
            &[0.5, 1.0, -2.0, 3.5],
            Some(&[4, 9]),
        );
        let d = read_csv("w", &bytes, Some(&"label".parse().unwrap())).unwrap();
        assert_eq!(d.values, vec![0.5, 1.0, -2.0, 3.5]);
        assert_eq!(d.labels, Some(vec![4, 9]));
    }
}
