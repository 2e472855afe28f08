//! Whether a file is a sluice plugin, read from its ELF dynamic symbol table without loading
//! it. Loading a library runs its constructors (and those of the libraries it needs), so a
//! stray `.so` in a plugin directory whose constructor aborts would take the host down before
//! it could be refused.
//!
//! Only what the check needs is read (the ELF header, the section headers, `.dynsym` and its
//! string table), through a read cache: a large debug build of a plugin is not read whole.

use std::fs::File;
use std::path::Path;

use abi_stable::library::ROOT_MODULE_LOADER_NAME;
use object::read::elf::{FileHeader, SectionTable, Sym};
use object::read::{ReadCache, ReadRef};
use object::{elf, Endianness, FileKind};

use super::LoadErrorKind;

/// `Ok` when the file at `path` is an ELF shared library that exports the root module
/// `export_plugin!` defines; otherwise why not, and the long form for `-v` if there is one.
pub(super) fn check(path: &Path) -> Result<(), (LoadErrorKind, Option<String>)> {
    let not_a_library = |why: String| (LoadErrorKind::NotALibrary(why), None);
    let metadata = std::fs::metadata(path).map_err(|e| not_a_library(e.to_string()))?;
    // Opening a FIFO for reading would block until a writer came.
    if !metadata.is_file() {
        return Err(not_a_library("it is not a regular file".to_owned()));
    }
    let file = File::open(path).map_err(|e| not_a_library(e.to_string()))?;
    let cache = ReadCache::new(file);
    let exports = match FileKind::parse(&cache) {
        Ok(FileKind::Elf32) => exports_root::<elf::FileHeader32<Endianness>, _>(&cache),
        Ok(FileKind::Elf64) => exports_root::<elf::FileHeader64<Endianness>, _>(&cache),
        _ => Err("it is not an ELF file".to_owned()),
    };
    match exports {
        Ok(Exports::Root) => Ok(()),
        Ok(Exports::Other) => Err((LoadErrorKind::NotAPlugin, None)),
        Ok(Exports::Unreadable) => Err((
            LoadErrorKind::NotAPlugin,
            Some(
                "The file has no section table, so its exported symbols cannot be read without \
                 loading it."
                    .to_owned(),
            ),
        )),
        Err(why) => Err(not_a_library(why)),
    }
}

/// What a shared library's dynamic symbol table says.
enum Exports {
    /// It defines the sluice root module.
    Root,
    /// It does not.
    Other,
    /// It has no section table to read the symbols from (stripped with `sstrip`, or crafted).
    Unreadable,
}

fn exports_root<'data, Elf, R>(data: R) -> Result<Exports, String>
where
    Elf: FileHeader<Endian = Endianness>,
    R: ReadRef<'data>,
{
    let malformed = |e: object::Error| format!("it is a malformed ELF file ({e})");
    let header = Elf::parse(data).map_err(malformed)?;
    let endian = header.endian().map_err(malformed)?;
    if header.e_type(endian) != elf::ET_DYN {
        return Err("it is an ELF file but not a shared library".to_owned());
    }
    let sections: SectionTable<'data, Elf, R> = header.sections(endian, data).map_err(malformed)?;
    if sections.is_empty() {
        return Ok(Exports::Unreadable);
    }
    let symbols = sections
        .symbols(endian, data, elf::SHT_DYNSYM)
        .map_err(malformed)?;
    let root = ROOT_MODULE_LOADER_NAME.as_bytes();
    let found = symbols.iter().any(|symbol| {
        !symbol.is_undefined(endian)
            && symbols
                .symbol_name(endian, symbol)
                .is_ok_and(|name| name == root)
    });
    Ok(if found { Exports::Root } else { Exports::Other })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(path: &Path) -> LoadErrorKind {
        match check(path) {
            Ok(()) => panic!("{} passed the check", path.display()),
            Err((kind, _)) => kind,
        }
    }

    #[test]
    fn files_that_are_not_elf_shared_libraries_are_refused_unread() {
        let dir = std::env::temp_dir();
        assert_eq!(
            refusal(&dir),
            LoadErrorKind::NotALibrary("it is not a regular file".to_owned())
        );
        let script = dir.join(format!("sluice-elf-check-{}.so", std::process::id()));
        std::fs::write(&script, "#!/bin/sh\necho not a library\n").unwrap();
        let kind = refusal(&script);
        let _ = std::fs::remove_file(&script);
        assert_eq!(
            kind,
            LoadErrorKind::NotALibrary("it is not an ELF file".to_owned())
        );
    }

    #[test]
    fn an_elf_file_without_the_root_module_is_no_plugin() {
        // This test binary: ELF, and no sluice root module among its exports.
        let exe = std::env::current_exe().unwrap();
        let kind = refusal(&exe);
        assert!(
            matches!(&kind, LoadErrorKind::NotAPlugin)
                || kind
                    == LoadErrorKind::NotALibrary(
                        "it is an ELF file but not a shared library".to_owned()
                    ),
            "{kind:?}"
        );
    }
}
