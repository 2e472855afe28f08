//! The host side: loading plugin libraries ([`Plugin`]) and calling their components
//! ([`SourceInstance`], [`SinkInstance`]).
//!
//! Libraries are loaded once and never unloaded (abi_stable leaks them on purpose: code of an
//! unloaded library could still be referenced). Each file is loaded with its own header and
//! checked on its own, so one bad file never prevents loading the others. On Linux a file is
//! first checked to export sluice's root module (`loader/elf.rs`), so a library that is no
//! plugin is refused without being loaded, and none of its code (its constructors) runs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use abi_stable::library::{lib_header_from_path, LibraryError, RootModuleError};
use abi_stable::std_types::{ROption, RStr, RString, RVec};

use crate::abi::convert;
use crate::abi::root::PluginModRef;
use crate::abi::traits::{SinkBox, SourceBox};
use crate::abi::types::{AbiAction, AbiAction_NE, AbiOutcome, AbiOutcome_NE};
use crate::{
    ActionOutcome, Capabilities, Checkpoint, ComponentKind, Host, PluginError, PluginManifest,
    Record, SourceBatch, TicketAction,
};

#[cfg(target_os = "linux")]
mod elf;

/// A loaded plugin library.
pub struct Plugin {
    path: Option<PathBuf>,
    module: PluginModRef,
    manifest: PluginManifest,
}

impl Plugin {
    /// Loads the plugin library at `path`, checking its ABI version and type layouts. On
    /// Linux, a file whose ELF dynamic symbols do not include sluice's root module is refused
    /// before it is loaded, so its constructors never run.
    ///
    /// # Errors
    ///
    /// A [`LoadError`] whose `Display` is one short paragraph for the operator (the file, what
    /// differs, what to do) and whose [`LoadError::detail`] holds the long form (abi_stable's
    /// layout comparison), for `-v`.
    pub fn load(path: impl AsRef<Path>) -> Result<Plugin, LoadError> {
        let path = path.as_ref();
        #[cfg(target_os = "linux")]
        elf::check(path).map_err(|(kind, detail)| LoadError {
            detail,
            ..LoadError::new(path.to_owned(), kind)
        })?;
        let fail = |e: LibraryError| LoadError::from_library(path, e);
        let header = lib_header_from_path(path).map_err(fail)?;
        let module = header.init_root_module::<PluginModRef>().map_err(fail)?;
        Self::with_module(Some(path.to_owned()), module)
    }

    #[doc(hidden)]
    pub fn __in_process(module: PluginModRef) -> Result<Plugin, LoadError> {
        Self::with_module(None, module)
    }

    fn with_module(path: Option<PathBuf>, module: PluginModRef) -> Result<Plugin, LoadError> {
        let display_path = path
            .clone()
            .unwrap_or_else(|| PathBuf::from("<in-process>"));
        let manifest = match (module.manifest())().into_result() {
            Ok(m) => convert::manifest_from_abi(m),
            Err(e) => {
                return Err(LoadError::new(
                    display_path,
                    LoadErrorKind::InitFailed(convert::error_from_abi(e).to_string()),
                ))
            }
        };
        // abi_stable refuses only a plugin whose `0.y` is older than ours; for sluice any
        // other `0.y` is a breaking change too, so check the version the plugin reports.
        if !same_abi_series(&manifest.abi_version, crate::ABI_VERSION) {
            return Err(LoadError::new(
                display_path,
                LoadErrorKind::IncompatibleVersion {
                    expected: crate::ABI_VERSION.to_owned(),
                    found: manifest.abi_version,
                },
            ));
        }
        Ok(Plugin {
            path,
            module,
            manifest,
        })
    }

    /// The file it was loaded from; `None` for an in-process plugin.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The same plugin, said to come from `path`: the file the user installed, when the host
    /// loaded a private copy of it (so that replacing that file cannot touch running code).
    pub fn loaded_as(mut self, path: PathBuf) -> Self {
        self.path = Some(path);
        self
    }

