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
        // Java `SingleFieldPath.buildFieldPathV2`, step for step: a backtick that is not
        // followed by a dot (or the end) stays part of the name, backslash included; a
        // backslash-escaped backtick followed by a dot becomes a plain backtick.
        let b: Vec<char> = path.chars().collect();
        let n = b.len();
        let incomplete = |at: usize| {
            format!("Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick at position {at} to escape it")
        };
        let find = |c: char, from: usize| (from..n).find(|&i| b[i] == c);
        let mut steps = Vec::new();
        let mut idx = 0;
        while idx < n {
            if b[idx] != '`' {
                let start = idx;
                match find('.', idx) {
                    Some(dot) => {
                        steps.push(b[start..dot].iter().collect());
                        idx = dot + 1;
                    }
                    None => {
                        steps.push(b[start..].iter().collect());
                        idx = n;
                    }
                }
            } else {
                let backtick_at = idx;
                idx += 1;
                let mut field = String::new();
                let mut start = idx;
                loop {
                    let Some(close) = find('`', idx) else {
                        return Err(incomplete(backtick_at));
                    };
                    idx = close;
                    let escaped = b[idx - 1] == '\\';
                    if idx >= n - 1 {
                        if escaped {
                            return Err(incomplete(backtick_at));
                        }
                        field.extend(&b[start..idx]);
                        steps.push(field);
                        idx += 1;
                        break;
                    }
                    if b[idx + 1] != '.' {
                        idx += 1;
                        continue;
                    }
                    if escaped {
                        field.extend(&b[start..idx - 1]);
                        field.push('`');
                        idx += 1;
                        start = idx;
                        continue;
                    }
                    field.extend(&b[start..idx]);
                    steps.push(field);
                    idx += 2;
                    break;
                }
            }
        }
        if path.ends_with('.') {
            steps.push(String::new());
        }
        Ok(FieldPath {
            original: path.to_string(),
            steps,
        })
    }
}
