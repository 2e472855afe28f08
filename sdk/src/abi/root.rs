//! The root module every plugin library exports.

#![allow(missing_docs)]

use abi_stable::library::RootModule;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{RResult, RStr};
use abi_stable::{declare_root_module_statics, StableAbi};

use super::traits::{HostBox, SinkBox, SourceBox};
use super::types::{AbiError, AbiManifest};

/// The entry points of a plugin library. A prefix type: entries may be appended after the
/// `last_prefix_field` without breaking plugins built against this version.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
pub struct PluginMod {
    pub manifest: extern "C" fn() -> RResult<AbiManifest, AbiError>,
    pub validate:
        extern "C" fn(component: RStr<'_>, config_json: RStr<'_>) -> RResult<(), AbiError>,
    pub new_source: extern "C" fn(
        component: RStr<'_>,
        config_json: RStr<'_>,
        host: HostBox,
    ) -> RResult<SourceBox, AbiError>,
    // New entry points go after this one, and are read through `Option` accessors.
    #[sabi(last_prefix_field)]
    pub new_sink: extern "C" fn(
        component: RStr<'_>,
        config_json: RStr<'_>,
        host: HostBox,
    ) -> RResult<SinkBox, AbiError>,
}

impl RootModule for PluginModRef {
    declare_root_module_statics! {PluginModRef}
    const BASE_NAME: &'static str = "sluice_plugin";
    const NAME: &'static str = "sluice plugin";
    const VERSION_STRINGS: VersionStrings = VersionStrings::new(super::ABI_VERSION);
}
