//! Nearest neighbours, exact: every row's list at once ([`knn`], the rows' blocks on every
//! core), the same a few blocks at a time ([`NeighbourSearch`], for a map made in steps), and
//! one row's ([`nearest`]).

use bhtsne::Neighbor;
use rayon::prelude::*;

pub(super) fn sq_dist(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Rows of queries, and of candidates, one matrix product of the neighbour search covers: a
/// 256 × 2,048 block of distances (2 MB) stays in cache while it is scanned.
const QUERY_BLOCK: usize = 256;
const BASE_BLOCK: usize = 2_048;
/// Candidates kept beyond `k` before the exact distances decide.
const SPARE: usize = 8;

/// Every row's `k` nearest other rows, nearest first, ties by index: exact.
///
/// Candidates come from distances computed as ‖a‖² + ‖b‖² − 2 a·b, blocks of rows at a time
/// with the dot products as one matrix product (the `gemm` crate, as the conv ops use) — ten
/// times faster than row against row — and each row keeps `k` + 8 of them; their distances
/// are then recomputed directly, so the rounding of the expansion can only reorder points
/// within a few ulps of the k-th distance, and the 8 spares absorb that.
pub fn knn(values: &[f32], dim: usize, k: usize) -> Vec<Vec<Neighbor<f32>>> {
    let plan = Plan::new(values, dim, k);
    (0..plan.blocks())
        .into_par_iter()
        .flat_map_iter(|block| plan.block(values, block))
        .collect()
}

/// The shape of a search: how many rows, how many neighbours each, and the rows' norms.
struct Plan {
    n: usize,
    dim: usize,
    k: usize,
    keep: usize,
    norms: Vec<f32>,
}

impl Plan {
    fn new(values: &[f32], dim: usize, k: usize) -> Self {
        let n = values.len() / dim.max(1);
        let k = k.min(n.saturating_sub(1));
        Plan {
            n,
            dim,
            k,
            keep: (k + SPARE).min(n.saturating_sub(1)),
            norms: values
                .chunks_exact(dim.max(1))
                .map(|r| r.iter().map(|x| x * x).sum())
                .collect(),
        }
    }

    fn blocks(&self) -> usize {
        self.n.div_ceil(QUERY_BLOCK)
    }

    /// The neighbour lists of one block of query rows.
    fn block(&self, values: &[f32], block: usize) -> Vec<Vec<Neighbor<f32>>> {
        let (n, dim, k, keep, norms) = (self.n, self.dim, self.k, self.keep, &self.norms);
        let (q0, q1) = (block * QUERY_BLOCK, ((block + 1) * QUERY_BLOCK).min(n));
        let m = q1 - q0;
        if k == 0 {
            return vec![Vec::new(); m];
        }
        let queries = &values[q0 * dim..q1 * dim];
        // each row's best candidates so far, sorted by (distance, index)
        let mut best: Vec<Vec<(f32, usize)>> = vec![Vec::with_capacity(keep + 1); m];
        let mut dots = vec![0.0f32; m * BASE_BLOCK];
        for b0 in (0..n).step_by(BASE_BLOCK) {
            let b1 = (b0 + BASE_BLOCK).min(n);
            let cn = b1 - b0;
            crate::tensor::matmul(
                m,
                cn,
                dim,
                &mut dots[..m * cn],
                false,
                crate::tensor::mat(queries, dim, 1),
                crate::tensor::mat(&values[b0 * dim..b1 * dim], 1, dim),
            );
            for (r, list) in best.iter_mut().enumerate() {
                let i = q0 + r;
                let row = &dots[r * cn..(r + 1) * cn];
                let mut worst = if list.len() == keep {
                    list[keep - 1].0
                } else {
                    f32::INFINITY
                };
                for (c, &dot) in row.iter().enumerate() {
                    let j = b0 + c;
                    let d = norms[i] + norms[j] - 2.0 * dot;
                    if d < worst && j != i {
                        let at = list.partition_point(|&(e, _)| e <= d);
                        list.insert(at, (d, j));
                        list.truncate(keep);
                        if list.len() == keep {
                            worst = list[keep - 1].0;
                        }
                    }
                }
            }
        }
        best.into_iter()
            .enumerate()
            .map(|(r, list)| {
                let me = &values[(q0 + r) * dim..(q0 + r + 1) * dim];
                let mut exact: Vec<(usize, f32)> = list
                    .iter()
                    .map(|&(_, j)| (j, sq_dist(me, &values[j * dim..(j + 1) * dim])))
                    .collect();
                smallest(&mut exact, k)
                    .into_iter()
                    .map(|(index, s)| Neighbor {
                        index,
                        distance: s.sqrt(),
                    })
                    .collect()
            })
            .collect()
    }
}

/// Blocks of query rows one step of a [`NeighbourSearch`] covers (on as many cores as there
/// are): 70,000 rows of 50 values take ~0.1 s a block on one core here.
const BLOCKS_PER_STEP: usize = 4;

/// [`knn`] a few blocks of rows at a time, for a map that must answer between steps (a
/// page's job owns no threads). The same lists as [`knn`].
pub struct NeighbourSearch {
    values: Vec<f32>,
    plan: Plan,
    next: usize,
    found: Vec<Vec<Neighbor<f32>>>,
}

impl NeighbourSearch {
    /// A search for every row's `k` nearest other rows of `values` (`dim` values each).
    pub fn new(values: Vec<f32>, dim: usize, k: usize) -> Self {
        let plan = Plan::new(&values, dim, k);
        NeighbourSearch {
            found: Vec::with_capacity(plan.n),
            values,
            plan,
            next: 0,
        }
    }

    /// Searches the next blocks of rows; `false` once every row has its list.
    pub fn step(&mut self) -> bool {
        let end = (self.next + BLOCKS_PER_STEP).min(self.plan.blocks());
        let (plan, values) = (&self.plan, &self.values[..]);
        let lists: Vec<Vec<Vec<Neighbor<f32>>>> = (self.next..end)
            .into_par_iter()
            .map(|block| plan.block(values, block))
            .collect();
        self.found.extend(lists.into_iter().flatten());
        self.next = end;
        !self.done()
    }

    pub fn done(&self) -> bool {
        self.next >= self.plan.blocks()
    }

    /// Rows searched so far, and of how many.
    pub fn rows(&self) -> (usize, usize) {
        (self.found.len(), self.plan.n)
    }

    /// The rows searched and their lists (complete once [`done`](Self::done)).
    pub fn into_parts(self) -> (Vec<f32>, Vec<Vec<Neighbor<f32>>>) {
        (self.values, self.found)
    }
}

/// The `k` nearest rows to row `i` (itself left out), nearest first, with their distances.
pub fn nearest(values: &[f32], dim: usize, i: usize, k: usize) -> Vec<(usize, f32)> {
    let n = values.len() / dim.max(1);
    if i >= n {
        return Vec::new();
    }
    let me = &values[i * dim..(i + 1) * dim];
    let mut d: Vec<(usize, f32)> = values
        .chunks_exact(dim)
        .enumerate()
        .filter(|&(j, _)| j != i)
        .map(|(j, row)| (j, sq_dist(me, row)))
        .collect();
    smallest(&mut d, k)
        .into_iter()
        .map(|(j, s)| (j, s.sqrt()))
        .collect()
}

/// The `k` rows of `values` nearest to `query` (a row of its own), nearest first, with their
/// distances.
pub fn nearest_to(values: &[f32], dim: usize, query: &[f32], k: usize) -> Vec<(usize, f32)> {
    if dim == 0 || query.len() != dim {
        return Vec::new();
    }
    let mut d: Vec<(usize, f32)> = values
        .chunks_exact(dim)
        .enumerate()
        .map(|(j, row)| (j, sq_dist(query, row)))
        .collect();
    smallest(&mut d, k)
        .into_iter()
        .map(|(j, s)| (j, s.sqrt()))
        .collect()
}

/// The label most of `near` (nearest first) carry; a tie goes to the label of the nearest
/// among those tied. `None` when `near` is empty.
pub fn majority(labels: &[u32], near: &[(usize, f32)]) -> Option<u32> {
    let mut votes: Vec<(u32, usize)> = Vec::new();
    for &(j, _) in near {
        match votes.iter_mut().find(|(l, _)| *l == labels[j]) {
            Some(v) => v.1 += 1,
            None => votes.push((labels[j], 1)),
        }
    }
    // `votes` is in order of first appearance, nearest first: max_by_key keeps the last of
    // equal maxima, so look from the far end
    votes.iter().rev().max_by_key(|v| v.1).map(|v| v.0)
}

/// The `k` (index, squared distance) pairs of `d` with the smallest distances, nearest first,
/// ties by index.
pub(super) fn smallest(d: &mut [(usize, f32)], k: usize) -> Vec<(usize, f32)> {
    let k = k.min(d.len());
    if k == 0 {
        return Vec::new();
    }
    let by = |a: &(usize, f32), b: &(usize, f32)| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0));
    d.select_nth_unstable_by(k - 1, by);
    let mut near = d[..k].to_vec();
    near.sort_by(by);
    near
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn the_blocked_neighbour_search_finds_what_row_against_row_finds() {
        // more rows than a block of each kind, some of them repeated (ties at distance 0)
        let mut rng = Rng::new(5);
        let dim = 7;
        let mut v: Vec<f32> = (0..2_600 * dim).map(|_| rng.normal() as f32).collect();
        for r in [10usize, 300, 2_100] {
            let copy = v[r * dim..(r + 1) * dim].to_vec();
            v[(r + 1) * dim..(r + 2) * dim].copy_from_slice(&copy);
        }
        let all = knn(&v, dim, 12);
        assert_eq!(all.len(), 2_600);
        for i in (0..2_600).step_by(7).chain([10, 11, 300, 301, 2_599]) {
            let want: Vec<usize> = nearest(&v, dim, i, 12).iter().map(|p| p.0).collect();
            let got: Vec<usize> = all[i].iter().map(|p| p.index).collect();
            assert_eq!(got, want, "row {i}");
        }
        assert_eq!(all[10][0].index, 11);
        assert_eq!(all[10][0].distance, 0.0);
        // fewer rows than asked for: every other row
        assert_eq!(knn(&v[..3 * dim], dim, 5)[0].len(), 2);
    }

    #[test]
    fn a_search_in_steps_finds_what_one_search_finds() {
        let mut rng = Rng::new(9);
        let dim = 5;
        let v: Vec<f32> = (0..1_300 * dim).map(|_| rng.normal() as f32).collect();
        let mut search = NeighbourSearch::new(v.clone(), dim, 9);
        let mut steps = 1;
        while search.step() {
            steps += 1;
            let (done, of) = search.rows();
            assert!(
                done < of && done % (BLOCKS_PER_STEP * QUERY_BLOCK) == 0,
                "{done}"
            );
        }
        // 1,300 rows are 6 blocks of 256: two steps
        assert_eq!(steps, 2);
        assert_eq!(search.rows(), (1_300, 1_300));
        let (values, lists) = search.into_parts();
        assert_eq!(values, v);
        assert_eq!(lists, knn(&v, dim, 9));
    }

    #[test]
    fn a_query_is_read_by_the_label_most_of_its_neighbours_carry() {
        // five points on a line: labels 0 0 1 1 1
        let values = [0.0, 1.0, 2.0, 3.0, 4.0];
        let labels = [0, 0, 1, 1, 1];
        let near = nearest_to(&values, 1, &[0.2], 3);
        assert_eq!(near.iter().map(|n| n.0).collect::<Vec<_>>(), vec![0, 1, 2]);
        assert!((near[2].1 - 1.8).abs() < 1e-6);
        assert_eq!(majority(&labels, &near), Some(0));
        assert_eq!(
            majority(&labels, &nearest_to(&values, 1, &[3.9], 3)),
            Some(1)
        );
        // a tie (one each) goes to the nearest
        assert_eq!(
            majority(&labels, &nearest_to(&values, 1, &[1.6], 2)),
            Some(1)
        );
        assert_eq!(majority(&labels, &[]), None);
        assert!(nearest_to(&values, 1, &[0.0, 1.0], 3).is_empty());
    }

    #[test]
    fn nearest_lists_the_closest_rows_first() {
        let v = [0.0f32, 5.0, 1.0, 2.5, 10.0];
        let n = nearest(&v, 1, 0, 3);
        assert_eq!(
            n.iter().map(|p| p.0).collect::<Vec<_>>(),
            vec![2, 3, 1],
            "{n:?}"
        );
        assert!((n[0].1 - 1.0).abs() < 1e-6);
    }
}
