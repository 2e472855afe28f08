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

/// `items` in chunks of `max` while that many are left, then of falling powers of two: for
/// statements whose rows cannot be repeated (an insert of new rows), at most
/// `log2(max) + 1` texts are prepared for lists of any length.
fn binary_chunks<T>(mut items: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if items.is_empty() {
            return None;
        }
        let size = if items.len() >= max {
            max.max(1)
        } else {
            1 << items.len().ilog2()
        };
        let (chunk, rest) = items.split_at(size);
        items = rest;
        Some(chunk)
    })
}

/// Runs `sql`, an `INSERT … VALUES {rows}`, for `items`, at most `most` rows a statement
/// ([`binary_chunks`]: new rows cannot be repeated to fill a statement up); `row` gives each
/// item's `columns` values, and `f` sees the rows a `RETURNING` gives.
pub(crate) fn insert_rows<'a, T>(
    db: &Db<'_>,
    sql: &str,
    columns: usize,
    most: usize,
    items: &'a [T],
    row: impl Fn(&'a T, &mut Vec<&'a dyn ToValue>),
    mut f: impl FnMut(&Row<'_>) -> Result<()>,
) -> Result<()> {
    for chunk in binary_chunks(items, most) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", parameters(i * columns + 1, columns)))
            .collect();
        let sql = sql.replace("{rows}", &rows.join(", "));
        let mut args: Vec<&'a dyn ToValue> = Vec::with_capacity(chunk.len() * columns);
        for item in chunk {
            row(item, &mut args);
        }
        db.each(&sql, &args, |r| f(r).map(|()| true))?;
    }
    Ok(())
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
    for chunk in padded_chunks(items, LIST) {
        let mut args: Vec<&dyn ToValue> = lead.to_vec();
        args.extend(chunk.into_iter().map(|item| item as &dyn ToValue));
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
    for chunk in padded_chunks(items, LIST) {
        let mut args: Vec<&dyn ToValue> = lead.to_vec();
        args.extend(chunk.into_iter().map(|item| item as &dyn ToValue));
        changed += db.execute(&sql, &args)?;
    }
    Ok(changed)
}

/// How many rows one `UPDATE … FROM (VALUES …)` changes at most.
pub(crate) const ROWS_PER_UPDATE: usize = 32;

/// Fills the last rows of an update's `VALUES`.
static NULL: Option<i64> = None;

/// Runs `sql`, an `UPDATE … FROM (VALUES {rows}) AS v`, for `items`, [`ROWS_PER_UPDATE`] a
/// statement; `{rows}` becomes the rows of `types` ([`typed_rows`]) numbered after the `lead`
/// arguments, and `row` gives each item's values. The last statement is filled up with rows of
/// NULLs, which match no row (`id = NULL` is never true): a list of any length costs one
/// statement per [`ROWS_PER_UPDATE`] items, all of one text, prepared once. Returns how many
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
        &typed_rows(ROWS_PER_UPDATE, lead.len() + 1, types),
    );
    let mut changed = 0;
    for chunk in items.chunks(ROWS_PER_UPDATE) {
        let mut args: Vec<&'a dyn ToValue> = lead.to_vec();
        for item in chunk {
            row(item, &mut args);
        }
        args.resize(lead.len() + ROWS_PER_UPDATE * types.len(), &NULL);
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
    fn lists_are_cut_into_few_statement_sizes() {
        let items: Vec<u32> = (0..45).collect();
        let sizes: Vec<usize> = super::binary_chunks(&items, 16).map(<[u32]>::len).collect();
        assert_eq!(sizes, [16, 16, 8, 4, 1]);
        let padded: Vec<Vec<&u32>> = super::padded_chunks(&items[..5], 4).collect();
        assert_eq!(padded, [vec![&0, &1, &2, &3], vec![&4, &4, &4, &4]]);
        assert_eq!(super::parameters(3, 3), "?3, ?4, ?5");
    }
}
