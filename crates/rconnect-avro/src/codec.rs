//! Avro binary encoding primitives (Avro spec "Binary Encoding"; Java `BinaryEncoder`,
//! `BinaryDecoder`): zig-zag varints, little-endian floats, length-prefixed bytes/strings,
//! and blocks for arrays and maps.

use crate::AvroError;

pub fn write_long(out: &mut Vec<u8>, v: i64) {
    let mut n = ((v << 1) ^ (v >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

pub fn write_int(out: &mut Vec<u8>, v: i32) {
    write_long(out, v as i64);
}

pub fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_long(out, b.len() as i64);
    out.extend_from_slice(b);
}

/// A cursor over an Avro payload; every read names what ran out when the input is short.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn truncated() -> AvroError {
    AvroError::Data("Malformed data: the payload ends before the Avro datum does".into())
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    pub fn rest(&mut self) -> &'a [u8] {
        let r = &self.buf[self.pos..];
        self.pos = self.buf.len();
        r
    }
    pub fn read_long(&mut self) -> Result<i64, AvroError> {
        let mut n: u64 = 0;
        let mut shift = 0;
        loop {
            let b = *self.buf.get(self.pos).ok_or_else(truncated)?;
            self.pos += 1;
            if shift >= 64 {
                return Err(AvroError::Data("Invalid long encoding".into()));
            }
            n |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        Ok(((n >> 1) as i64) ^ -((n & 1) as i64))
    }
    pub fn read_int(&mut self) -> Result<i32, AvroError> {
        let v = self.read_long()?;
        i32::try_from(v).map_err(|_| AvroError::Data(format!("Invalid int encoding: {v}")))
    }
    pub fn read_fixed(&mut self, n: usize) -> Result<&'a [u8], AvroError> {
        if self.remaining() < n {
            return Err(truncated());
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub fn read_bytes(&mut self) -> Result<&'a [u8], AvroError> {
        let n = self.read_long()?;
        if n < 0 {
            return Err(AvroError::Data(format!(
                "Malformed data. Length is negative: {n}"
            )));
        }
        self.read_fixed(n as usize)
    }
    pub fn read_string(&mut self) -> Result<String, AvroError> {
        let b = self.read_bytes()?;
        // Java decodes with `new String(bytes, UTF_8)`, replacing malformed input.
        Ok(String::from_utf8_lossy(b).into_owned())
    }
    pub fn read_float(&mut self) -> Result<f32, AvroError> {
        let b = self.read_fixed(4)?;
        Ok(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn read_double(&mut self) -> Result<f64, AvroError> {
        let b = self.read_fixed(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_le_bytes(a))
    }
    pub fn read_boolean(&mut self) -> Result<bool, AvroError> {
        match self.read_fixed(1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(AvroError::Data(format!("Invalid boolean value: {b}"))),
        }
    }
    /// The item count of the next array/map block (a negative count carries a byte size).
    pub fn read_block_count(&mut self) -> Result<usize, AvroError> {
        let n = self.read_long()?;
        if n < 0 {
            self.read_long()?;
            return Ok(n.unsigned_abs() as usize);
        }
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_varints() {
        for (v, enc) in [
            (0i64, vec![0u8]),
            (-1, vec![1]),
            (1, vec![2]),
            (-64, vec![0x7f]),
            (64, vec![0x80, 0x01]),
        ] {
            let mut out = Vec::new();
            write_long(&mut out, v);
            assert_eq!(out, enc);
            assert_eq!(Reader::new(&enc).read_long().unwrap(), v);
        }
        let mut out = Vec::new();
        write_long(&mut out, i64::MIN);
        assert_eq!(Reader::new(&out).read_long().unwrap(), i64::MIN);
        assert!(Reader::new(&[0x80]).read_long().is_err());
    }
}
