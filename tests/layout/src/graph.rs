//! A directed graph of sibling modules and its cycles.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::path::PathBuf;

/// Where an edge comes from: one reference, in one file, on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The file, relative to the workspace root.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// The reference as a path, `use crate::b::X` for a `use` item (one leaf of a grouped
    /// `use`), `crate::b::f` for a path in code.
    pub code: String,
}

impl Evidence {
    fn is_use(&self) -> bool {
        self.code.starts_with("use ")
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}  {}", self.file.display(), self.line, self.code)
    }
}

/// Sibling modules (the top-level modules of a crate, or the children of one of them) and
/// which refers to which, with one piece of evidence per edge.
#[derive(Debug, Clone)]
pub struct ModuleGraph {
    /// What the nodes are, for messages: `sluice (host/src), top-level modules`.
    pub scope: String,
    nodes: BTreeSet<String>,
    edges: BTreeMap<String, BTreeMap<String, Evidence>>,
}

/// One cycle `a -> b -> ... -> a`, each step with the reference that makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// The graph's scope.
    pub scope: String,
    /// The steps in order; the last one returns to the first module.
    pub steps: Vec<(String, String, Evidence)>,
}

impl ModuleGraph {
    /// An empty graph.
    pub fn new(scope: impl Into<String>) -> Self {
        ModuleGraph {
            scope: scope.into(),
            nodes: BTreeSet::new(),
            edges: BTreeMap::new(),
        }
    }

    /// Adds a module.
    pub fn add_node(&mut self, name: &str) {
        self.nodes.insert(name.to_owned());
    }

    /// Records that `from` refers to `to`. Self references are no edge; of several
    /// references the first `use` is kept, else the first path.
    pub fn add_edge(&mut self, from: &str, to: &str, evidence: Evidence) {
        if from == to {
            return;
        }
        let kept = self.edges.entry(from.to_owned()).or_default();
        match kept.get(to) {
            Some(old) if old.is_use() || !evidence.is_use() => {}
            _ => {
                kept.insert(to.to_owned(), evidence);
            }
        }
    }

    /// The modules.
    pub fn nodes(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().map(String::as_str)
    }

    /// The edges `(from, to, evidence)`, sorted.
    pub fn edges(&self) -> impl Iterator<Item = (&str, &str, &Evidence)> {
        self.edges.iter().flat_map(|(from, targets)| {
            targets
                .iter()
                .map(move |(to, evidence)| (from.as_str(), to.as_str(), evidence))
        })
    }

    /// The number of edges.
    pub fn edge_count(&self) -> usize {
        self.edges.values().map(BTreeMap::len).sum()
    }

    fn successors(&self, node: &str) -> impl Iterator<Item = &str> {
        self.edges
            .get(node)
            .into_iter()
            .flat_map(|targets| targets.keys().map(String::as_str))
    }

    /// Every cycle worth reporting: for each edge inside a strongly connected component of
    /// more than one module, the shortest cycle through it. Each cycle once, starting at its
    /// smallest module; together they show every edge that keeps the component tangled.
    pub fn cycles(&self) -> Vec<Cycle> {
        let mut seen = BTreeSet::new();
        let mut cycles = Vec::new();
        for component in self.components().into_iter().filter(|c| c.len() > 1) {
            for from in &component {
                for to in self.successors(from).filter(|to| component.contains(*to)) {
                    let Some(mut path) = self.shortest_path(to, from, &component) else {
                        continue;
                    };
                    // `to -> ... -> from` becomes `from -> to -> ...` (back to `from`).
                    path.pop();
                    path.insert(0, from.clone());
                    let path = rotate_to_smallest(path);
                    if seen.insert(path.clone()) {
                        cycles.push(self.cycle_along(&path));
                    }
                }
            }
        }
        cycles
    }

    /// Strongly connected components: modules that reach each other.
    fn components(&self) -> Vec<BTreeSet<String>> {
        let reach: BTreeMap<&str, BTreeSet<String>> = self
            .nodes()
            .map(|node| (node, self.reachable(node)))
            .collect();
        let mut assigned = BTreeSet::new();
        let mut components = Vec::new();
        for node in self.nodes() {
            if assigned.contains(node) {
                continue;
            }
            let component: BTreeSet<String> = reach[node]
                .iter()
                .filter(|other| reach.get(other.as_str()).is_some_and(|r| r.contains(node)))
                .cloned()
                .chain([node.to_owned()])
                .collect();
            assigned.extend(component.iter().cloned());
            components.push(component);
        }
        components
    }

