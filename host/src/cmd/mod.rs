//! One module per subcommand, each with its arguments and its `run`; the arguments they
//! share in `args.rs`. The command tree that names them all is `cli.rs`.

mod args;
mod output;
mod ticket_state;

pub(crate) mod alert_response;
pub(crate) mod alerts;
pub(crate) mod dead_letters;
pub(crate) mod demo;
pub(crate) mod emulate;
pub(crate) mod explain;
pub(crate) mod generate;
pub(crate) mod import_legacy;
pub(crate) mod move_store;
pub(crate) mod plugins;
pub(crate) mod run;
pub(crate) mod schema;
pub(crate) mod status;
pub(crate) mod validate;

pub use alert_response::AlertResponseArgs;
pub use alerts::AlertsArgs;
pub use args::{ConfigArg, GlobalArgs};
pub use dead_letters::DeadLettersArgs;
pub use demo::DemoArgs;
pub use emulate::EmulateArgs;
pub use explain::ExplainArgs;
pub use generate::GenerateArgs;
pub use import_legacy::ImportLegacyArgs;
pub use move_store::MoveStoreArgs;
pub use plugins::PluginsArgs;
pub use run::RunArgs;
pub use schema::SchemaArgs;
pub use status::StatusArgs;
pub use validate::ValidateArgs;
