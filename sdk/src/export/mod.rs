//! The plugin side: [`export_plugin!`](crate::export_plugin) and what it expands to.

pub(crate) mod glue;
mod guard;

/// Declares a plugin library: its sources and sinks. Put it once in the plugin crate's
/// `lib.rs`; the crate must be a `cdylib` (add `"rlib"` too, for tests).
///
/// It exports the root module the host loads (with its ABI version and type layouts, checked
/// at load), wraps every entry point in `catch_unwind` so that a panic becomes an error and
/// never aborts the host, and checks at compile time that each type implements
/// [`Source`](crate::Source) or [`Sink`](crate::Sink).
///
/// It also defines `pub fn in_process() -> Result<sluice_sdk::Plugin, sluice_sdk::LoadError>`
/// in your crate, the same plugin
/// without dynamic loading, for your tests.
///
/// `name` is how `sluice plugins` and error messages call the plugin; it defaults to the
/// crate's package name.
///
/// ```
/// # use schemars::JsonSchema;
/// # use serde::Deserialize;
/// # use sluice_sdk::{Checkpoint, Host, PluginError, Record, Source, SourceBatch};
/// # #[derive(Deserialize, JsonSchema)]
/// # struct Config {}
/// # struct NetwrixAuditor;
/// # impl Source for NetwrixAuditor {
/// #     const NAME: &'static str = "netwrix_auditor";
/// #     const DESCRIPTION: &'static str = "Reads Netwrix Auditor activity records.";
/// #     type Config = Config;
/// #     fn new(_: Config, _: Host) -> Result<Self, PluginError> { Ok(NetwrixAuditor) }
/// #     fn poll(&mut self, c: Option<Checkpoint>) -> Result<SourceBatch, PluginError> {
/// #         Ok(SourceBatch { records: Vec::new(), checkpoint: c.unwrap_or_default(), more: false })
/// #     }
/// #     fn fetch(&mut self, _: Vec<String>) -> Result<Vec<Record>, PluginError> { Ok(Vec::new()) }
/// # }
/// sluice_sdk::export_plugin! {
///     name: "netwrix-auditor",
///     sources: [NetwrixAuditor],
/// }
/// # fn main() {
/// #     assert_eq!(in_process().unwrap().manifest().name, "netwrix-auditor");
/// # }
/// ```
#[macro_export]
macro_rules! export_plugin {
    ( name: $name:literal, $( $kind:ident : [ $( $component:ty ),* $(,)? ] ),* $(,)? ) => {
        $crate::export_plugin!(@with_name $name; $( $kind: [ $( $component ),* ] ),*);
    };
    ( $( $kind:ident : [ $( $component:ty ),* $(,)? ] ),* $(,)? ) => {
        $crate::export_plugin!(@with_name ::core::env!("CARGO_PKG_NAME"); $( $kind: [ $( $component ),* ] ),*);
    };
    ( @with_name $name:expr; $( $kind:ident : [ $( $component:ty ),* ] ),* ) => {
        #[doc(hidden)]
        #[derive(Debug)]
        pub struct __SluicePlugin;

        impl $crate::__private::PluginDef for __SluicePlugin {
            const NAME: &'static str = $name;
            const VERSION: &'static str = ::core::env!("CARGO_PKG_VERSION");
            fn components() -> ::std::vec::Vec<$crate::__private::Component> {
                ::std::vec![ $( $( $crate::__private::$kind::<$component>(), )* )* ]
            }
        }

        /// The header abi_stable's loader looks for (the same static `#[export_root_module]`
        /// emits, written here so plugins need no direct abi_stable dependency).
        #[doc(hidden)]
        #[allow(unsafe_code, non_upper_case_globals)]
        #[no_mangle]
        pub static _1as_0lib_1header_0root_bmodule_bloader:
            $crate::__private::abi_stable::library::LibHeader = {
            extern "C" fn __sluice_erased_module(
            ) -> $crate::__private::abi_stable::library::RootModuleResult {
                $crate::__private::abi_stable::library::__call_root_module_loader(
                    $crate::__private::root_module::<__SluicePlugin>,
                )
            }
            // SAFETY: the constructor returns the root module type named here, as
            // `#[export_root_module]` guarantees for its own expansion.
            unsafe {
                $crate::__private::abi_stable::library::LibHeader::from_constructor::<
                    $crate::__private::PluginModRef,
                >(
                    __sluice_erased_module,
                    $crate::__private::abi_stable::library::CheckTypeLayout::Yes,
                )
            }
        };

        /// This plugin, registered in-process instead of loaded from a file: for tests.
        pub fn in_process() -> ::core::result::Result<$crate::Plugin, $crate::LoadError> {
            $crate::Plugin::__in_process($crate::__private::root_module::<__SluicePlugin>())
        }
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn exported_header_symbol_is_the_one_abi_stable_looks_up() {
        assert_eq!(
            abi_stable::library::ROOT_MODULE_LOADER_NAME,
            "_1as_0lib_1header_0root_bmodule_bloader"
        );
    }
}
