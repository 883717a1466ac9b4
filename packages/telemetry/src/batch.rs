//! The batch endpoint's wire format, `POST /v1/readings`: the request a Cube (or `cube-sim`)
//! sends and the per-item answer of the relayer.

use serde::{Deserialize, Serialize};

use crate::ReadingJson;

/// Why a reading was rejected. JSON: snake_case strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// Hex fields of the wrong length, over-long text fields.
    Malformed,
    /// The signature does not verify for the device key and this deployment's domain.
    BadSignature,
    /// The device key is not registered on chain.
    UnknownDevice,
    /// `window_end <= window_start` or the window is longer than one hour.
    BadWindow,
    /// The window ends after now + allowed clock skew.
    FutureWindow,
    /// The window touches a round that is closed for data (the relayer's round clock).
    StaleWindow,
    /// Sequence order is the reverse of window order against a stored reading (kept as
    /// evidence).
    SequenceOrder,
    /// A different reading with this sequence is stored (kept as evidence).
    SequenceConflict,
    /// The window overlaps a stored window of the device (kept as evidence).
    Overlap,
    /// More Wh than the model's rated power allows in the window.
    ImplausibleEnergy,
    /// An integer above `i64::MAX` (not storable).
    OutOfRange,
    /// Not verified: the request already held too many invalid signatures.
    SignatureBudget,
    /// The device sent more readings than its quota allows; retry later.
    DeviceQuota,
}

impl RejectReason {
    /// Every reason, in metric order.
    pub const ALL: [RejectReason; 13] = [
        RejectReason::Malformed,
        RejectReason::BadSignature,
        RejectReason::UnknownDevice,
        RejectReason::BadWindow,
        RejectReason::FutureWindow,
        RejectReason::StaleWindow,
        RejectReason::SequenceOrder,
        RejectReason::SequenceConflict,
        RejectReason::Overlap,
        RejectReason::ImplausibleEnergy,
        RejectReason::OutOfRange,
        RejectReason::SignatureBudget,
        RejectReason::DeviceQuota,
    ];

    /// Position in [`Self::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// snake_case name (JSON and metric label).
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Malformed => "malformed",
            RejectReason::BadSignature => "bad_signature",
            RejectReason::UnknownDevice => "unknown_device",
            RejectReason::BadWindow => "bad_window",
            RejectReason::FutureWindow => "future_window",
            RejectReason::StaleWindow => "stale_window",
            RejectReason::SequenceOrder => "sequence_order",
            RejectReason::SequenceConflict => "sequence_conflict",
            RejectReason::Overlap => "overlap",
            RejectReason::ImplausibleEnergy => "implausible_energy",
            RejectReason::OutOfRange => "out_of_range",
            RejectReason::SignatureBudget => "signature_budget",
            RejectReason::DeviceQuota => "device_quota",
        }
    }
}

/// Status of one item of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Stored now.
    Accepted,
    /// Already stored identically (success).
    Duplicate,
    /// Not stored; see `reason`.
    Rejected,
}

/// Result of one item, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    /// Index in the request's `readings`.
    pub index: usize,
    /// Outcome.
    pub status: ItemStatus,
    /// Present when rejected.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<RejectReason>,
    /// Rejected, but stored as evidence of a conflict (see the module documentation).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub evidence: bool,
}

/// `POST /v1/readings` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// Signed readings.
    pub readings: Vec<ReadingJson>,
}

/// `POST /v1/readings` response (HTTP 200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResponse {
    /// Newly stored.
    pub accepted: usize,
    /// Idempotent resends.
    pub duplicates: usize,
    /// Rejected (evidence included).
    pub rejected: usize,
    /// Rejected but stored as evidence of a conflict.
    #[serde(default)]
    pub evidence: usize,
    /// One per request item, in order.
    pub results: Vec<ItemResult>,
}