    fn reachable(&self, start: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut queue: VecDeque<&str> = self.successors(start).collect();
        while let Some(node) = queue.pop_front() {
            if seen.insert(node.to_owned()) {
                queue.extend(self.successors(node));
            }
        }
        seen
    }

    /// The shortest path `from -> ... -> to` inside `within`, both ends included.
    fn shortest_path(
        &self,
        from: &str,
        to: &str,
        within: &BTreeSet<String>,
    ) -> Option<Vec<String>> {
        let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([from]);
        while let Some(node) = queue.pop_front() {
            if node == to {
                return Some(walk_back(&previous, from, to));
            }
            for next in self.successors(node) {
                if within.contains(next) && next != from && !previous.contains_key(next) {
                    previous.insert(next, node);
                    queue.push_back(next);
                }
            }
        }
        None
    }

    /// `path` is `[a, b, ..., z]`; the cycle is `a -> b -> ... -> z -> a`.
    fn cycle_along(&self, path: &[String]) -> Cycle {
        let steps = path
            .iter()
            .zip(path.iter().cycle().skip(1))
            .filter_map(|(from, to)| {
                let evidence = self.edges.get(from)?.get(to)?;
                Some((from.clone(), to.clone(), evidence.clone()))
            })
            .collect();
        Cycle {
            scope: self.scope.clone(),
            steps,
        }
    }
}

fn walk_back(previous: &BTreeMap<&str, &str>, from: &str, to: &str) -> Vec<String> {
    let mut path = vec![to.to_owned()];
    let mut node = to;
    while node != from {
        match previous.get(node) {
            Some(before) => node = before,
            None => break,
        }
        path.push(node.to_owned());
    }
    path.reverse();
    path
}

fn rotate_to_smallest(mut path: Vec<String>) -> Vec<String> {
    let smallest = path
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.cmp(b.1))
        .map_or(0, |(index, _)| index);
    path.rotate_left(smallest);
    path
}

impl Cycle {
    /// `a -> b -> a`.
    pub fn route(&self) -> String {
        let mut names: Vec<&str> = self
            .steps
            .iter()
            .map(|(from, _, _)| from.as_str())
            .collect();
        if let Some((first, _, _)) = self.steps.first() {
            names.push(first);
        }
        names.join(" -> ")
    }
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}", self.scope, self.route())?;
        for (from, to, evidence) in &self.steps {
            writeln!(f, "    {from} -> {to}: {evidence}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(code: &str) -> Evidence {
        Evidence {
            file: PathBuf::from("src/x.rs"),
            line: 1,
            code: code.to_owned(),
        }
    }

    fn graph(edges: &[(&str, &str)]) -> ModuleGraph {
        let mut graph = ModuleGraph::new("demo");
        for (from, to) in edges {
            graph.add_node(from);
            graph.add_node(to);
            graph.add_edge(from, to, evidence(&format!("use crate::{to}")));
        }
        graph
    }

    fn routes(graph: &ModuleGraph) -> Vec<String> {
        graph.cycles().iter().map(Cycle::route).collect()
    }

    #[test]
    fn a_two_module_cycle_is_reported_once() {
        let graph = graph(&[("a", "b"), ("b", "a"), ("b", "c")]);
        assert_eq!(routes(&graph), ["a -> b -> a"]);
    }

    #[test]
    fn layers_and_self_edges_are_no_cycle() {
        let graph = graph(&[("a", "b"), ("b", "c"), ("a", "c"), ("c", "c")]);
        assert!(routes(&graph).is_empty());
    }

    #[test]
    fn every_edge_of_a_tangle_is_in_some_reported_cycle() {
        let graph = graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("b", "a")]);
        assert_eq!(routes(&graph), ["a -> b -> a", "a -> b -> c -> a"]);
    }

    #[test]
    fn a_use_is_preferred_as_evidence() {
        let mut graph = ModuleGraph::new("demo");
        graph.add_edge("a", "b", evidence("crate::b::f"));
        graph.add_edge("a", "b", evidence("use crate::b::X"));
        graph.add_edge("a", "b", evidence("use crate::b::Y"));
        graph.add_edge("b", "a", evidence("use crate::a::Z"));
        graph.add_node("a");
        graph.add_node("b");
        let cycle = &graph.cycles()[0];
        assert_eq!(cycle.steps[0].2.code, "use crate::b::X");
    }
}
