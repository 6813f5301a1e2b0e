//! Short content hashes: they key the piece cache and version prompt templates and
//! glossaries, so that anything cached under other inputs is never reused.

use sha2::{Digest, Sha256};

/// The first 16 hex digits of the SHA-256 of `parts`, each ended by a newline.
pub(crate) fn content_hash<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update(b"\n");
    }
    hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
