//! Anchors of the audit chains: where every chain stood, signed, kept outside the store.

use portal_domain::Ik;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    /// Nanoseconds since 1970 (UTC).
    pub at: i128,
    /// Which key signed it.
    pub key: String,
    /// SHA-256 (hex) of the previous line; empty for the first.
    pub prev: String,
    pub heads: Vec<AnchoredHead>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchoredHead {
    pub ik: Ik,
    pub seq: u64,
    pub hash: String,
    /// When the head record was written (nanoseconds), for its retention.
    pub at: i128,
}
