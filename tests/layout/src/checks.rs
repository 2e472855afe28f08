//! The checks over a whole workspace, and their reports.

use std::fmt;
use std::path::Path;

use crate::graph::{Cycle, ModuleGraph};
use crate::length::{FunctionSpan, ALLOWED_LONG_FUNCTIONS, MAX_FUNCTION_LINES};
use crate::modules::CrateModules;
use crate::workspace::{CrateSources, Workspace};

/// Every product function of the workspace, and those over the limit.
#[derive(Debug)]
pub struct LengthReport {
    /// How many functions were measured (so a scan that found nothing cannot pass).
    pub measured: usize,
    /// Functions over [`MAX_FUNCTION_LINES`] and not allowed, by file and line.
    pub too_long: Vec<FunctionSpan>,
    /// Entries of [`ALLOWED_LONG_FUNCTIONS`] that match no function over the limit any more.
    pub stale_allowances: Vec<(&'static str, &'static str)>,
}

impl LengthReport {
    /// Measures every function of the workspace's product files.
    pub fn of(workspace: &Workspace) -> Self {
        let spans: Vec<FunctionSpan> = workspace
            .files()
            .flat_map(|file| file.functions.iter().cloned())
            .collect();
        let over: Vec<&FunctionSpan> = spans
            .iter()
            .filter(|span| span.lines > MAX_FUNCTION_LINES)
            .collect();
        let stale_allowances = ALLOWED_LONG_FUNCTIONS
            .iter()
            .filter(|(file, name)| {
                !over
                    .iter()
                    .any(|span| span.file == Path::new(file) && span.bare_name() == *name)
            })
            .copied()
            .collect();
        LengthReport {
            measured: spans.len(),
            too_long: over
                .into_iter()
                .filter(|s| !s.is_allowed())
                .cloned()
                .collect(),
            stale_allowances,
        }
    }

    /// True when nothing needs fixing.
    pub fn is_clean(&self) -> bool {
        self.too_long.is_empty() && self.stale_allowances.is_empty()
    }
}

impl fmt::Display for LengthReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.too_long.is_empty() {
            writeln!(
                f,
                "{} product functions are longer than {MAX_FUNCTION_LINES} lines (from the `fn` \
                 line to the closing brace); split each into named steps:",
                self.too_long.len()
            )?;
            for span in &self.too_long {
                writeln!(f, "  {span}")?;
            }
        }
        for (file, name) in &self.stale_allowances {
            writeln!(
                f,
                "ALLOWED_LONG_FUNCTIONS lists {file} `{name}`, which is no longer over \
                 {MAX_FUNCTION_LINES} lines (or no longer exists): remove the entry"
            )?;
        }
        Ok(())
    }
}

/// The declarations and references of a crate's main module tree.
fn crate_modules(krate: &CrateSources) -> CrateModules {
    let mut modules = CrateModules::default();
    for file in &krate.files {
        modules.merge(&file.modules);
    }
    modules
}

/// The module graphs a crate is checked on: its top-level modules, and the children of each
/// top-level module that has at least two.
///
/// Scope: two levels, on purpose. The top level is the crate's layering; the second level is
/// the inside of one layer (the pipeline's stages in data-flow order). Deeper modules are a
/// stage's own helpers, whose order is the stage's business.
pub fn crate_graphs(krate: &CrateSources) -> Vec<ModuleGraph> {
    let modules = crate_modules(krate);
    let src = krate.dir.join("src");
    let mut graphs = vec![modules.graph(
        format!("{} ({}), top-level modules", krate.package, src.display()),
        &[],
    )];
    for parent in modules.children(&[]) {
        if modules.children(std::slice::from_ref(&parent)).len() >= 2 {
            let scope = format!(
                "{} ({}), modules of `{parent}`",
                krate.package,
                src.join(&parent).display()
            );
            graphs.push(modules.graph(scope, &[parent]));
        }
    }
    graphs
}

/// Every module cycle of the workspace.
#[derive(Debug)]
pub struct CycleReport {
    /// How many graphs were checked.
    pub graphs: usize,
    /// How many modules they hold together (so a scan that found nothing cannot pass).
    pub modules: usize,
    /// The cycles found.
    pub cycles: Vec<Cycle>,
}

impl CycleReport {
    /// Checks every crate of the workspace.
    pub fn of(workspace: &Workspace) -> Self {
        let graphs: Vec<ModuleGraph> = workspace.crates.iter().flat_map(crate_graphs).collect();
        CycleReport {
            graphs: graphs.len(),
            modules: graphs.iter().map(|graph| graph.nodes().count()).sum(),
            cycles: graphs.iter().flat_map(ModuleGraph::cycles).collect(),
        }
    }
}

impl fmt::Display for CycleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} module cycles; modules should depend on each other in one direction only. \
             Break each cycle by moving what both sides need into the lower module (or a new \
             one), or by inverting the dependency with a trait or a callback:",
            self.cycles.len()
        )?;
        for cycle in &self.cycles {
            write!(f, "  {cycle}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_module_cycle_in_a_crate_is_reported() {
        let krate = CrateSources::from_sources(
            "demo",
            "demo",
            &[
                ("src/lib.rs", "mod a; mod b; mod c; mod p;"),
                ("src/a.rs", "use crate::{b::X, c};"),
                ("src/b.rs", "pub struct X; fn f() { crate::a::g(); }"),
                ("src/c.rs", ""),
                ("src/p/mod.rs", "mod one; mod two;"),
                ("src/p/one.rs", "use super::two::Y;"),
                ("src/p/two.rs", "use crate::p::one::Z;"),
            ],
        )
        .expect("sources parse");
        let graphs = crate_graphs(&krate);
        assert_eq!(graphs.len(), 2, "the crate's top level and p's children");
        assert_eq!(graphs[0].edge_count(), 3);
        let cycles: Vec<String> = graphs
            .iter()
            .flat_map(ModuleGraph::cycles)
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            cycles,
            [
                "demo (demo/src), top-level modules: a -> b -> a\n    \
                 a -> b: demo/src/a.rs:1  use crate::b::X\n    \
                 b -> a: demo/src/b.rs:1  crate::a::g\n",
                "demo (demo/src/p), modules of `p`: one -> two -> one\n    \
                 one -> two: demo/src/p/one.rs:1  use super::two::Y\n    \
                 two -> one: demo/src/p/two.rs:1  use crate::p::one::Z\n",
            ]
        );
    }
}
