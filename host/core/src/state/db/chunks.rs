//! Lists of values in statements of a few fixed sizes: a page of records or a batch of
//! alerts costs a few statements instead of one each (on PostgreSQL each statement is a round
//! trip), while the statements prepared for them stay few.

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
pub(crate) fn binary_chunks<T>(mut items: &[T], max: usize) -> impl Iterator<Item = &[T]> {
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

/// `?from, ?from+1, …`: `n` numbered parameters.
pub(crate) fn parameters(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many rows one `UPDATE … FROM (VALUES …)` changes at most.
pub(crate) const ROWS_PER_UPDATE: usize = 16;

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
