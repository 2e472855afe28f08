//! One product file: parsed, and reduced to what the checks need.
//!
//! proc-macro2 keeps the line numbers of its spans in a source map local to the thread that
//! parsed the text, and its token streams cannot cross threads; so each file is parsed and
//! measured on one thread, and only the results ([`SourceFile`]) leave it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use syn::{Item, ItemMod};

use crate::attrs::{is_test_code, item_attrs};
use crate::error::LayoutError;
use crate::length::{function_spans, FunctionSpan};
use crate::modules::{CrateModules, ModulePath};

/// What the checks know of one product file.
#[derive(Debug)]
pub struct SourceFile {
    /// Relative to the workspace root, for messages (`host/src/cli.rs`).
    pub path: PathBuf,
    /// Relative to its crate (`src/cli.rs`).
    pub in_crate: PathBuf,
    /// Its module path if it belongs to the crate's main module tree (see [`module_path_of`]).
    pub module: Option<ModulePath>,
    /// Its product functions.
    pub functions: Vec<FunctionSpan>,
    /// The modules it declares and the references it makes (for files of the main tree).
    pub modules: CrateModules,
    /// The whole file is test code (`#![cfg(test)]`).
    pub(crate) test_only: bool,
    /// The modules it declares test-only (`#[cfg(test)] mod helpers;`).
    pub(crate) test_modules: TestModules,
}

impl SourceFile {
    /// Parses `text` and keeps what the checks need. `has_lib`: whether the crate has a
    /// `src/lib.rs` (which makes `src/main.rs` a separate binary).
    pub fn analyze(
        path: PathBuf,
        in_crate: PathBuf,
        has_lib: bool,
        text: &str,
    ) -> Result<Self, LayoutError> {
        let syntax = parse_text(&path, text)?;
        let module = module_path_of(&in_crate, has_lib);
        let mut modules = CrateModules::default();
        if let Some(module) = &module {
            modules.collect(&path, module.clone(), &syntax);
        }
        let mut test_modules = TestModules::default();
        let here = in_crate.parent().unwrap_or(Path::new(""));
        test_modules.collect(here, &module_dir(&in_crate), &syntax.items);
        Ok(SourceFile {
            functions: function_spans(&path, &syntax),
            test_only: is_test_code(&syntax.attrs),
            path,
            in_crate,
            module,
            modules,
            test_modules,
        })
    }
}

/// Parses a whole file; `path` is for the error message.
pub fn parse_text(path: &Path, text: &str) -> Result<syn::File, LayoutError> {
    syn::parse_file(text).map_err(|error| {
        let start = error.span().start();
        LayoutError::Parse {
            path: path.to_path_buf(),
            line: start.line,
            column: start.column + 1,
            message: error.to_string(),
        }
    })
}

/// The module path of a file of the crate's main module tree (`src/a/x.rs` is `[a, x]`, the
/// root file `[]`), or `None` for files of other targets (`src/bin/`, `benches/`,
/// `src/main.rs` beside a `src/lib.rs`).
pub fn module_path_of(in_crate: &Path, has_lib: bool) -> Option<ModulePath> {
    let parts = path_parts(in_crate);
    let (first, rest) = parts.split_first()?;
    if first != "src" || rest.first().is_some_and(|part| part == "bin") {
        return None;
    }
    let root_file = if has_lib { "lib.rs" } else { "main.rs" };
    match rest {
        [only] if only == root_file => Some(Vec::new()),
        [only] if only == "lib.rs" || only == "main.rs" => None,
        _ => Some(module_names(rest)),
    }
}

/// `[a, x.rs]` is `[a, x]`; `[a, mod.rs]` is `[a]`.
fn module_names(parts: &[String]) -> ModulePath {
    let mut names = parts.to_vec();
    if let Some(last) = names.pop() {
        let stem = last.strip_suffix(".rs").unwrap_or(&last);
        if stem != "mod" {
            names.push(stem.to_owned());
        }
    }
    names
}

fn path_parts(path: &Path) -> Vec<String> {
    path.components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect()
}

/// `tests.rs`, or anything under a `tests/` directory of the crate's sources.
pub fn is_test_path(in_crate: &Path) -> bool {
    in_crate.file_name().is_some_and(|name| name == "tests.rs")
        || in_crate
            .components()
            .any(|part| part.as_os_str() == "tests")
}