    /// Its name, version, SDK version and components.
    pub fn manifest(&self) -> &PluginManifest {
        &self.manifest
    }

    /// Validates a component's config without building it (no IO).
    pub fn validate_config(
        &self,
        component: &str,
        config: &serde_json::Value,
    ) -> Result<(), PluginError> {
        let json = config.to_string();
        (self.module.validate())(RStr::from_str(component), RStr::from_str(&json))
            .into_result()
            .map_err(convert::error_from_abi)
    }

    /// Builds source `component` from `config`, giving it `capabilities`.
    pub fn new_source(
        &self,
        component: &str,
        config: &serde_json::Value,
        capabilities: Arc<dyn Capabilities>,
    ) -> Result<SourceInstance, PluginError> {
        self.expect_component(ComponentKind::Source, component)?;
        let json = config.to_string();
        let host = Host::from_arc(capabilities).into_abi();
        (self.module.new_source())(RStr::from_str(component), RStr::from_str(&json), host)
            .into_result()
            .map(|inner| SourceInstance { inner })
            .map_err(convert::error_from_abi)
    }

    /// Builds sink `component` from `config`, giving it `capabilities`.
    pub fn new_sink(
        &self,
        component: &str,
        config: &serde_json::Value,
        capabilities: Arc<dyn Capabilities>,
    ) -> Result<SinkInstance, PluginError> {
        self.expect_component(ComponentKind::Sink, component)?;
        let json = config.to_string();
        let host = Host::from_arc(capabilities).into_abi();
        (self.module.new_sink())(RStr::from_str(component), RStr::from_str(&json), host)
            .into_result()
            .map(|inner| SinkInstance {
                inner,
                actions: RVec::new(),
                outcomes: RVec::new(),
            })
            .map_err(convert::error_from_abi)
    }

    fn expect_component(&self, kind: ComponentKind, name: &str) -> Result<(), PluginError> {
        if self.manifest.component(kind, name).is_some() {
            return Ok(());
        }
        let known: Vec<&str> = self
            .manifest
            .components
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| c.name.as_str())
            .collect();
        Err(PluginError::unsupported(format!(
            "plugin {} has no {kind} named `{name}`; it provides: {}",
            self.manifest.name,
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )))
    }
}

impl fmt::Debug for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("path", &self.path)
            .field("manifest", &self.manifest.name)
            .finish_non_exhaustive()
    }
}

/// Whether two ABI versions are compatible: the same `major.minor` for `0.y`, the same major
/// otherwise (a higher minor only adds prefix-type entries).
fn same_abi_series(found: &str, expected: &str) -> bool {
    let parts = |v: &str| -> Option<(u32, u32)> {
        let mut it = v.split('.').map(str::parse::<u32>);
        Some((it.next()?.ok()?, it.next()?.ok()?))
    };
    match (parts(found), parts(expected)) {
        (Some((0, fm)), Some((0, em))) => fm == em,
        (Some((fmaj, _)), Some((emaj, _))) => fmaj == emaj,
        _ => false,
    }
}

/// A source component built by a plugin. Calls block; run them off the async executor.
pub struct SourceInstance {
    inner: SourceBox,
}

impl SourceInstance {
    /// See [`crate::Source::healthcheck`].
    pub fn healthcheck(&mut self) -> Result<(), PluginError> {
        self.inner
            .healthcheck()
            .into_result()
            .map_err(convert::error_from_abi)
    }

    /// See [`crate::Source::poll`].
    pub fn poll(&mut self, checkpoint: Option<Checkpoint>) -> Result<SourceBatch, PluginError> {
        let checkpoint: ROption<RString> = checkpoint.map(|c| RString::from(c.0)).into();
        self.inner
            .poll(checkpoint)
            .into_result()
            .map(|batch| SourceBatch {
                records: batch
                    .records
                    .into_iter()
                    .map(convert::record_from_abi)
                    .collect(),
                checkpoint: Checkpoint(batch.checkpoint.into_string()),
                more: batch.more,
            })
            .map_err(convert::error_from_abi)
    }

