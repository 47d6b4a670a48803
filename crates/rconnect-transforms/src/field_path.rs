//! Field paths of `field.syntax.version` (KIP-821, Java `field.SingleFieldPath`): `V1` takes
//! the whole string as one field name, `V2` splits a dotted path, with backticks around a
//! step that itself contains dots.

/// A parsed path: one step for `V1`, any number for `V2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    pub original: String,
    pub steps: Vec<String>,
}

impl FieldPath {
    /// `V1`: the whole string names one field.
    pub fn v1(path: &str) -> Self {
        FieldPath {
            original: path.to_string(),
            steps: vec![path.to_string()],
        }
    }

    /// `V2`: `a.b.c`, `` `a.b`.c `` (a backtick step runs to the next backtick followed by
    /// `.` or the end; `` \` `` escapes one); a trailing `.` adds an empty step. The error is
    /// Java's message for an unclosed backtick.
    ///
    /// ```
    /// use rconnect_transforms::field_path::FieldPath;
    /// assert_eq!(FieldPath::v2("a.b").unwrap().steps, ["a", "b"]);
    /// assert_eq!(FieldPath::v2("`a.b`.c").unwrap().steps, ["a.b", "c"]);
    /// assert!(FieldPath::v2("`a.b").is_err());
    /// ```
    pub fn v2(path: &str) -> Result<Self, String> {
        let b: Vec<char> = path.chars().collect();
        let n = b.len();
        let mut steps = Vec::new();
        let mut i = 0;
        loop {
            let end = if i < n && b[i] == '`' {
                let close = (i + 1..n)
                    .find(|&j| b[j] == '`' && b[j - 1] != '\\' && (j + 1 == n || b[j + 1] == '.'));
                let Some(j) = close else {
                    return Err(format!("Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick at position {i} to escape it"));
                };
                let step: String = b[i + 1..j].iter().collect();
                steps.push(step.replace("\\`", "`"));
                j + 1
            } else {
                let j = (i..n).find(|&j| b[j] == '.').unwrap_or(n);
                steps.push(b[i..j].iter().collect());
                j
            };
            if end >= n {
                break;
            }
            // b[end] is the '.' separating this step from the next.
            i = end + 1;
            if i == n {
                steps.push(String::new());
                break;
            }
        }
        Ok(FieldPath {
            original: path.to_string(),
            steps,
        })
    }
}
