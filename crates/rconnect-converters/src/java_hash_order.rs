//! The iteration order of a `java.util.HashMap`, for maps that Java builds as one.
//!
//! Java's `JsonConverter#toConnectData` puts every JSON object and every map it reads into a
//! `new HashMap<>()`, so what Java writes next (JSON again, `toString` in a FileStreamSink, a
//! transformation's output) follows the map's hash order, not the order of the input. Reading
//! into that order makes rconnect's output byte-identical with Java's.

use rconnect_sdk::data::Value;
use rconnect_sdk::java_hash_map::{into_iteration_order, spread, string_hash, table_capacity};

/// `Object#hashCode` of a key as Java's Connect data holds it, for the key types whose hash
/// is defined by value. `None` for the rest (`byte[]` hashes by identity; structs, maps,
/// arrays and decimals are not modelled), and then the order is left as it is.
fn java_hash(v: &Value) -> Option<i32> {
    let long_hash = |x: i64| (x ^ ((x as u64) >> 32) as i64) as i32;
    Some(match v {
        Value::Null => 0,
        Value::String(s) => string_hash(s),
        Value::Int8(x) => i32::from(*x),
        Value::Int16(x) => i32::from(*x),
        Value::Int32(x) => *x,
        // `Long#hashCode`, and `java.util.Date#hashCode` for the logical date types.
        Value::Int64(x) | Value::Timestamp(x) => long_hash(*x),
        Value::Boolean(b) => {
            if *b {
                1231
            } else {
                1237
            }
        }
        // `floatToIntBits` / `doubleToLongBits`: every NaN hashes as the canonical one.
        Value::Float32(x) => {
            if x.is_nan() {
                0x7fc0_0000
            } else {
                x.to_bits() as i32
            }
        }
        Value::Float64(x) => {
            if x.is_nan() {
                long_hash(0x7ff8_0000_0000_0000)
            } else {
                long_hash(x.to_bits() as i64)
            }
        }
        _ => return None,
    })
}

/// Maps up to this size are ordered without allocating (the record path reads many small
/// objects).
const SMALL: usize = 32;

/// Reorders `entries` (distinct keys, in insertion order) into the order a Java `HashMap`
/// built by inserting them one by one iterates them: by bucket, and within a bucket by
/// insertion (a resize splits a bin keeping its order). Keys without a modelled hash leave
/// the order as it is.
pub(crate) fn into_java_hash_order(entries: &mut Vec<(Value, Value)>) {
    let n = entries.len();
    if n < 2 {
        return;
    }
    if n <= SMALL {
        let mut hashes = [0usize; SMALL];
        if spread_hashes(entries, &mut hashes[..n]) {
            order_small(entries, &hashes[..n]);
        }
        return;
    }
    into_iteration_order(entries, |(k, _)| java_hash(k));
}

/// [`into_java_hash_order`] for a small map whose keys may repeat (a JSON object, which
/// Jackson reads last-value-wins): orders it and answers true when its keys are distinct,
/// leaves it as it is and answers false when a key repeats, or when the map is too large to
/// check here. The hashes serve both the duplicate check and the order.
pub(crate) fn order_if_distinct(entries: &mut [(Value, Value)]) -> bool {
    let n = entries.len();
    if n < 2 {
        return true;
    }
    if n > SMALL {
        return false;
    }
    let mut hashes = [0usize; SMALL];
    if !spread_hashes(entries, &mut hashes[..n]) {
        return false;
    }
    let hashes = &hashes[..n];
    // Equal keys have equal hashes; only keys whose hashes collide are compared.
    let repeated =
        (1..n).any(|i| (0..i).any(|j| hashes[i] == hashes[j] && entries[i].0 == entries[j].0));
    if repeated {
        return false;
    }
    order_small(entries, hashes);
    true
}

/// Orders at most [`SMALL`] entries by the buckets of their spread `hashes`.
fn order_small(entries: &mut [(Value, Value)], hashes: &[usize]) {
    let n = entries.len();
    let mask = table_capacity(hashes) - 1;
    // Bucket then insertion index in one small key: sorting these is a stable sort by
    // bucket that moves no entry (a table of at most 64 buckets here, 32 entries).
    let mut keys = [0u16; SMALL];
    for (i, (key, h)) in keys.iter_mut().zip(hashes).enumerate() {
        *key = (((h & mask) as u16) << 5) | i as u16;
    }
    let keys = &mut keys[..n];
    keys.sort_unstable();
    let mut order = [0u8; SMALL];
    for (o, k) in order.iter_mut().zip(keys.iter()) {
        *o = (k & 31) as u8;
    }
    apply_order(entries, &order[..n]);
}

/// Fills `out` with each key's spread hash; false when a key has no modelled hash.
fn spread_hashes(entries: &[(Value, Value)], out: &mut [usize]) -> bool {
    for ((k, _), slot) in entries.iter().zip(out.iter_mut()) {
        match java_hash(k) {
            Some(h) => *slot = spread(h),
            None => return false,
        }
    }
    true
}

