//! The plugin side of the ABI: the root module's entry points and the trait-object adapters
//! around the author's [`Source`] and [`Sink`] types. Every call into author code is guarded.

use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{ROption, RResult, RSliceMut, RStr, RString, RVec};
use schemars::JsonSchema;

use super::guard::guarded;
use crate::abi::convert::{self, error_to_abi};
use crate::abi::root::{PluginMod, PluginModRef};
use crate::abi::traits::{
    HostBox, SinkBox, SinkObj, SinkObj_TO, SourceBox, SourceObj, SourceObj_TO,
};
use crate::abi::types::{
    AbiAction_NE, AbiError, AbiManifest, AbiOutcome_NE, AbiRecord, AbiSourceBatch,
};
use crate::{
    ActionOutcome, Checkpoint, ComponentInfo, ComponentKind, Host, PluginError, PluginManifest,
    Sink, Source, Text, TicketAction,
};

/// What `export_plugin!` generates for a plugin: its identity and its components.
pub trait PluginDef: 'static {
    /// The plugin's package name.
    const NAME: &'static str;
    /// The plugin's version.
    const VERSION: &'static str;
    /// The components, in the order `sluice plugins` lists them.
    fn components() -> Vec<Component>;
}

type NewSource = fn(&str, Host) -> Result<SourceBox, PluginError>;
type NewSink = fn(&str, Host) -> Result<SinkBox, PluginError>;

/// One component's entry in a plugin's registry.
#[derive(Debug, Clone, Copy)]
pub struct Component {
    name: &'static str,
    kind: ComponentKind,
    description: &'static str,
    schema: fn() -> serde_json::Value,
    validate: fn(&str) -> Result<(), PluginError>,
    new_source: Option<NewSource>,
    new_sink: Option<NewSink>,
}

impl Component {
    /// The entry for source `S`.
    pub fn source<S: Source>() -> Self {
        Component {
            name: S::NAME,
            kind: ComponentKind::Source,
            description: S::DESCRIPTION,
            schema: schema_of::<S::Config>,
            validate: |json| parse_config::<S::Config>(json).and_then(|c| S::validate(&c)),
            new_source: Some(new_source_of::<S>),
            new_sink: None,
        }
    }

    /// The entry for sink `S`.
    pub fn sink<S: Sink>() -> Self {
        Component {
            name: S::NAME,
            kind: ComponentKind::Sink,
            description: S::DESCRIPTION,
            schema: schema_of::<S::Config>,
            validate: |json| parse_config::<S::Config>(json).and_then(|c| S::validate(&c)),
            new_source: None,
            new_sink: Some(new_sink_of::<S>),
        }
    }
}

fn schema_of<C: JsonSchema>() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(C)).unwrap_or(serde_json::Value::Null)
}

/// Parses a component's config, naming the key path of the first problem.
fn parse_config<C: serde::de::DeserializeOwned>(json: &str) -> Result<C, PluginError> {
    let mut de = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        // serde_json appends " at line 1 column N" of the JSON we made; the user never saw it.
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_owned(),
            None => message,
        };
        let error = PluginError::config(message);
        if path == "." {
            error
        } else {
            error.at(path)
        }
    })
}

fn new_source_of<S: Source>(json: &str, host: Host) -> Result<SourceBox, PluginError> {
    let config = parse_config::<S::Config>(json)?;
    S::validate(&config)?;
    let source = S::new(config, host)?;
    Ok(SourceObj_TO::from_value(SourceAdapter(source), TD_Opaque))
}

fn new_sink_of<S: Sink>(json: &str, host: Host) -> Result<SinkBox, PluginError> {
    let config = parse_config::<S::Config>(json)?;
    S::validate(&config)?;
    let sink = S::new(config, host)?;
    Ok(SinkObj_TO::from_value(SinkAdapter(sink), TD_Opaque))
}

fn unknown_component<D: PluginDef>(kind: ComponentKind, name: &str) -> PluginError {
    let known: Vec<&str> = D::components()
        .iter()
        .filter(|c| c.kind == kind)
        .map(|c| c.name)
        .collect();
    PluginError::unsupported(format!(
        "plugin {} has no {kind} component named `{name}`; it provides: {}",
        D::NAME,
        if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        }
    ))
}

fn find<D: PluginDef>(kind: ComponentKind, name: &str) -> Result<Component, PluginError> {
    D::components()
        .into_iter()
        .find(|c| c.kind == kind && c.name == name)
        .ok_or_else(|| unknown_component::<D>(kind, name))
}

fn into_rresult<T>(result: Result<Result<T, PluginError>, PluginError>) -> RResult<T, AbiError> {
    match result.and_then(|r| r) {
        Ok(v) => RResult::ROk(v),
        Err(e) => RResult::RErr(error_to_abi(e)),
    }
}

