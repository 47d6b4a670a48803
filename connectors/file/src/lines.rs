//! Byte-level line splitting for the FileStream source.
//!
//! The buffer holds bytes read from the input that have not yet been emitted as lines.
//! Splitting works on bytes: `\n` and `\r` never occur inside a multi-byte UTF-8
//! sequence, so a line's bytes can be decoded on their own once it is cut out.

use std::ops::Range;

/// How much spare room is made before each read: large reads keep syscalls and
/// blocking-pool hops rare when a big file is read from the start.
pub(crate) const READ_CHUNK: usize = 256 * 1024;

/// One complete line found in a [`LineBuffer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    /// The line's bytes inside the buffer, terminator excluded.
    pub range: Range<usize>,
    /// Bytes consumed from the input: the line plus its terminator (1 or 2 bytes).
    pub consumed: usize,
}

/// Unconsumed input bytes and the state of the terminator scan.
#[derive(Debug, Default)]
pub(crate) struct LineBuffer {
    /// `data[start..]` is input not yet returned as lines.
    data: Vec<u8>,
    start: usize,
    /// `data[start..scanned]` is known to hold no terminator, so it is not scanned again
    /// when more bytes arrive (a very long line would otherwise be rescanned per read).
    scanned: usize,
}

impl LineBuffer {
    pub(crate) fn new() -> Self {
        LineBuffer::default()
    }

    /// Cuts the next complete line off the front of the buffer.
    ///
    /// `\n`, `\r\n` and a lone `\r` end a line. A `\r` that is the last byte currently
    /// buffered is held back (`None`) until the next byte shows whether `\n` follows;
    /// bytes after the last terminator stay buffered until a terminator arrives.
    pub(crate) fn next_line(&mut self) -> Option<Line> {
        let end = self.data.len();
        let found = memchr::memchr2(b'\n', b'\r', &self.data[self.scanned..end]);
        let Some(rel) = found else {
            self.scanned = end;
            return None;
        };
        let at = self.scanned + rel;
        let terminator = if self.data[at] == b'\n' {
            1
        } else if at + 1 == end {
            self.scanned = at;
            return None;
        } else if self.data[at + 1] == b'\n' {
            2
        } else {
            1
        };
        let line = Line {
            range: self.start..at,
            consumed: at + terminator - self.start,
        };
        self.start = at + terminator;
        self.scanned = self.start;
        Some(line)
    }

    /// The bytes of a line just returned by [`LineBuffer::next_line`].
    pub(crate) fn bytes(&self, range: Range<usize>) -> &[u8] {
        &self.data[range]
    }

    /// Drops consumed bytes and makes room for at least [`READ_CHUNK`] more; returns the
    /// vector to read into (new bytes go after its current length).
    pub(crate) fn prepare_read(&mut self) -> &mut Vec<u8> {
        if self.start > 0 {
            // Only a partial line is left when a read is needed, so this move is small.
            self.data.copy_within(self.start.., 0);
            self.data.truncate(self.data.len() - self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
        self.data.reserve(READ_CHUNK);
        &mut self.data
    }

    /// Unconsumed bytes currently buffered.
    #[cfg(test)]
    pub(crate) fn pending(&self) -> &[u8] {
        &self.data[self.start..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(buf: &mut LineBuffer, bytes: &[u8]) {
        buf.prepare_read().extend_from_slice(bytes);
    }

    fn drain(buf: &mut LineBuffer) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        while let Some(line) = buf.next_line() {
            let text = String::from_utf8_lossy(buf.bytes(line.range.clone())).into_owned();
            out.push((text, line.consumed));
        }
        out
    }

    #[test]
    fn splits_on_every_terminator_kind() {
        let mut b = LineBuffer::new();
        push(&mut b, b"a\nb\r\nc\rd\n\n");
        assert_eq!(
            drain(&mut b),
            vec![
                ("a".into(), 2),
                ("b".into(), 3),
                ("c".into(), 2),
                ("d".into(), 2),
                ("".into(), 1)
            ]
        );
        assert!(b.pending().is_empty());
    }

    #[test]
    fn trailing_cr_is_held_until_the_next_byte() {
        let mut b = LineBuffer::new();
        push(&mut b, b"x\r");
        assert_eq!(drain(&mut b), vec![]);
        push(&mut b, b"\n");
        assert_eq!(drain(&mut b), vec![("x".into(), 3)]);

        push(&mut b, b"y\r");
        assert_eq!(drain(&mut b), vec![]);
        push(&mut b, b"z");
        assert_eq!(drain(&mut b), vec![("y".into(), 2)]);
        assert_eq!(b.pending(), b"z");
    }

    #[test]
    fn partial_line_survives_compaction_and_long_lines_grow() {
        let mut b = LineBuffer::new();
        push(&mut b, b"one\ntw");
        assert_eq!(drain(&mut b), vec![("one".into(), 4)]);
        let long = vec![b'q'; READ_CHUNK * 3];
        push(&mut b, &long);
        assert_eq!(drain(&mut b), vec![]);
        push(&mut b, b"o\n");
        let lines = drain(&mut b);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].0.len(), 2 + long.len() + 1);
        assert!(lines[0].0.starts_with("twq"));
        assert_eq!(lines[0].1, lines[0].0.len() + 1);
    }

    #[test]
    fn invalid_utf8_is_kept_as_bytes_for_lossy_decoding() {
        let mut b = LineBuffer::new();
        push(&mut b, b"h\xffi\n");
        assert_eq!(drain(&mut b), vec![("h\u{fffd}i".into(), 4)]);
    }
}
