//! Function length: no product function body over [`MAX_FUNCTION_LINES`] lines.

use std::fmt;
use std::path::{Path, PathBuf};

use syn::visit::{self, Visit};
use syn::{Block, ImplItem, Item, ItemFn, ItemImpl, ItemTrait, Signature, TraitItem, Type};

use crate::attrs::{impl_item_attrs, is_test_code, item_attrs, trait_item_attrs};

/// The longest a function may be, from its `fn` line to its closing brace, inclusive.
pub const MAX_FUNCTION_LINES: usize = 80;

/// A function allowed to be longer than [`MAX_FUNCTION_LINES`]: (file relative to the
/// workspace root, function name). Keep this short; every entry says why.
pub const ALLOWED_LONG_FUNCTIONS: &[(&str, &str)] = &[
    // The ServiceNow emulator's incident choice lists (state, impact, priority, ...): literal
    // data copied from the instance, plus the loop that inserts it.
    ("tests/src/servicenow/seed.rs", "seed_choices"),
];

/// One function body and its length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpan {
    /// The file, relative to the workspace root.
    pub file: PathBuf,
    /// 1-based line of the `fn` keyword.
    pub line: usize,
    /// `name`, `Type::name` for methods (`Trait::name` for default methods), `outer::name`
    /// for a function nested in another.
    pub name: String,
    /// Lines from the `fn` line to the closing brace, inclusive.
    pub lines: usize,
}

impl FunctionSpan {
    /// The name without its qualification (`settle_job` for `Settler::settle_job`).
    pub fn bare_name(&self) -> &str {
        self.name.rsplit("::").next().unwrap_or(&self.name)
    }

    /// Whether [`ALLOWED_LONG_FUNCTIONS`] lists it.
    pub fn is_allowed(&self) -> bool {
        ALLOWED_LONG_FUNCTIONS
            .iter()
            .any(|(file, name)| self.file == Path::new(file) && self.bare_name() == *name)
    }
}

impl fmt::Display for FunctionSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}  {}  {} lines ({} over)",
            self.file.display(),
            self.line,
            self.name,
            self.lines,
            self.lines.saturating_sub(MAX_FUNCTION_LINES)
        )
    }
}

/// Every function with a body in `syntax` that is product code: free functions, methods,
/// trait default methods and functions nested in other functions (each measured whole,
/// nested ones again on their own). Test code (`#[cfg(test)]`, `#[test]`) is skipped.
pub fn function_spans(file: &Path, syntax: &syn::File) -> Vec<FunctionSpan> {
    if is_test_code(&syntax.attrs) {
        return Vec::new();
    }
    let mut collector = SpanCollector {
        file,
        scope: Vec::new(),
        spans: Vec::new(),
    };
    collector.visit_file(syntax);
    collector.spans
}

struct SpanCollector<'a> {
    file: &'a Path,
    /// Qualifiers of the next function's name: impl type, trait, enclosing functions.
    scope: Vec<String>,
    spans: Vec<FunctionSpan>,
}

impl SpanCollector<'_> {
    fn record(&mut self, sig: &Signature, body: &Block) {
        let line = sig.fn_token.span.start().line;
        let end = body.brace_token.span.close().start().line;
        let mut name = self.scope.clone();
        name.push(sig.ident.to_string());
        self.spans.push(FunctionSpan {
            file: self.file.to_path_buf(),
            line,
            name: name.join("::"),
            lines: end.saturating_sub(line) + 1,
        });
    }

    /// Visits `inner` with `name` qualifying the functions found in it.
    fn within(&mut self, name: String, inner: impl FnOnce(&mut Self)) {
        self.scope.push(name);
        inner(self);
        self.scope.pop();
    }
}

