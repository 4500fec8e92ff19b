//! One sort for the whole page: [`sort_by_key`] orders items by a `u64`
//! key, stably, and every sort on the page goes through it.
//!
//! Why: the standard library's sorts are generic over the element type and
//! the comparison, and each is ~4 KB of wasm; the page sorted five kinds of
//! thing (regions, links, arrows, ids, dots), ~25 KB in all. Here only the
//! pairs `(key, position)` are sorted, always the same type, and the items
//! are then moved into that order. A key carries what the comparison
//! compared (callers pack several fields into one `u64`), and the position
//! keeps equal keys in their original order.

/// Sorts `items` by `key`, ascending; equal keys keep their order.
pub fn sort_by_key<T>(items: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    let mut order: Vec<(u64, usize)> = items.iter().enumerate().map(|(i, t)| (key(t), i)).collect();
    sort_pairs(&mut order);
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.into_iter().filter_map(|(_, i)| slots[i].take()));
}

/// The one compiled sort. The positions make every pair distinct, so an
/// unstable sort gives the stable order.
#[inline(never)]
fn sort_pairs(pairs: &mut [(u64, usize)]) {
    pairs.sort_unstable();
}

/// A key that orders floats as `f64::total_cmp` does.
pub fn f64_key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably_by_key() {
        let mut v = vec![(3, 'a'), (1, 'b'), (3, 'c'), (0, 'd'), (1, 'e')];
        sort_by_key(&mut v, |&(k, _)| k);
        assert_eq!(v, [(0, 'd'), (1, 'b'), (1, 'e'), (3, 'a'), (3, 'c')]);
    }

    #[test]
    fn float_keys_order_like_total_cmp() {
        let mut xs = [-122.3, 139.7, -0.0, 0.0, 8.7, -77.4, f64::INFINITY, f64::NEG_INFINITY];
        let mut by_key = xs.to_vec();
        sort_by_key(&mut by_key, |&x| f64_key(x));
        xs.sort_by(f64::total_cmp);
        assert_eq!(
            by_key.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }
}
