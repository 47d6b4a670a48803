//! `AvroFormat`'s files (Java `AvroRecordWriterProvider` on Avro's `DataFileWriter`): Avro
//! object container files whose schema is the first record's Connect schema converted by
//! Confluent's `AvroData`, values encoded by the same mapping as the `AvroConverter`.
//!
//! Layout (Avro specification, "Object Container Files"): `Obj\x01`, the metadata map
//! (`avro.schema`, `avro.codec`), a 16-byte sync marker, then blocks of
//! `count, size, data, sync`. A block is cut when it reaches 64,000 bytes
//! (`DataFileConstants.DEFAULT_SYNC_INTERVAL`), as Java's writer does after each append.
//!
//! Java draws the sync marker at random; here it is the MD5 of the object key, so a replay
//! after a crash writes the very same bytes again (exactly-once relies on identical
//! rewrites).

use std::io::Write as _;

use md5::Digest as _;
use rconnect_avro::codec;
use rconnect_avro::data::{encode_anything, AvroData, ANYTHING_SCHEMA};
use rconnect_avro::schema::{to_json_text, ParsedSchema};
use rconnect_sdk::data::{SchemaRef, Value};
use rconnect_sdk::java_hash_map::{into_iteration_order, string_hash};
use rconnect_sdk::{ConnectError, ConnectResult};

use crate::config::AvroCodec;

/// Java `DataFileConstants.DEFAULT_SYNC_INTERVAL`.
const SYNC_INTERVAL: usize = 64_000;
const MAGIC: &[u8; 4] = b"Obj\x01";

fn avro_error(e: rconnect_avro::AvroError) -> ConnectError {
    ConnectError::data(e.to_string())
}

/// One Avro container file being written.
pub struct AvroFile {
    parsed: ParsedSchema,
    connect: Option<SchemaRef>,
    codec: AvroCodec,
    sync: [u8; 16],
    block: Vec<u8>,
    block_count: i64,
    compressed: Vec<u8>,
}

impl AvroFile {
    /// Starts the file of `key` for values of `schema` (`None`: schemaless values, written
    /// as Confluent's `Anything` record) and appends its header to `out`.
    pub fn open(
        data: &AvroData,
        schema: Option<&SchemaRef>,
        codec: AvroCodec,
        key: &str,
        out: &mut Vec<u8>,
    ) -> ConnectResult<AvroFile> {
        let text = match schema {
            Some(s) => to_json_text(&data.from_connect_schema(s).map_err(avro_error)?)
                .map_err(avro_error)?,
            None => ANYTHING_SCHEMA.to_string(),
        };
        let parsed = ParsedSchema::parse(&text).map_err(avro_error)?;
        let sync: [u8; 16] = md5::Md5::digest(key.as_bytes()).into();
        out.extend_from_slice(MAGIC);
        // Java's `DataFileWriter` keeps the metadata in a `HashMap` and writes it in that
        // map's iteration order.
        let mut meta: Vec<(&str, &[u8])> = vec![
            ("avro.codec", codec.name().as_bytes()),
            ("avro.schema", text.as_bytes()),
        ];
        into_iteration_order(&mut meta, |(k, _)| Some(string_hash(k)));
        codec::write_long(out, meta.len() as i64);
        for (k, v) in meta {
            codec::write_bytes(out, k.as_bytes());
            codec::write_bytes(out, v);
        }
        codec::write_long(out, 0);
        out.extend_from_slice(&sync);
        Ok(AvroFile {
            parsed,
            connect: schema.cloned(),
            codec,
            sync,
            block: Vec::new(),
            block_count: 0,
            compressed: Vec::new(),
        })
    }

    /// Encodes `value` into the current block; a full block goes to `out`.
    pub fn append(
        &mut self,
        data: &AvroData,
        value: &Value,
        out: &mut Vec<u8>,
    ) -> ConnectResult<()> {
        let mark = self.block.len();
        let r = match &self.connect {
            Some(s) => data.encode(&self.parsed, &self.parsed.root, s, value, &mut self.block),
            None => encode_anything(value, &mut self.block),
        };
        if let Err(e) = r {
            self.block.truncate(mark);
            return Err(avro_error(e));
        }
        self.block_count += 1;
        if self.block.len() >= SYNC_INTERVAL {
            self.write_block(out)?;
        }
        Ok(())
    }

    /// Writes the last block (Java `DataFileWriter#flush`).
    pub fn finish(&mut self, out: &mut Vec<u8>) -> ConnectResult<()> {
        self.write_block(out)
    }

    fn write_block(&mut self, out: &mut Vec<u8>) -> ConnectResult<()> {
        if self.block_count == 0 {
            return Ok(());
        }
        let data: &[u8] = match self.codec {
            AvroCodec::Null => &self.block,
            AvroCodec::Deflate => {
                self.compressed.clear();
                let mut enc = flate2::write::DeflateEncoder::new(
                    std::mem::take(&mut self.compressed),
                    flate2::Compression::new(6),
                );
                enc.write_all(&self.block)
                    .and_then(|_| enc.finish())
                    .map(|c| self.compressed = c)
                    .map_err(|e| ConnectError::data(format!("Deflating an Avro block: {e}")))?;
                &self.compressed
            }
            AvroCodec::Snappy => {
                self.compressed.clear();
                self.compressed
                    .resize(snap::raw::max_compress_len(self.block.len()), 0);
                let n = snap::raw::Encoder::new()
                    .compress(&self.block, &mut self.compressed)
                    .map_err(|e| {
                        ConnectError::data(format!("Snappy-compressing an Avro block: {e}"))
                    })?;
                self.compressed.truncate(n);
                self.compressed
                    .extend_from_slice(&crc32fast::hash(&self.block).to_be_bytes());
                &self.compressed
            }
        };
        codec::write_long(out, self.block_count);
        codec::write_long(out, data.len() as i64);
        out.extend_from_slice(data);
        out.extend_from_slice(&self.sync);
        self.block.clear();
        self.block_count = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rconnect_sdk::data::{Schema, SchemaBuilder, Struct};

    #[test]
    fn header_blocks_and_codecs() {
        let data = AvroData::new(Default::default());
        let schema: SchemaRef = SchemaBuilder::struct_()
            .name("com.acme.Order")
            .field("id", Schema::int64())
            .build();
        for codec in [AvroCodec::Null, AvroCodec::Deflate, AvroCodec::Snappy] {
            let mut out = Vec::new();
            let mut f = AvroFile::open(&data, Some(&schema), codec, "k", &mut out).unwrap();
            assert!(out.starts_with(b"Obj\x01"));
            let header = out.len();
            for i in 0..20_000i64 {
                let mut s = Struct::new(schema.clone());
                s.put("id", Value::Int64(i)).unwrap();
                f.append(&data, &Value::Struct(s), &mut out).unwrap();
            }
            f.finish(&mut out).unwrap();
            // The sync marker closes the header and every block.
            let sync: [u8; 16] = md5::Md5::digest(b"k").into();
            assert_eq!(&out[header - 16..header], &sync);
            assert!(out.ends_with(&sync));
            let blocks = out.windows(16).filter(|w| *w == sync).count() - 1;
            assert!(blocks >= 1, "{codec:?}");
        }
    }
}