// ---- root module entry points ------------------------------------------------------------

extern "C" fn manifest<D: PluginDef>() -> RResult<AbiManifest, AbiError> {
    into_rresult(guarded("manifest", || {
        Ok(convert::manifest_to_abi(PluginManifest {
            name: D::NAME.to_owned(),
            version: D::VERSION.to_owned(),
            sdk_version: env!("CARGO_PKG_VERSION").to_owned(),
            abi_version: crate::ABI_VERSION.to_owned(),
            components: D::components()
                .iter()
                .map(|c| ComponentInfo {
                    name: c.name.to_owned(),
                    kind: c.kind,
                    description: c.description.to_owned(),
                    config_schema: (c.schema)(),
                })
                .collect(),
        }))
    }))
}

extern "C" fn validate<D: PluginDef>(
    component: RStr<'_>,
    config_json: RStr<'_>,
) -> RResult<(), AbiError> {
    into_rresult(guarded("validate", || {
        let c = D::components()
            .into_iter()
            .find(|c| c.name == component.as_str())
            .ok_or_else(|| {
                PluginError::unsupported(format!(
                    "plugin {} has no component named `{}`",
                    D::NAME,
                    component.as_str()
                ))
            })?;
        (c.validate)(config_json.as_str())
    }))
}

extern "C" fn new_source<D: PluginDef>(
    component: RStr<'_>,
    config_json: RStr<'_>,
    host: HostBox,
) -> RResult<SourceBox, AbiError> {
    into_rresult(guarded("new_source", || {
        let c = find::<D>(ComponentKind::Source, component.as_str())?;
        let new = c
            .new_source
            .ok_or_else(|| unknown_component::<D>(ComponentKind::Source, component.as_str()))?;
        new(config_json.as_str(), Host::from_abi(host))
    }))
}

extern "C" fn new_sink<D: PluginDef>(
    component: RStr<'_>,
    config_json: RStr<'_>,
    host: HostBox,
) -> RResult<SinkBox, AbiError> {
    into_rresult(guarded("new_sink", || {
        let c = find::<D>(ComponentKind::Sink, component.as_str())?;
        let new = c
            .new_sink
            .ok_or_else(|| unknown_component::<D>(ComponentKind::Sink, component.as_str()))?;
        new(config_json.as_str(), Host::from_abi(host))
    }))
}

/// Builds the root module of plugin `D`. Called once per load by abi_stable.
pub fn root_module<D: PluginDef>() -> PluginModRef {
    PluginMod {
        manifest: manifest::<D>,
        validate: validate::<D>,
        new_source: new_source::<D>,
        new_sink: new_sink::<D>,
    }
    .leak_into_prefix()
}

// ---- component adapters ------------------------------------------------------------------

struct SourceAdapter<S>(S);

impl<S: Source> SourceObj for SourceAdapter<S> {
    fn healthcheck(&mut self) -> RResult<(), AbiError> {
        into_rresult(guarded("healthcheck", || self.0.healthcheck()))
    }

    fn poll(&mut self, checkpoint: ROption<RString>) -> RResult<AbiSourceBatch, AbiError> {
        let checkpoint = checkpoint
            .into_option()
            .map(|c| Checkpoint(c.into_string()));
        into_rresult(guarded("poll", || {
            self.0.poll(checkpoint).map(|batch| AbiSourceBatch {
                records: batch
                    .records
                    .into_iter()
                    .map(convert::record_to_abi)
                    .collect(),
                checkpoint: batch.checkpoint.0.into(),
                more: batch.more,
            })
        }))
    }

    fn fetch(&mut self, ids: RVec<RString>) -> RResult<RVec<AbiRecord>, AbiError> {
        let ids = ids.into_iter().map(RString::into_string).collect();
        into_rresult(guarded("fetch", || {
            self.0
                .fetch(ids)
                .map(|records| records.into_iter().map(convert::record_to_abi).collect())
        }))
    }
}

struct SinkAdapter<S>(S);

impl<S: Sink> SinkObj for SinkAdapter<S> {
    fn healthcheck(&mut self) -> RResult<(), AbiError> {
        into_rresult(guarded("healthcheck", || self.0.healthcheck()))
    }

