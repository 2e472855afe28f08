//! Lists of values in statements of a few fixed sizes: a page of records or a batch of
//! alerts costs a few statements instead of one each (on PostgreSQL each statement is a round
//! trip), while the statements prepared for them stay few.

use super::{Db, Result, Row, ToValue};

/// `items` in chunks of `size`, the last one padded by repeating its last item: a statement
/// that takes a list (an `IN (…)` list, the rows of an insert whose repeats change nothing)
/// then has one text, prepared once, for lists of any length. A page of records costs a
/// few statements instead of one each (on PostgreSQL, each statement is a round trip).
pub(crate) fn padded_chunks<T>(items: &[T], size: usize) -> impl Iterator<Item = Vec<&T>> {
    items.chunks(size.max(1)).map(move |chunk| {
        let mut padded: Vec<&T> = chunk.iter().collect();
        padded.resize(size.max(1), &chunk[chunk.len() - 1]);
        padded
    })
}

/// How many rows one statement of [`insert_rows`] or [`update_all`] writes at most.
pub(crate) const ROWS_PER_STATEMENT: usize = 32;

/// Fills the last rows of a statement's `VALUES`.
static NULL: Option<i64> = None;

/// Runs `sql`, an `INSERT INTO t (…) {rows}`, for `items`, [`ROWS_PER_STATEMENT`] a
/// statement; `{rows}` becomes `SELECT * FROM (VALUES …) AS v WHERE v.column1 IS NOT NULL`
/// with rows of `types` ([`typed_rows`]), and `row` gives each item's values, the first never
/// NULL. The last statement is filled up with rows of NULLs, which the `WHERE` drops before
/// they are inserted (on PostgreSQL they take no number from an id sequence either): a list
/// of any length costs one statement per [`ROWS_PER_STATEMENT`] items, all of one text,
/// prepared once. `f` sees the rows a `RETURNING` gives.
pub(crate) fn insert_rows<'a, T>(
    db: &Db<'_>,
    sql: &str,
    types: &[&str],
    items: &'a [T],
    row: impl Fn(&'a T, &mut Vec<&'a dyn ToValue>),
    mut f: impl FnMut(&Row<'_>) -> Result<()>,
) -> Result<()> {
    let rows = format!(
        "SELECT * FROM (VALUES {}) AS v WHERE v.column1 IS NOT NULL",
        typed_rows(ROWS_PER_STATEMENT, 1, types)
    );
    let sql = sql.replace("{rows}", &rows);
    for args in padded_rows(&[], types.len(), items, row) {
        db.each(&sql, &args, |r| f(r).map(|()| true))?;
    }
    Ok(())
}

/// The arguments of each statement of [`insert_rows`] and [`update_all`]: the `lead` ones,
/// then [`ROWS_PER_STATEMENT`] rows of `width` values, `row` giving each item's, the last
/// statement's spare rows NULLs.
fn padded_rows<'a, 'l, T, F>(
    lead: &'l [&'a dyn ToValue],
    width: usize,
    items: &'a [T],
    row: F,
) -> impl Iterator<Item = Vec<&'a dyn ToValue>> + use<'a, 'l, T, F>
where
    F: Fn(&'a T, &mut Vec<&'a dyn ToValue>),
{
    let len = lead.len() + ROWS_PER_STATEMENT * width;
    items.chunks(ROWS_PER_STATEMENT).map(move |chunk| {
        let mut args: Vec<&'a dyn ToValue> = Vec::with_capacity(len);
        args.extend_from_slice(lead);
        for item in chunk {
            row(item, &mut args);
        }
        debug_assert_eq!(
            args.len(),
            lead.len() + chunk.len() * width,
            "a row per type"
        );
        args.resize(len, &NULL);
        args
    })
}

