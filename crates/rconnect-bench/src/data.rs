//! The benchmark's input file and checks on output files.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use anyhow::{Context as _, Result};

/// Writes `lines` lines of exactly `line_len` bytes plus `\n` to `path`: a 9-digit line
/// number, a space, then deterministic pseudo-random letters and digits. Returns the size.
pub fn generate(path: &Path, lines: u64, line_len: usize) -> Result<u64> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut line = Vec::with_capacity(line_len + 1);
    for i in 0..lines {
        line.clear();
        write!(line, "{i:09} ").expect("writing to a Vec cannot fail");
        line.truncate(line_len);
        while line.len() < line_len {
            // xorshift64: fast, and the same file on every machine.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            line.push(ALPHABET[(state % ALPHABET.len() as u64) as usize]);
        }
        line.push(b'\n');
        out.write_all(&line)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    out.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(lines * (line_len as u64 + 1))
}

/// True when the two files have the same bytes.
pub fn same_content(a: &Path, b: &Path) -> Result<bool> {
    let open = |p: &Path| File::open(p).with_context(|| format!("opening {}", p.display()));
    let (fa, fb) = (open(a)?, open(b)?);
    if fa.metadata()?.len() != fb.metadata()?.len() {
        return Ok(false);
    }
    let (mut ra, mut rb) = (fa, fb);
    let mut ba = vec![0u8; 1 << 20];
    let mut bb = vec![0u8; 1 << 20];
    loop {
        let n = read_full(&mut ra, &mut ba).with_context(|| format!("reading {}", a.display()))?;
        let m = read_full(&mut rb, &mut bb).with_context(|| format!("reading {}", b.display()))?;
        if n != m || ba[..n] != bb[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The size of `path`, 0 when it does not exist yet.
pub fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_lines_have_the_asked_length_and_compare() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        assert_eq!(generate(&a, 1000, 100).unwrap(), 101_000);
        let text = std::fs::read_to_string(&a).unwrap();
        assert_eq!(text.lines().count(), 1000);
        assert!(text.lines().all(|l| l.len() == 100));
        assert!(text.lines().nth(7).unwrap().starts_with("000000007 "));
        generate(&b, 1000, 100).unwrap();
        assert!(same_content(&a, &b).unwrap());
        generate(&c, 999, 100).unwrap();
        assert!(!same_content(&a, &c).unwrap());
        let mut bytes = std::fs::read(&b).unwrap();
        bytes[50_000] ^= 1;
        std::fs::write(&b, bytes).unwrap();
        assert!(!same_content(&a, &b).unwrap());
        assert_eq!(file_size(&dir.path().join("none")), 0);
    }
}