/// The files and directories of modules declared test-only (`#[cfg(test)] mod helpers;`),
/// relative to the crate.
#[derive(Debug, Default)]
pub(crate) struct TestModules {
    files: BTreeSet<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl TestModules {
    /// Adds what `other` found.
    pub(crate) fn merge(&mut self, other: &TestModules) {
        self.files.extend(other.files.iter().cloned());
        self.dirs.extend(other.dirs.iter().cloned());
    }

    /// Whether the file at `in_crate` belongs to a test-only module.
    pub(crate) fn contains(&self, in_crate: &Path) -> bool {
        self.files.contains(in_crate) || self.dirs.iter().any(|dir| in_crate.starts_with(dir))
    }

    /// `here` is where `#[path]` is relative to; `module_dir` where child files live.
    fn collect(&mut self, here: &Path, module_dir: &Path, items: &[Item]) {
        for item in items {
            let Item::Mod(module) = item else { continue };
            let child_dir = module_dir.join(module.ident.to_string());
            if is_test_code(item_attrs(item)) {
                self.add(here, module_dir, module);
            } else if let Some((_, inner)) = &module.content {
                self.collect(&child_dir, &child_dir, inner);
            }
        }
    }

    fn add(&mut self, here: &Path, module_dir: &Path, module: &ItemMod) {
        let name = module.ident.to_string();
        if let Some(path) = path_attribute(module) {
            self.files.insert(normalize(&here.join(path)));
            return;
        }
        self.files.insert(module_dir.join(format!("{name}.rs")));
        self.dirs.push(module_dir.join(name));
    }
}

/// Where the files of a file's child modules live: its own directory for `lib.rs`, `main.rs`,
/// `mod.rs` and target roots (`src/bin/x.rs`, `benches/x.rs`), else a directory named after it.
fn module_dir(in_crate: &Path) -> PathBuf {
    let parent = in_crate.parent().unwrap_or(Path::new(""));
    let is_target_root = parent == Path::new("src/bin") || parent == Path::new("benches");
    let name = in_crate.file_name().and_then(|name| name.to_str());
    if is_target_root || matches!(name, Some("lib.rs" | "main.rs" | "mod.rs")) {
        parent.to_path_buf()
    } else {
        parent.join(in_crate.file_stem().unwrap_or_default())
    }
}

fn path_attribute(module: &ItemMod) -> Option<String> {
    module.attrs.iter().find_map(|attr| match &attr.meta {
        syn::Meta::NameValue(pair) if pair.path.is_ident("path") => match &pair.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(path),
                ..
            }) => Some(path.value()),
            _ => None,
        },
        _ => None,
    })
}

/// Folds `a/../b` into `b`, lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(in_crate: &str, has_lib: bool) -> Option<Vec<String>> {
        module_path_of(Path::new(in_crate), has_lib)
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn module_paths_follow_the_file_layout() {
        assert_eq!(path_of("src/lib.rs", true), Some(vec![]));
        assert_eq!(path_of("src/a/mod.rs", true), Some(strings(&["a"])));
        assert_eq!(path_of("src/a/x.rs", true), Some(strings(&["a", "x"])));
        assert_eq!(path_of("src/main.rs", true), None);
        assert_eq!(path_of("src/main.rs", false), Some(vec![]));
        assert_eq!(path_of("src/bin/tool.rs", true), None);
        assert_eq!(path_of("benches/speed.rs", true), None);
    }

    #[test]
    fn test_only_module_files_are_found() {
        let mut modules = TestModules::default();
        for (in_crate, text) in [
            (
                "src/page/mod.rs",
                "#[cfg(test)] mod properties; mod parse; #[cfg(test)] #[path = \"../fx.rs\"] mod fx;",
            ),
            ("src/poll.rs", "#[cfg(test)] mod helpers;"),
        ] {
            let file = SourceFile::analyze(in_crate.into(), in_crate.into(), true, text)
                .expect("test source parses");
            modules.merge(&file.test_modules);
        }
        assert!(modules.contains(Path::new("src/page/properties.rs")));
        assert!(modules.contains(Path::new("src/page/properties/inner.rs")));
        assert!(modules.contains(Path::new("src/fx.rs")));
        assert!(modules.contains(Path::new("src/poll/helpers.rs")));
        assert!(!modules.contains(Path::new("src/page/parse.rs")));
    }

    #[test]
    fn test_paths_are_recognized() {
        assert!(is_test_path(Path::new("src/filter/tests.rs")));
        assert!(is_test_path(Path::new("src/filter/tests/cases.rs")));
        assert!(!is_test_path(Path::new("src/filter/mod.rs")));
    }
}