    /// See [`crate::Source::fetch`].
    pub fn fetch(&mut self, ids: Vec<String>) -> Result<Vec<Record>, PluginError> {
        let ids: RVec<RString> = ids.into_iter().map(RString::from).collect();
        self.inner
            .fetch(ids)
            .into_result()
            .map(|records| records.into_iter().map(convert::record_from_abi).collect())
            .map_err(convert::error_from_abi)
    }
}

impl fmt::Debug for SourceInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceInstance").finish_non_exhaustive()
    }
}

/// A sink component built by a plugin. Calls block; run them off the async executor.
pub struct SinkInstance {
    inner: SinkBox,
    /// The slots a batch crosses in, kept from batch to batch (see [`SinkInstance::deliver`]).
    /// Between calls every slot is vacant.
    actions: RVec<AbiAction_NE>,
    outcomes: RVec<AbiOutcome_NE>,
}

impl SinkInstance {
    /// See [`crate::Sink::healthcheck`].
    pub fn healthcheck(&mut self) -> Result<(), PluginError> {
        self.inner
            .healthcheck()
            .into_result()
            .map_err(convert::error_from_abi)
    }

    /// See [`crate::Sink::deliver`]. Always returns exactly one outcome per action.
    ///
    /// The batch crosses in slots this instance keeps (about 420 bytes per action of the
    /// largest batch so far): each action is written into its slot and each outcome read out
    /// of its slot in place, and a batch allocates nothing for its transport, which keeps a
    /// large one clear of the allocator's large-block path.
    pub fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome> {
        let count = actions.len();
        if self.actions.len() < count {
            let more = count - self.actions.len();
            self.actions.reserve_exact(more);
            self.outcomes.reserve_exact(more);
            for _ in 0..more {
                self.actions.push(AbiAction_NE::new(AbiAction::Vacant));
                self.outcomes.push(AbiOutcome_NE::new(AbiOutcome::Vacant));
            }
        }
        let (slots, outcomes) = (&mut self.actions[..count], &mut self.outcomes[..count]);
        for (slot, action) in slots.iter_mut().zip(actions) {
            convert::put_action(slot, action);
        }
        self.inner.deliver(slots.into(), outcomes.into());
        // A slot the plugin left vacant becomes a failure (`take_outcome`); an action it did
        // not take is dropped here.
        for slot in slots.iter_mut() {
            convert::clear_action(slot);
        }
        outcomes.iter_mut().map(convert::take_outcome).collect()
    }
}

impl fmt::Debug for SinkInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SinkInstance").finish_non_exhaustive()
    }
}

/// Why a library was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadErrorKind {
    /// The file cannot be opened as a shared library (not one, or missing dependencies).
    NotALibrary(String),
    /// A shared library that exports no sluice root module.
    NotAPlugin,
    /// Built against a sluice-sdk with another ABI version.
    IncompatibleVersion {
        /// The ABI version this host speaks.
        expected: String,
        /// The ABI version the plugin was built with.
        found: String,
    },
    /// Same ABI version, but the shared types' layouts differ: built against a modified or
    /// mismatched sluice-sdk.
    IncompatibleLayout,
    /// Built with an incompatible version of the underlying ABI library (abi_stable), or a
    /// compiler whose C ABI differs.
    IncompatibleToolchain,
    /// The plugin loaded but failed to initialise.
    InitFailed(String),
}

/// A plugin library that was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    path: PathBuf,
    kind: LoadErrorKind,
    detail: Option<String>,
}

impl LoadError {
    fn new(path: PathBuf, kind: LoadErrorKind) -> Self {
        LoadError {
            path,
            kind,
            detail: None,
        }
    }

