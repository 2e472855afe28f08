//! Module references inside a crate, and the graphs they make.
//!
//! A file refers to a module through a path that starts at the crate root or climbs to it:
//! `crate::b::X`, `super::b` (from `src/a/x.rs`, where `super` is `a`: that is `a::b`),
//! `super::super::b`, `self::b`. Each such path in a `use` (every leaf of a grouped `use`), in
//! code (expressions, types, patterns) or in a macro invocation's tokens
//! (`tracing::info!(crate::b::NAME)`) is resolved to an absolute module path. Paths that
//! start anywhere else (`std::`, another crate, a name in scope) are not followed: a module
//! reaches a sibling only through one of the forms above, or through a name brought in by a
//! `use` that is one. The bodies of `macro_rules!` definitions are skipped: they are
//! templates, whose paths (`$crate::__private::X`) belong to where the macro is invoked.

use std::collections::BTreeSet;
use std::path::Path;

use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::visit::{self, Visit};
use syn::{ImplItem, Item, ItemMod, ItemUse, TraitItem, UseTree};

use crate::attrs::{impl_item_attrs, is_test_code, item_attrs, trait_item_attrs};
use crate::graph::{Evidence, ModuleGraph};

/// A module path from the crate root: `[pipeline, delivery]` is `crate::pipeline::delivery`.
pub type ModulePath = Vec<String>;

/// One reference from code in module `from` to the item at `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The module whose code holds the reference (inline modules included).
    pub from: ModulePath,
    /// What it names, from the crate root (`[b, X]` for `crate::b::X`).
    pub to: ModulePath,
    /// Where.
    pub evidence: Evidence,
}

/// What the product files of one crate declare and reference.
#[derive(Debug, Default)]
pub struct CrateModules {
    /// Every module declared (`mod x;` or `mod x { .. }`) outside test code.
    pub declared: BTreeSet<ModulePath>,
    /// Every reference to a path from the crate root, outside test code.
    pub references: Vec<Reference>,
}

impl CrateModules {
    /// Adds what `other` declares and references.
    pub fn merge(&mut self, other: &CrateModules) {
        self.declared.extend(other.declared.iter().cloned());
        self.references.extend(other.references.iter().cloned());
    }

    /// Collects from one file whose module path is `module`.
    pub fn collect(&mut self, file: &Path, module: ModulePath, syntax: &syn::File) {
        let mut collector = ReferenceCollector {
            file,
            module,
            found: self,
        };
        collector.visit_file(syntax);
    }

    /// The modules declared directly in `parent` (`[]` for the crate root).
    pub fn children(&self, parent: &[String]) -> Vec<String> {
        self.declared
            .iter()
            .filter(|path| path.len() == parent.len() + 1 && path.starts_with(parent))
            .filter_map(|path| path.last().cloned())
            .collect()
    }

    /// The graph of the modules declared in `parent`: an edge `a -> b` for each reference
    /// from code in `parent::a` (or below) to `parent::b` (or below).
    pub fn graph(&self, scope: String, parent: &[String]) -> ModuleGraph {
        let children: BTreeSet<String> = self.children(parent).into_iter().collect();
        let mut graph = ModuleGraph::new(scope);
        for child in &children {
            graph.add_node(child);
        }
        for reference in &self.references {
            let from = child_of(parent, &reference.from);
            let to = child_of(parent, &reference.to);
            if let (Some(from), Some(to)) = (from, to) {
                if children.contains(from) && children.contains(to) {
                    graph.add_edge(from, to, reference.evidence.clone());
                }
            }
        }
        graph
    }
}

/// `path`'s module right below `parent`, if `path` lies under `parent`.
fn child_of<'a>(parent: &[String], path: &'a [String]) -> Option<&'a str> {
    if path.starts_with(parent) {
        path.get(parent.len()).map(String::as_str)
    } else {
        None
    }
}

struct ReferenceCollector<'a> {
    file: &'a Path,
    /// The module the visitor is in, inline modules included.
    module: ModulePath,
    found: &'a mut CrateModules,
}