/// Puts `entries[order[i]]` at position `i`, by swapping along each cycle of the
/// permutation (each entry moves once).
fn apply_order<T>(entries: &mut [T], order: &[u8]) {
    let mut done = 0u32;
    for start in 0..order.len() {
        if done & (1 << start) != 0 {
            continue;
        }
        let mut pos = start;
        loop {
            done |= 1 << pos;
            let next = usize::from(order[pos]);
            if next == start {
                break;
            }
            entries.swap(pos, next);
            pos = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(entries: &[(Value, Value)]) -> Vec<String> {
        entries.iter().map(|(k, _)| k.to_string()).collect()
    }

    fn strings(names: &[&str]) -> Vec<(Value, Value)> {
        names
            .iter()
            .map(|n| (Value::from(*n), Value::Null))
            .collect()
    }

    #[test]
    fn string_keys_follow_java_hash_order() {
        // new HashMap<>() with z, a, inner, nul put in that order iterates a, nul, z, inner.
        // (Every expectation here was printed by Java 17's HashMap.)
        let mut e = strings(&["z", "a", "inner", "nul"]);
        into_java_hash_order(&mut e);
        assert_eq!(keys(&e), ["a", "nul", "z", "inner"]);
        // Keys whose hashes share a bucket keep their insertion order.
        let mut e = strings(&["Aa", "BB"]); // both hash to 2112
        into_java_hash_order(&mut e);
        assert_eq!(keys(&e), ["Aa", "BB"]);
        let mut e = strings(&["BB", "Aa"]);
        into_java_hash_order(&mut e);
        assert_eq!(keys(&e), ["BB", "Aa"]);
    }

    #[test]
    fn hashes_match_java() {
        assert_eq!(java_hash(&Value::from("hello")), Some(99_162_322));
        assert_eq!(java_hash(&Value::from("😀")), Some(1_772_899));
        assert_eq!(java_hash(&Value::Int64(-1)), Some(0));
        assert_eq!(java_hash(&Value::Int64(1 << 32)), Some(1));
        assert_eq!(java_hash(&Value::Boolean(true)), Some(1231));
        assert_eq!(java_hash(&Value::Float64(1.5)), Some(1_073_217_536));
        assert_eq!(java_hash(&Value::Float32(f32::NAN)), Some(0x7fc0_0000));
        assert_eq!(java_hash(&Value::Bytes(vec![1])), None);
    }

    #[test]
    fn the_table_grows_with_the_size() {
        // 13 keys need 32 buckets: 16 and 32 (hash 16 and 32 of Integer) split apart.
        let mut e: Vec<(Value, Value)> = [32, 16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
            .iter()
            .map(|i| (Value::Int32(*i), Value::Null))
            .collect();
        into_java_hash_order(&mut e);
        assert_eq!(
            keys(&e),
            ["32", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "16"]
        );
        // 12 keys fit 16 buckets: 16 and 32 share bucket 0 with 0, in insertion order.
        let mut e: Vec<(Value, Value)> = [32, 16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
            .iter()
            .map(|i| (Value::Int32(*i), Value::Null))
            .collect();
        into_java_hash_order(&mut e);
        assert_eq!(
            keys(&e),
            ["32", "16", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
        );
    }

    #[test]
    fn a_crowded_bin_resizes_a_small_table() {
        // Nine keys in bucket 0 of 16 (multiples of 16) make Java resize to 32 buckets.
        let mut e: Vec<(Value, Value)> = (0..9)
            .map(|i| (Value::Int32(i * 16), Value::Null))
            .collect();
        into_java_hash_order(&mut e);
        assert_eq!(
            keys(&e),
            ["0", "32", "64", "96", "128", "16", "48", "80", "112"]
        );
    }

    #[test]
    fn large_maps_sort_the_same_way() {
        // 40 keys (past the in-place limit): Java's HashMap of 0..40 inserted backwards
        // iterates 0..40 (64 buckets, one key each).
        let mut e: Vec<(Value, Value)> = (0..40)
            .rev()
            .map(|i| (Value::Int32(i), Value::Null))
            .collect();
        into_java_hash_order(&mut e);
        let expected: Vec<String> = (0..40).map(|i| i.to_string()).collect();
        assert_eq!(keys(&e), expected);
    }

    #[test]
    fn repeated_keys_are_reported_not_ordered() {
        let mut e = strings(&["z", "a", "z"]);
        assert!(!order_if_distinct(&mut e));
        assert_eq!(keys(&e), ["z", "a", "z"], "left as it was");
        // Distinct keys that share a hash ("Aa" and "BB") are not a repetition.
        let mut e = strings(&["z", "BB", "a", "Aa"]);
        assert!(order_if_distinct(&mut e));
        assert_eq!(keys(&e), ["BB", "Aa", "a", "z"]); // buckets 0, 0, 1, 10
        let mut e: Vec<(Value, Value)> = (0..40)
            .map(|i| (Value::from(format!("k{i}").as_str()), Value::Null))
            .collect();
        assert!(!order_if_distinct(&mut e), "too large to check here");
    }

    #[test]
    fn unmodelled_keys_leave_the_order() {
        let mut e = vec![
            (Value::Bytes(vec![2]), Value::Null),
            (Value::Bytes(vec![1]), Value::Null),
        ];
        into_java_hash_order(&mut e);
        assert_eq!(e[0].0, Value::Bytes(vec![2]));
    }
}
