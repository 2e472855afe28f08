//! The `#[repr(C)]` mirror types that cross the plugin boundary.

use abi_stable::std_types::{RBox, ROption, RString, RVec};
use abi_stable::StableAbi;

/// Where one field is in an [`AbiFields`] buffer: name `start..mid`, value `mid..end`.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AbiSpan {
    pub start: u32,
    pub mid: u32,
    pub end: u32,
}

/// Named values packed into one buffer: two allocations cross, however many fields.
#[repr(C)]
#[derive(StableAbi, Debug, Clone)]
pub struct AbiFields {
    pub text: RString,
    pub spans: RVec<AbiSpan>,
}

/// One entry of a record's detail list (Netwrix `DetailList/Detail`).
#[repr(C)]
#[derive(StableAbi, Debug, Clone)]
pub struct AbiDetail {
    pub property: RString,
    pub before: ROption<RString>,
    pub after: ROption<RString>,
    pub message: ROption<RString>,
}

/// A record from a source.
#[repr(C)]
#[derive(StableAbi, Debug, Clone)]
pub struct AbiRecord {
    pub id: RString,
    pub time_unix_ms: ROption<i64>,
    pub fields: AbiFields,
    pub details: RVec<AbiDetail>,
    /// Exists only in the drifted test build, to change the layout the loader checks.
    #[cfg(feature = "__test_layout_drift")]
    pub drift: u64,
}

/// A batch returned by `poll`.
#[repr(C)]
#[derive(StableAbi, Debug)]
pub struct AbiSourceBatch {
    pub records: RVec<AbiRecord>,
    pub checkpoint: RString,
    pub more: bool,
}

/// Error kind codes; see `crate::ErrorKind`. A `u8` so kinds can be added.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbiErrorKind(pub u8);

/// An error crossing the boundary.
#[repr(C)]
#[derive(StableAbi, Debug, Clone)]
pub struct AbiError {
    pub kind: AbiErrorKind,
    pub message: RString,
    pub key_path: ROption<RString>,
    pub retry_after_ms: ROption<u64>,
}

/// Which journal a note goes to.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbiJournal(pub u8);

/// State change kind codes; see `crate::StateChange`. A `u8` so kinds can be added.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbiStateChangeKind(pub u8);

/// A ticket action. Non-exhaustive across the ABI: a newer host may send variants an older
/// plugin does not know, which the plugin side answers with an "unsupported" failure.
#[repr(u8)]
#[derive(StableAbi, Debug)]
// Inline storage of 17 words: exactly the largest variants (Create and Attach: four 4-word
// buffers, plus the discriminant). Every action of a batch is moved and copied at this size, so
// the storage has no spare words: a variant added later whose payload is larger (or a rare one,
// like ChangeState) keeps it behind an `RBox`, one word pair inline.
#[sabi(kind(WithNonExhaustive(size = [usize; 17], traits(Debug))))]
#[non_exhaustive]
pub enum AbiAction {
    Create {
        correlation_id: RString,
        correlation_display: RString,
        fields: AbiFields,
    },
    Update {
        ticket: RString,
        fields: AbiFields,
    },
    AddNote {
        ticket: RString,
        journal: AbiJournal,
        text: RString,
    },
    Attach {
        ticket: RString,
        file_name: RString,
        content_type: RString,
        content: RVec<u8>,
    },
    ChangeState {
        ticket: RString,
        change: RBox<AbiStateChange>,
    },
    Get {
        ticket: RString,
    },
    FindByCorrelation {
        correlation_id: RString,
    },
    /// An empty slot: what the plugin leaves when it takes an action out (see
    /// `SinkObj::deliver`). Never a request.
    Vacant,
}

/// The payload of `AbiAction::ChangeState`: rare and large (15 words), so it is boxed rather
/// than making every action's inline storage bigger.
#[repr(C)]
#[derive(StableAbi, Debug)]
pub struct AbiStateChange {
    pub kind: AbiStateChangeKind,
    pub to: RString,
    pub only_from: RVec<RString>,
    pub close_code: ROption<RString>,
    pub close_notes: ROption<RString>,
}

/// A ticket as the sink reports it.
#[repr(C)]
#[derive(StableAbi, Debug, Clone)]
pub struct AbiTicket {
    pub id: RString,
    pub number: RString,
    pub link: RString,
    pub state: RString,
    pub fields: AbiFields,
    pub display: AbiFields,
}

/// The outcome of one action. Non-exhaustive across the ABI.
#[repr(u8)]
#[derive(StableAbi, Debug)]
// Inline storage of 33 words: exactly `Done(AbiTicket)` (32 words plus the discriminant), the
// outcome of nearly every action. A variant added later that does not fit keeps its payload
// behind an `RBox`. Boxing the ticket instead would cost an allocation and a free per outcome,
// more than moving it.
#[sabi(kind(WithNonExhaustive(size = [usize; 33], traits(Debug))))]
#[non_exhaustive]
pub enum AbiOutcome {
    Done(AbiTicket),
    Unchanged(AbiTicket),
    NotFound,
    Retry {
        reason: RString,
        retry_after_ms: ROption<u64>,
    },
    Failed(AbiError),
    /// An empty slot: what the host leaves when it takes an outcome out (see
    /// `SinkObj::deliver`). Found after a call, it means the sink gave no outcome.
    Vacant,
    /// Sent, result unknown. Added after `Vacant`: a non-exhaustive enum grows at its end.
    InDoubt {
        reason: RString,
    },
}

/// An HTTP request a plugin asks the host to execute.
#[repr(C)]
#[derive(StableAbi, Debug)]
pub struct AbiHttpRequest {
    pub method: RString,
    pub url: RString,
    pub headers: AbiFields,
    pub body: RVec<u8>,
    pub timeout_ms: u64,
    pub auth: ROption<AbiHttpAuth>,
}

/// Authentication scheme codes; see `crate::AuthScheme`. A `u8` so schemes can be added.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbiAuthScheme(pub u8);

/// The credentials of an [`AbiHttpRequest`].
#[repr(C)]
#[derive(StableAbi, Debug)]
pub struct AbiHttpAuth {
    pub scheme: AbiAuthScheme,
    pub username: RString,
    pub password: RString,
}

/// The response the host got.
#[repr(C)]
#[derive(StableAbi, Debug)]
pub struct AbiHttpResponse {
    pub status: u16,
    pub headers: AbiFields,
    pub body: RVec<u8>,
}

/// Transport error kind codes; see `crate::HttpErrorKind`.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbiHttpErrorKind(pub u8);

/// A transport error (no HTTP response at all).
#[repr(C)]
#[derive(StableAbi, Debug)]
pub struct AbiHttpError {
    pub kind: AbiHttpErrorKind,
    pub message: RString,
}

/// Component kind codes.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbiComponentKind(pub u8);

/// One component a plugin provides.
#[repr(C)]
#[derive(StableAbi, Debug)]
pub struct AbiComponentInfo {
    pub name: RString,
    pub kind: AbiComponentKind,
    pub description: RString,
    pub config_schema: RString,
}

/// What a plugin says about itself.
#[repr(C)]
#[derive(StableAbi, Debug)]
pub struct AbiManifest {
    pub name: RString,
    pub version: RString,
    pub sdk_version: RString,
    pub abi_version: RString,
    pub components: RVec<AbiComponentInfo>,
}