    fn deliver(
        &mut self,
        mut actions: RSliceMut<'_, AbiAction_NE>,
        mut outcomes: RSliceMut<'_, AbiOutcome_NE>,
    ) {
        let count = actions.len();
        // Actions this SDK cannot decode are answered without reaching the author's code.
        // They are rare: each holds a placeholder in `decoded` (so the common case is one pass
        // that builds every action in place) until it is taken out below.
        let mut undecodable: Vec<(usize, PluginError)> = Vec::new();
        let mut decoded: Vec<TicketAction> = actions
            .iter_mut()
            .enumerate()
            .map(|(i, slot)| {
                convert::take_action(slot).unwrap_or_else(|e| {
                    undecodable.push((i, e));
                    TicketAction::Get {
                        ticket: Text::new(),
                    }
                })
            })
            .collect();
        if !undecodable.is_empty() {
            let mut placeholders = undecodable.iter().map(|(at, _)| *at).peekable();
            let mut i = 0;
            decoded.retain(|_| {
                let placeholder = placeholders.next_if_eq(&i).is_some();
                i += 1;
                !placeholder
            });
        }
        let expected = decoded.len();
        let produced = match guarded("deliver", || self.0.deliver(decoded)) {
            Ok(outcomes) if outcomes.len() == expected => outcomes,
            Ok(outcomes) => {
                let e = PluginError::internal(format!(
                    "the sink returned {} outcomes for {expected} actions",
                    outcomes.len()
                ));
                vec![ActionOutcome::Failed(e); expected]
            }
            Err(panic) => vec![ActionOutcome::Failed(panic); expected],
        };
        // One slot per action (a slot the host did not pass cannot be written: it finds the
        // outcome missing and reports it).
        let slots = outcomes.iter_mut().take(count);
        if undecodable.is_empty() {
            for (slot, outcome) in slots.zip(produced) {
                convert::put_outcome(slot, outcome);
            }
            return;
        }
        let mut produced = produced.into_iter();
        let mut undecodable = undecodable.into_iter().peekable();
        for (i, slot) in slots.enumerate() {
            let outcome = match undecodable.next_if(|(at, _)| *at == i) {
                Some((_, e)) => ActionOutcome::Failed(e),
                None => produced.next().unwrap_or_else(|| {
                    ActionOutcome::Failed(PluginError::internal("missing outcome"))
                }),
            };
            convert::put_outcome(slot, outcome);
        }
    }
}

#[cfg(test)]
mod tests {
    use abi_stable::std_types::RSliceMut;

    use super::*;
    use crate::abi::types::{AbiAction, AbiOutcome};
    use crate::{Correlation, Ticket};

    /// Answers each action with a ticket named after what it was about.
    struct Echo(Vec<usize>);

    #[derive(serde::Deserialize, JsonSchema)]
    struct NoConfig {}

    impl Sink for Echo {
        const NAME: &'static str = "echo";
        const DESCRIPTION: &'static str = "Echoes.";
        type Config = NoConfig;

        fn new(_: NoConfig, _: Host) -> Result<Self, PluginError> {
            Ok(Echo(Vec::new()))
        }

        fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome> {
            self.0.push(actions.len());
            actions
                .into_iter()
                .map(|a| {
                    let id = match a {
                        TicketAction::Create { correlation, .. } => correlation.id,
                        other => other.ticket().unwrap_or_default().into(),
                    };
                    ActionOutcome::Done(Ticket {
                        id,
                        ..Ticket::default()
                    })
                })
                .collect()
        }
    }

    fn get(ticket: &str) -> TicketAction {
        TicketAction::Get {
            ticket: ticket.into(),
        }
    }

    #[test]
    fn every_slot_is_answered_in_place_and_an_empty_one_never_reaches_the_sink() {
        let mut sink = SinkAdapter(Echo(Vec::new()));
        let mut actions: Vec<AbiAction_NE> = (0..4)
            .map(|_| AbiAction_NE::new(AbiAction::Vacant))
            .collect();
        let mut outcomes: Vec<AbiOutcome_NE> = (0..4)
            .map(|_| AbiOutcome_NE::new(AbiOutcome::Vacant))
            .collect();
        let create = TicketAction::Create {
            correlation: Correlation {
                id: "k".into(),
                display: "d".into(),
            },
            fields: Default::default(),
        };
        // Slot 2 stays empty: the plugin side must answer it without the sink.
        convert::put_action(&mut actions[0], create);
        convert::put_action(&mut actions[1], get("a"));
        convert::put_action(&mut actions[3], get("b"));

        SinkObj::deliver(
            &mut sink,
            RSliceMut::from_mut_slice(&mut actions),
            RSliceMut::from_mut_slice(&mut outcomes),
        );

        assert_eq!(sink.0 .0, [3], "the sink saw the three actions");
        assert!(actions
            .iter()
            .all(|a| matches!(a.as_enum(), Ok(AbiAction::Vacant))));
        let ids: Vec<String> = outcomes
            .iter_mut()
            .map(|slot| match convert::take_outcome(slot) {
                ActionOutcome::Done(t) => t.id.to_string(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(ids[..2], ["k", "a"]);
        assert!(ids[2].contains("an empty slot"), "{}", ids[2]);
        assert_eq!(ids[3], "b");
    }
}
