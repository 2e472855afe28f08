//! Trait objects that cross the boundary: components (implemented in plugins) and host
//! capabilities (implemented in the host).

#![allow(missing_docs, non_camel_case_types)]

use abi_stable::sabi_trait;
use abi_stable::std_types::{RArc, RBox, ROption, RResult, RSliceMut, RStr, RString, RVec};

use super::types::{
    AbiAction_NE, AbiError, AbiHttpError, AbiHttpRequest, AbiHttpResponse, AbiOutcome_NE,
    AbiRecord, AbiSourceBatch,
};

/// What the host offers a plugin. Implemented by the host, called by plugins.
#[sabi_trait]
pub trait HostObj: Send + Sync + Clone {
    fn http(&self, request: AbiHttpRequest) -> RResult<AbiHttpResponse, AbiHttpError>;
    fn log(&self, level: u8, message: RStr<'_>);
    #[sabi(last_prefix_field)]
    fn now_unix_ms(&self) -> i64;
}

/// Owned host capabilities, shareable by every object a plugin creates.
pub type HostBox = HostObj_TO<'static, RArc<()>>;

/// A source component instance.
#[sabi_trait]
pub trait SourceObj: Send {
    fn healthcheck(&mut self) -> RResult<(), AbiError>;
    fn poll(&mut self, checkpoint: ROption<RString>) -> RResult<AbiSourceBatch, AbiError>;
    #[sabi(last_prefix_field)]
    fn fetch(&mut self, ids: RVec<RString>) -> RResult<RVec<AbiRecord>, AbiError>;
}

/// Owned source instance.
pub type SourceBox = SourceObj_TO<'static, RBox<()>>;

/// A sink component instance.
#[sabi_trait]
pub trait SinkObj: Send {
    fn healthcheck(&mut self) -> RResult<(), AbiError>;
    /// Executes the batch in `actions` and answers it in `outcomes`, slot for slot: the plugin
    /// takes action `i` out of `actions[i]` (leaving it `Vacant`) and writes its outcome over
    /// `outcomes[i]` (which the host leaves `Vacant`). Both slices are the same length and
    /// belong to the host, which keeps them from batch to batch: a batch crossing allocates
    /// nothing, and every value is written once, in place.
    #[sabi(last_prefix_field)]
    fn deliver(
        &mut self,
        actions: RSliceMut<'_, AbiAction_NE>,
        outcomes: RSliceMut<'_, AbiOutcome_NE>,
    );
}

/// Owned sink instance.
pub type SinkBox = SinkObj_TO<'static, RBox<()>>;