impl ReferenceCollector<'_> {
    fn add(&mut self, segments: &[String], line: usize, code: String) {
        let Some(to) = resolve(&self.module, segments) else {
            return;
        };
        self.found.references.push(Reference {
            from: self.module.clone(),
            to,
            evidence: Evidence {
                file: self.file.to_path_buf(),
                line,
                code,
            },
        });
    }

    fn add_tokens(&mut self, tokens: TokenStream) {
        for (segments, line) in paths_in_tokens(tokens) {
            let code = segments.join("::");
            self.add(&segments, line, code);
        }
    }
}

impl<'ast> Visit<'ast> for ReferenceCollector<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        if !is_test_code(item_attrs(item)) {
            visit::visit_item(self, item);
        }
    }

    fn visit_impl_item(&mut self, item: &'ast ImplItem) {
        if !is_test_code(impl_item_attrs(item)) {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_trait_item(&mut self, item: &'ast TraitItem) {
        if !is_test_code(trait_item_attrs(item)) {
            visit::visit_trait_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, item: &'ast ItemMod) {
        self.module.push(item.ident.to_string());
        self.found.declared.insert(self.module.clone());
        visit::visit_item_mod(self, item);
        self.module.pop();
    }

    fn visit_item_use(&mut self, item: &'ast ItemUse) {
        if item.leading_colon.is_some() {
            return;
        }
        for (segments, line) in use_leaves(&item.tree) {
            let code = format!("use {}", segments.join("::"));
            self.add(&segments, line, code);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        // One segment (`self.x`, a bare `super`) names no sibling module.
        if path.leading_colon.is_none() && path.segments.len() > 1 {
            let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            if let Some(first) = path.segments.first() {
                let line = first.ident.span().start().line;
                self.add(&segments, line, segments.join("::"));
            }
        }
        visit::visit_path(self, path);
    }

    /// A `macro_rules!` body is a template: its paths resolve where it is invoked.
    fn visit_item_macro(&mut self, item: &'ast syn::ItemMacro) {
        if !item.mac.path.is_ident("macro_rules") {
            visit::visit_item_macro(self, item);
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.add_tokens(mac.tokens.clone());
        visit::visit_macro(self, mac);
    }

    /// `pub(in crate::a)` says who may see an item, not what it uses.
    fn visit_vis_restricted(&mut self, _: &'ast syn::VisRestricted) {}
}

/// Every leaf of a `use` tree as a path (`use a::{b::X, c}` is `a::b::X` and `a::c`), with
/// the line of the leaf. `self` leaves name their prefix; globs end in `*`.
pub fn use_leaves(tree: &UseTree) -> Vec<(Vec<String>, usize)> {
    let mut leaves = Vec::new();
    walk_use_tree(tree, &mut Vec::new(), &mut leaves);
    leaves
}

fn walk_use_tree(tree: &UseTree, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, usize)>) {
    let mut leaf = |name: String, line: usize| {
        let mut path = prefix.clone();
        if name != "self" || path.is_empty() {
            path.push(name);
        }
        out.push((path, line));
    };
    match tree {
        UseTree::Path(path) => {
            prefix.push(path.ident.to_string());
            walk_use_tree(&path.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(name) => leaf(name.ident.to_string(), name.ident.span().start().line),
        UseTree::Rename(rename) => {
            leaf(rename.ident.to_string(), rename.ident.span().start().line);
        }
        UseTree::Glob(glob) => leaf("*".to_owned(), glob.star_token.span.start().line),
        UseTree::Group(group) => {
            for item in &group.items {
                walk_use_tree(item, prefix, out);
            }
        }
    }
}

/// The absolute module path `segments` names when written in module `current`, if it
/// starts at the crate root or climbs to it (`crate`, `self`, `super`).
pub fn resolve(current: &[String], segments: &[String]) -> Option<ModulePath> {
    let (first, rest) = segments.split_first()?;
    let mut base: ModulePath = match first.as_str() {
        "crate" => Vec::new(),
        "self" => current.to_vec(),
        "super" => current.split_last()?.1.to_vec(),
        _ => return None,
    };
    let mut rest = rest.iter().peekable();
    while rest.next_if(|segment| *segment == "super").is_some() {
        base.pop()?;
    }
    base.extend(rest.filter(|segment| *segment != "*").cloned());
    Some(base)
}

/// A token of a macro's input, as far as paths are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PathToken {
    Ident(String, usize),
    PathSeparator,
    Other,
}

/// Paths `crate::a::b`, `super::a`, `self::a` in a macro's tokens, with lines.
fn paths_in_tokens(tokens: TokenStream) -> Vec<(Vec<String>, usize)> {
    let mut flat = Vec::new();
    flatten(tokens, &mut flat);
    let mut paths = Vec::new();
    let mut index = 0;
    while index < flat.len() {
        let starts_path = index == 0 || flat[index - 1] != PathToken::PathSeparator;
        match &flat[index] {
            PathToken::Ident(name, line) if starts_path && is_path_root(name) => {
                let segments = path_from(&flat, index);
                index += 2 * segments.len() - 1;
                if segments.len() > 1 {
                    paths.push((segments, *line));
                }
            }
            _ => index += 1,
        }
    }
    paths
}

fn is_path_root(name: &str) -> bool {
    matches!(name, "crate" | "super" | "self")
}

/// The segments of the path starting at `flat[start]`: `ident (:: ident)*`.
fn path_from(flat: &[PathToken], start: usize) -> Vec<String> {
    let mut segments = Vec::new();
    let mut index = start;
    while let Some(PathToken::Ident(name, _)) = flat.get(index) {
        segments.push(name.clone());
        if flat.get(index + 1) != Some(&PathToken::PathSeparator) {
            break;
        }
        index += 2;
    }
    segments
}

fn flatten(tokens: TokenStream, out: &mut Vec<PathToken>) {
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Group(group) => {
                out.push(PathToken::Other);
                flatten(group.stream(), out);
                out.push(PathToken::Other);
            }
            TokenTree::Ident(ident) => {
                out.push(PathToken::Ident(
                    ident.to_string(),
                    ident.span().start().line,
                ));
            }
            TokenTree::Punct(punct)
                if punct.as_char() == ':' && punct.spacing() == Spacing::Joint =>
            {
                let second = tokens
                    .next_if(|next| matches!(next, TokenTree::Punct(p) if p.as_char() == ':'));
                out.push(match second {
                    Some(_) => PathToken::PathSeparator,
                    None => PathToken::Other,
                });
            }
            _ => out.push(PathToken::Other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn references(module: &[&str], source: &str) -> Vec<(Vec<String>, String)> {
        let syntax = syn::parse_file(source).expect("test source parses");
        let mut modules = CrateModules::default();
        modules.collect(Path::new("src/x.rs"), strings(module), &syntax);
        modules
            .references
            .into_iter()
            .map(|r| (r.to, r.evidence.code))
            .collect()
    }

    fn targets(module: &[&str], source: &str) -> Vec<Vec<String>> {
        references(module, source)
            .into_iter()
            .map(|r| r.0)
            .collect()
    }

    #[test]
    fn a_grouped_use_makes_one_reference_per_leaf() {
        let found = references(&["a"], "use crate::{b::X, c};");
        assert_eq!(
            found,
            [
                (strings(&["b", "X"]), "use crate::b::X".to_owned()),
                (strings(&["c"]), "use crate::c".to_owned()),
            ]
        );
    }

    #[test]
    fn super_and_self_resolve_from_the_file_module() {
        let source = "use super::b::X; use super::super::c; use self::d::Y; use super::{self, e};";
        assert_eq!(
            targets(&["a", "x"], source),
            [
                strings(&["a", "b", "X"]),
                strings(&["c"]),
                strings(&["a", "x", "d", "Y"]),
                strings(&["a"]),
                strings(&["a", "e"]),
            ]
        );
    }

    #[test]
    fn paths_in_code_and_macros_are_references() {
        let source = "fn f() -> crate::b::T { crate::c::g(); info!(\"{}\", crate::d::NAME); }";
        assert_eq!(
            targets(&["a"], source),
            [
                strings(&["b", "T"]),
                strings(&["c", "g"]),
                strings(&["d", "NAME"])
            ]
        );
    }

    #[test]
    fn other_paths_and_test_code_are_not_references() {
        let source = "use std::fmt; use ::log; use sluice_core::Engine; \
                      pub(in crate::b) fn f() { fmt(); } \
                      #[cfg(test)] mod tests { use crate::b::X; } \
                      #[test] fn t() { crate::c::g(); }";
        assert!(targets(&["a"], source).is_empty());
    }

    #[test]
    fn climbing_above_the_root_is_no_reference() {
        assert_eq!(
            resolve(&strings(&["a"]), &strings(&["super", "super", "b"])),
            None
        );
    }
}