    fn from_library(path: &Path, error: LibraryError) -> Self {
        let path = path.to_owned();
        match error {
            LibraryError::OpenError { err, .. } => {
                Self::new(path, LoadErrorKind::NotALibrary(err.to_string()))
            }
            LibraryError::GetSymbolError { .. } => Self::new(path, LoadErrorKind::NotAPlugin),
            LibraryError::IncompatibleVersionNumber {
                expected_version,
                actual_version,
                ..
            } => Self::new(
                path,
                LoadErrorKind::IncompatibleVersion {
                    expected: expected_version.to_string(),
                    found: actual_version.to_string(),
                },
            ),
            LibraryError::ParseVersionError(e) => LoadError {
                detail: Some(e.to_string()),
                ..Self::new(
                    path,
                    LoadErrorKind::IncompatibleVersion {
                        expected: crate::ABI_VERSION.to_owned(),
                        found: "unreadable".to_owned(),
                    },
                )
            },
            LibraryError::AbiInstability(e) => LoadError {
                detail: Some(e.to_string()),
                ..Self::new(path, LoadErrorKind::IncompatibleLayout)
            },
            LibraryError::InvalidAbiHeader(h) => LoadError {
                detail: Some(format!("abi_stable header of the library: {h:?}")),
                ..Self::new(path, LoadErrorKind::IncompatibleToolchain)
            },
            LibraryError::InvalidCAbi { expected, found } => LoadError {
                detail: Some(format!("expected C ABI {expected}, found {found}")),
                ..Self::new(path, LoadErrorKind::IncompatibleToolchain)
            },
            LibraryError::RootModule { err, .. } => {
                let why = match err {
                    RootModuleError::Returned(e) => e.to_string(),
                    RootModuleError::Unwound => "its root module constructor panicked".to_owned(),
                };
                Self::new(path, LoadErrorKind::InitFailed(why))
            }
            LibraryError::Many(errors) => match errors.into_iter().next() {
                Some(first) => Self::from_library(&path, first),
                None => Self::new(path, LoadErrorKind::InitFailed("unknown error".to_owned())),
            },
        }
    }

    /// The file that was refused.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Why.
    pub fn kind(&self) -> &LoadErrorKind {
        &self.kind
    }

    /// The long form (abi_stable's layout comparison, for example), for `-v`.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The same refusal, said of `path`: the file the user installed, when the host tried a
    /// private copy of it.
    pub fn loaded_as(mut self, path: PathBuf) -> Self {
        self.path = path;
        self
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.kind {
            LoadErrorKind::NotALibrary(why) => write!(
                f,
                "{path} is not a sluice plugin: it cannot be opened as a shared library ({why}). \
                 Move it out of the plugin directory."
            ),
            LoadErrorKind::NotAPlugin => write!(
                f,
                "{path} is not a sluice plugin: it is a shared library but exports no sluice \
                 root module. If it should be a plugin, build it with sluice_sdk::export_plugin!; \
                 otherwise move it out of the plugin directory."
            ),
            LoadErrorKind::IncompatibleVersion { expected, found } => write!(
                f,
                "{path} was refused: it was built against sluice plugin ABI {found}, and this \
                 sluice speaks ABI {expected}. Rebuild the plugin against the sluice-sdk that \
                 matches this sluice (ABI {expected}), or run the sluice it was built for."
            ),
            LoadErrorKind::IncompatibleLayout => write!(
                f,
                "{path} was refused: it claims ABI {}, but the layout of the types it shares \
                 with sluice differs, so it was built against a modified or mismatched \
                 sluice-sdk. Rebuild it against the sluice-sdk this sluice was built with. \
                 (Run with -v for the layout comparison.)",
                crate::ABI_VERSION
            ),
            LoadErrorKind::IncompatibleToolchain => write!(
                f,
                "{path} was refused: it was built with an incompatible version of the plugin \
                 ABI library or compiler. Rebuild it with the same toolchain and sluice-sdk as \
                 this sluice. (Run with -v for details.)"
            ),
            LoadErrorKind::InitFailed(why) => {
                write!(f, "{path} failed to initialise as a sluice plugin: {why}")
            }
        }
    }
}

impl std::error::Error for LoadError {}
