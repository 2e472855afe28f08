//! Which code is test code: the attributes that take an item out of the product build.

use syn::punctuated::Punctuated;
use syn::{Attribute, ImplItem, Item, Meta, Token, TraitItem};

/// True when `attrs` make their item test code: a `#[cfg(..)]` that is false whenever `test`
/// is off (`cfg(test)`, `cfg(all(test, unix))`), or a test attribute (`#[test]`,
/// `#[tokio::test]`).
///
/// `cfg(any(test, feature = "testkit"))` is not test code: a product build can enable it.
pub fn is_test_code(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .any(|attr| is_test_attribute(attr) || is_test_only_cfg(attr))
}

/// The attributes of any item (`Item` has no accessor for them).
pub fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// The attributes of an item inside an `impl` block.
pub fn impl_item_attrs(item: &ImplItem) -> &[Attribute] {
    match item {
        ImplItem::Const(i) => &i.attrs,
        ImplItem::Fn(i) => &i.attrs,
        ImplItem::Type(i) => &i.attrs,
        ImplItem::Macro(i) => &i.attrs,
        _ => &[],
    }
}

/// The attributes of an item inside a `trait` block.
pub fn trait_item_attrs(item: &TraitItem) -> &[Attribute] {
    match item {
        TraitItem::Const(i) => &i.attrs,
        TraitItem::Fn(i) => &i.attrs,
        TraitItem::Type(i) => &i.attrs,
        TraitItem::Macro(i) => &i.attrs,
        _ => &[],
    }
}

fn is_test_attribute(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "test")
}

fn is_test_only_cfg(attr: &Attribute) -> bool {
    if !attr.path().is_ident("cfg") {
        return false;
    }
    attr.parse_args::<Meta>()
        .is_ok_and(|predicate| evaluate(&predicate) == Truth::False)
}

/// A cfg predicate's value with `test` off and every other option unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    True,
    False,
    Unknown,
}

fn evaluate(predicate: &Meta) -> Truth {
    match predicate {
        Meta::Path(path) if path.is_ident("test") => Truth::False,
        Meta::List(list) if list.path.is_ident("not") => list
            .parse_args::<Meta>()
            .map_or(Truth::Unknown, |inner| negate(evaluate(&inner))),
        Meta::List(list) if list.path.is_ident("all") => {
            combine(list, Truth::False, Truth::True).unwrap_or(Truth::Unknown)
        }
        Meta::List(list) if list.path.is_ident("any") => {
            combine(list, Truth::True, Truth::False).unwrap_or(Truth::Unknown)
        }
        _ => Truth::Unknown,
    }
}

/// `all` (decisive `False`, empty `True`) or `any` (decisive `True`, empty `False`).
fn combine(list: &syn::MetaList, decisive: Truth, empty: Truth) -> syn::Result<Truth> {
    let operands = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
    let values: Vec<Truth> = operands.iter().map(evaluate).collect();
    Ok(if values.contains(&decisive) {
        decisive
    } else if values.iter().all(|value| *value == empty) {
        empty
    } else {
        Truth::Unknown
    })
}

fn negate(value: Truth) -> Truth {
    match value {
        Truth::True => Truth::False,
        Truth::False => Truth::True,
        Truth::Unknown => Truth::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(source: &str) -> Vec<Attribute> {
        let item: syn::ItemFn = syn::parse_str(&format!("{source} fn f() {{}}")).expect("parses");
        item.attrs
    }

    #[test]
    fn test_only_cfgs_are_test_code() {
        for source in [
            "#[cfg(test)]",
            "#[cfg(all(test, unix))]",
            "#[cfg(not(not(test)))]",
            "#[cfg(any(test, all(test, unix)))]",
            "#[test]",
            "#[tokio::test]",
            "#[allow(dead_code)] #[cfg(test)]",
        ] {
            assert!(is_test_code(&attrs(source)), "{source} is test code");
        }
    }

    #[test]
    fn cfgs_a_product_build_can_enable_are_product_code() {
        for source in [
            "",
            "#[cfg(not(test))]",
            "#[cfg(any(test, feature = \"testkit\"))]",
            "#[cfg(feature = \"testkit\")]",
            "#[cfg_attr(test, allow(dead_code))]",
            "#[cfg(unix)]",
        ] {
            assert!(!is_test_code(&attrs(source)), "{source} is product code");
        }
    }
}
