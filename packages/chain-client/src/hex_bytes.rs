//! Serde for fixed-size byte arrays as lower-case hex strings (keys and signatures in files
//! people read: the fleet manifest, the relayers' device directory).

use serde::{Deserialize, Deserializer, Serializer};

/// `#[serde(with = "chain_client::hex_bytes")]` on a `[u8; N]` field.
pub fn serialize<S: Serializer, const N: usize>(bytes: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(bytes))
}

/// See [`serialize`].
pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(d: D) -> Result<[u8; N], D::Error> {
    let text = String::deserialize(d)?;
    let mut out = [0u8; N];
    hex::decode_to_slice(&text, &mut out).map_err(|e| {
        serde::de::Error::custom(format!("expected {N} bytes as hex, got {text:?}: {e}"))
    })?;
    Ok(out)
}
