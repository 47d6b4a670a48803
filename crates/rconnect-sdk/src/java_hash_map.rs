//! The iteration order of a `java.util.HashMap`.
//!
//! Java builds many of the maps Connect shows or writes as a `new HashMap<>()`: what
//! `JsonConverter` reads, what `ConfigDef#validate` returns. Their iteration order is by
//! bucket of the key's hash, then by insertion within a bucket, so output that must match
//! Java's byte for byte has to follow it.

/// Java `HashMap`'s `DEFAULT_INITIAL_CAPACITY`.
const INITIAL_CAPACITY: usize = 16;
/// `TREEIFY_THRESHOLD`: a bin holding more entries is resized (below
/// `MIN_TREEIFY_CAPACITY`) or turned into a tree.
const TREEIFY_THRESHOLD: usize = 8;
/// `MIN_TREEIFY_CAPACITY`.
const MIN_TREEIFY_CAPACITY: usize = 64;

/// Java `String#hashCode`, over UTF-16 code units; ASCII bytes are those units, so the
/// common case needs one pass over the bytes.
///
/// ```
/// assert_eq!(rconnect_sdk::java_hash_map::string_hash("hello"), 99_162_322);
/// assert_eq!(rconnect_sdk::java_hash_map::string_hash("😀"), 1_772_899);
/// ```
pub fn string_hash(s: &str) -> i32 {
    let mut h = 0i32;
    for &b in s.as_bytes() {
        if b >= 0x80 {
            return s
                .encode_utf16()
                .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
        }
        h = h.wrapping_mul(31).wrapping_add(i32::from(b));
    }
    h
}

/// `HashMap#hash`: the key's `hashCode` with its high half folded into the low one; the
/// bucket is this masked by the table size.
///
/// ```
/// // In a table of 16 buckets, 0x0001_0002 lands in bucket 2 ^ 1 = 3.
/// assert_eq!(rconnect_sdk::java_hash_map::spread(0x0001_0002) & 15, 3);
/// ```
pub fn spread(hash_code: i32) -> usize {
    let h = hash_code as u32;
    (h ^ (h >> 16)) as usize
}

/// The table size of a `HashMap` after inserting keys with these [`spread`] hashes, in
/// order: it doubles when the size passes three quarters of it, and when a bin would hold
/// more than 8 entries while the table is below 64 buckets. (A bin that becomes a tree, at 64
/// buckets or more, iterates in an order not modelled here; it needs 9 keys in one bucket.)
///
/// ```
/// use rconnect_sdk::java_hash_map::table_capacity;
/// assert_eq!(table_capacity(&[1, 2, 3]), 16);
/// assert_eq!(table_capacity(&(0..13).collect::<Vec<_>>()), 32);
/// // Nine keys in bucket 0 of 16 make Java resize to 32.
/// assert_eq!(table_capacity(&(0..9).map(|i| i * 16).collect::<Vec<_>>()), 32);
/// ```
pub fn table_capacity(hashes: &[usize]) -> usize {
    let mut capacity = INITIAL_CAPACITY;
    while hashes.len() > capacity / 4 * 3 {
        capacity *= 2;
    }
    while hashes.len() > TREEIFY_THRESHOLD
        && capacity < MIN_TREEIFY_CAPACITY
        && has_crowded_bin(hashes, capacity)
    {
        capacity *= 2;
    }
    capacity
}

/// Whether a table of `capacity` (< 64) buckets would have a bin of more than 8 entries.
fn has_crowded_bin(hashes: &[usize], capacity: usize) -> bool {
    let mut counts = [0u8; MIN_TREEIFY_CAPACITY];
    for h in hashes {
        let c = &mut counts[h & (capacity - 1) & (MIN_TREEIFY_CAPACITY - 1)];
        *c = c.saturating_add(1);
        if usize::from(*c) > TREEIFY_THRESHOLD {
            return true;
        }
    }
    false
}

/// Reorders `items` (distinct keys, in insertion order) into the order a `HashMap` built by
/// inserting them one by one iterates them, given each key's Java `hashCode`. When a key has
/// none (`None`: a hash Java takes from the object's identity), the order is left as it is.
///
/// ```
/// use rconnect_sdk::java_hash_map::{into_iteration_order, string_hash};
/// let mut keys = vec!["z", "a", "inner", "nul"];
/// into_iteration_order(&mut keys, |k| Some(string_hash(k)));
/// assert_eq!(keys, ["a", "nul", "z", "inner"]); // as Java 17's HashMap iterates them
/// ```
pub fn into_iteration_order<T>(items: &mut Vec<T>, mut hash_code: impl FnMut(&T) -> Option<i32>) {
    if items.len() < 2 {
        return;
    }
    let mut hashes = Vec::with_capacity(items.len());
    for item in items.iter() {
        match hash_code(item) {
            Some(h) => hashes.push(spread(h)),
            None => return,
        }
    }
    let mask = table_capacity(&hashes) - 1;
    let mut keyed: Vec<(usize, T)> = hashes
        .into_iter()
        .map(|h| h & mask)
        .zip(items.drain(..))
        .collect();
    // A stable sort: insertion order within a bucket.
    keyed.sort_by_key(|(bucket, _)| *bucket);
    items.extend(keyed.into_iter().map(|(_, item)| item));
}