impl<'ast> Visit<'ast> for SpanCollector<'_> {
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

    fn visit_item_fn(&mut self, item: &'ast ItemFn) {
        self.record(&item.sig, &item.block);
        self.within(item.sig.ident.to_string(), |this| {
            visit::visit_item_fn(this, item);
        });
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.record(&item.sig, &item.block);
        self.within(item.sig.ident.to_string(), |this| {
            visit::visit_impl_item_fn(this, item);
        });
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if let Some(body) = &item.default {
            self.record(&item.sig, body);
        }
        self.within(item.sig.ident.to_string(), |this| {
            visit::visit_trait_item_fn(this, item);
        });
    }

    fn visit_item_impl(&mut self, item: &'ast ItemImpl) {
        self.within(type_name(&item.self_ty), |this| {
            visit::visit_item_impl(this, item);
        });
    }

    fn visit_item_trait(&mut self, item: &'ast ItemTrait) {
        self.within(item.ident.to_string(), |this| {
            visit::visit_item_trait(this, item);
        });
    }
}

/// `Foo` for `Foo<T>`, `&Foo`, `a::Foo`; `_` for types without a plain name.
fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .map_or_else(|| "_".to_owned(), |segment| segment.ident.to_string()),
        Type::Reference(reference) => type_name(&reference.elem),
        Type::Group(group) => type_name(&group.elem),
        Type::Paren(paren) => type_name(&paren.elem),
        _ => "_".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A function whose body makes it exactly `lines` lines long.
    fn function_of(name: &str, lines: usize) -> String {
        let body: String = (0..lines - 2)
            .map(|i| format!("    let _x{i} = {i};\n"))
            .collect();
        format!("fn {name}() {{\n{body}}}\n")
    }

    fn spans(source: &str) -> Vec<FunctionSpan> {
        let syntax = syn::parse_file(source).expect("test source parses");
        function_spans(Path::new("demo.rs"), &syntax)
    }

    fn long_ones(source: &str) -> Vec<String> {
        spans(source)
            .into_iter()
            .filter(|span| span.lines > MAX_FUNCTION_LINES)
            .map(|span| span.name)
            .collect()
    }

    #[test]
    fn an_81_line_function_is_caught_and_an_80_line_one_is_not() {
        let source = format!("{}{}", function_of("short", 80), function_of("long", 81));
        let found = spans(&source);
        assert_eq!(found[0].lines, 80);
        assert_eq!((found[1].line, found[1].lines), (81, 81));
        assert_eq!(long_ones(&source), ["long"]);
    }

    #[test]
    fn the_count_starts_at_the_fn_line_not_at_attributes_or_docs() {
        let source = format!("/// Doc.\n#[inline]\n{}", function_of("f", 80));
        assert_eq!(spans(&source)[0].line, 3);
        assert!(long_ones(&source).is_empty());
    }

    #[test]
    fn test_code_is_skipped() {
        let long = function_of("long", 90);
        let source = format!(
            "#[cfg(test)]\nmod tests {{\n{long}}}\n#[test]\n{long}\n\
             #[cfg(test)]\nimpl S {{\n{long}}}\nimpl S {{\n#[cfg(test)]\n{long}}}"
        );
        assert!(spans(&source).is_empty(), "{:?}", spans(&source));
        assert!(spans(&format!("#![cfg(test)]\n{long}")).is_empty());
    }

    #[test]
    fn methods_trait_defaults_and_nested_functions_are_measured() {
        let long = function_of("long", 90);
        let source = format!(
            "impl<T> Foo<T> {{\n{long}}}\ntrait Tr {{\n{long}fn required(&self);\n}}\n\
             fn outer() {{\n{long}}}\n"
        );
        assert_eq!(
            long_ones(&source),
            ["Foo::long", "Tr::long", "outer", "outer::long"]
        );
    }

    #[test]
    fn closures_count_towards_their_function() {
        let closure_body: String = (0..85)
            .map(|i| format!("        let _x{i} = {i};\n"))
            .collect();
        let source = format!("fn f() {{\n    let c = || {{\n{closure_body}    }};\n    c();\n}}\n");
        assert_eq!(long_ones(&source), ["f"]);
    }

    #[test]
    fn allowed_functions_are_matched_by_file_and_bare_name() {
        let span = FunctionSpan {
            file: PathBuf::from("tests/src/servicenow/seed.rs"),
            line: 1,
            name: "seed_choices".to_owned(),
            lines: 120,
        };
        assert!(span.is_allowed());
        let elsewhere = FunctionSpan {
            file: PathBuf::from("tests/src/servicenow/other.rs"),
            ..span
        };
        assert!(!elsewhere.is_allowed());
    }
}