/// `?from, ?from+1, …`: `n` numbered parameters.
fn parameters(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many values one `IN (…)` list of [`each_in`] and [`execute_in`] holds.
pub(crate) const LIST: usize = 32;

/// `sql` with its `{list}` made [`LIST`] parameters numbered after `lead` leading ones.
fn with_list(sql: &str, lead: usize) -> String {
    sql.replace("{list}", &parameters(lead + 1, LIST))
}

/// Runs the query `sql`, whose `IN ({list})` takes `items`, [`LIST`] a statement, after the
/// `lead` arguments; `f` sees every row. The last list repeats its last item ([`padded_chunks`]):
/// a value listed twice matches its rows once, so every statement has one text, prepared once.
pub(crate) fn each_in<'a, T: ToValue>(
    db: &Db<'_>,
    sql: &str,
    lead: &[&'a dyn ToValue],
    items: &'a [T],
    mut f: impl FnMut(&Row<'_>) -> Result<()>,
) -> Result<()> {
    let sql = with_list(sql, lead.len());
    for args in list_args(lead, items) {
        db.each(&sql, &args, |row| f(row).map(|()| true))?;
    }
    Ok(())
}

/// Runs the statement `sql`, whose `IN ({list})` takes `items`, as [`each_in`] runs a query;
/// returns how many rows changed (a row matched by a repeated value changes once).
pub(crate) fn execute_in<'a, T: ToValue>(
    db: &Db<'_>,
    sql: &str,
    lead: &[&'a dyn ToValue],
    items: &'a [T],
) -> Result<usize> {
    let sql = with_list(sql, lead.len());
    let mut changed = 0;
    for args in list_args(lead, items) {
        changed += db.execute(&sql, &args)?;
    }
    Ok(changed)
}

/// The arguments of each statement of [`each_in`] and [`execute_in`]: the `lead` ones, then a
/// list of [`LIST`] items, the last list padded ([`padded_chunks`]).
fn list_args<'a, 'l, T: ToValue>(
    lead: &'l [&'a dyn ToValue],
    items: &'a [T],
) -> impl Iterator<Item = Vec<&'a dyn ToValue>> + use<'a, 'l, T> {
    padded_chunks(items, LIST).map(move |chunk| {
        let mut args: Vec<&'a dyn ToValue> = lead.to_vec();
        args.extend(chunk.into_iter().map(|item| item as &dyn ToValue));
        args
    })
}

/// Runs `sql`, an `UPDATE … FROM (VALUES {rows}) AS v`, for `items`, [`ROWS_PER_STATEMENT`]
/// a statement; `{rows}` becomes the rows of `types` ([`typed_rows`]) numbered after the `lead`
/// arguments, and `row` gives each item's values. The last statement is filled up with rows of
/// NULLs, which match no row (`id = NULL` is never true): a list of any length costs one
/// statement per [`ROWS_PER_STATEMENT`] items, all of one text, prepared once. Returns how many
/// rows changed.
pub(crate) fn update_all<'a, T>(
    db: &Db<'_>,
    sql: &str,
    lead: &[&'a dyn ToValue],
    types: &[&str],
    items: &'a [T],
    row: impl Fn(&'a T, &mut Vec<&'a dyn ToValue>),
) -> Result<usize> {
    let sql = sql.replace(
        "{rows}",
        &typed_rows(ROWS_PER_STATEMENT, lead.len() + 1, types),
    );
    let mut changed = 0;
    for args in padded_rows(lead, types.len(), items, row) {
        changed += db.execute(&sql, &args)?;
    }
    Ok(changed)
}

/// `n` rows of `types.len()` parameters each, numbered from `first`, each cast to its type
/// (PostgreSQL infers no type for a bare parameter in `VALUES`): the rows of an
/// `UPDATE … FROM (VALUES …) AS v`, whose columns are `v.column1`, `v.column2`, … on both
/// databases.
pub(crate) fn typed_rows(n: usize, first: usize, types: &[&str]) -> String {
    (0..n)
        .map(|row| {
            let cells: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(i, ty)| format!("CAST(?{} AS {ty})", first + row * types.len() + i))
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_are_cut_into_statements_of_one_size() {
        let items: Vec<u32> = (0..45).collect();
        let padded: Vec<Vec<&u32>> = super::padded_chunks(&items[..5], 4).collect();
        assert_eq!(padded, [vec![&0, &1, &2, &3], vec![&4, &4, &4, &4]]);
        assert_eq!(super::parameters(3, 3), "?3, ?4, ?5");
    }
}
