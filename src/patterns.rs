//! Activation patterns `D = diag(1[X u >= 0])` of a data matrix `X` (n x d).
//!
//! A [`Pattern`] is the 0/1 diagonal of `D`, packed into 64-bit words (Hash/Eq, so sets of
//! patterns deduplicate cheaply). Two ways to get patterns:
//!
//! * **Exact enumeration** ([`enumerate`]): every cell of the hyperplane arrangement
//!   `{x_j' u = 0}` in the row space of `X`. For rank-`r` data in general position through the
//!   origin there are `P = 2 sum_{k<r} C(n-1, k)` cells (Cover 1965); the all-zero pattern is
//!   dropped from the returned list, so the list has `P - 1` patterns when the all-zero cell
//!   occurs and `P` otherwise. (`u -> -u` maps the all-ones cell to the all-zero one, so both
//!   occur exactly when the rows lie in an open half-space, e.g. always with a bias column.)
//!   Steps:
//!   1. Row-space reduction: `X = U S V'`, `Z = X V_r` (n x r, `r = rank X`, singular values
//!      below `1e-10 * s_max` count as zero). Patterns depend only on `X u`, and
//!      `{X u} = {Z w}`, so the patterns of `Z` are those of `X`.
//!   2. Zero rows are always active (`0 >= 0`); rows that are parallel (same or opposite
//!      direction, cosine within 1e-12) share one hyperplane and are merged into one
//!      representative with a sign. These two cases of non-general position are thus handled.
//!   3. `r = 1`: two cells (`w = +1`, `w = -1`). `r = 2`: sort the angles of the 2n critical
//!      directions on the circle and take the midpoint of every arc (exact for any data).
//!      `r >= 3`: every cell of an essential arrangement is a pointed cone with an extreme ray,
//!      the intersection of `r - 1` hyperplanes `x_j' u = 0, j in S`. For every (r-1)-subset S
//!      the null direction `rho` of `Z_S` (generalised cross product), both signs, and every
//!      sign choice `sigma` on S gives the cell of `rho + eps delta` with `Z_S delta = sigma`
//!      (`delta` in the row space of `Z_S`, `eps` small enough that rows outside S keep the sign
//!      of `rho`): its pattern is read off combinatorially (sign of `z_j' rho` outside S,
//!      `sigma` on S). This is complete when the representatives are in general position (every
//!      `r - 1` of them independent, no ray on a further hyperplane); otherwise some cells could
//!      be missed, and the enumeration is **rejected** with [`Error::Degenerate`] naming the
//!      rows (relative tolerance 1e-9 on `|z_j' rho| / (||z_j|| ||rho||)` and on the volume of
//!      `Z_S`). Use Gaussian sampling for such data (an upper bound only), or perturb it.
//! * **Gaussian gates** ([`sample_gaussian`]): `h_k ~ N(0, I_d)`, patterns `1[X h_k >= 0]`,
//!   deduplicated in order of first appearance, all-zero dropped, seeded (ChaCha8).
//!
//! The enumeration first estimates its size (`2 sum_{k<r} C(n'-1, k)` patterns for the `n'`
//! merged rows, an upper bound for any central arrangement) and refuses with
//! [`Error::TooLarge`] when that exceeds the [`Budget`], before allocating anything.

use crate::error::{Error, Result};
use nalgebra::DMatrixView;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::collections::HashSet;

// ---------------------------------------------------------------------------------------------
// Pattern: a packed bitset
// ---------------------------------------------------------------------------------------------

/// The diagonal of one activation pattern `D` (bit `j` set when sample `j` is active),
/// packed 64 samples per word.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pattern {
    len: usize,
    words: Box<[u64]>,
}

impl Pattern {
    /// All-zero pattern of `len` samples.
    pub fn zeros(len: usize) -> Self {
        Self { len, words: vec![0u64; len.div_ceil(64)].into_boxed_slice() }
    }

    /// Pattern from booleans.
    pub fn from_bools(bits: &[bool]) -> Self {
        let mut p = Self::zeros(bits.len());
        for (j, &b) in bits.iter().enumerate() {
            if b {
                p.set(j, true);
            }
        }
        p
    }

    /// `1[values >= 0]` entrywise (the pattern of `X u` given `values = X u`).
    pub fn from_values(values: &[f64]) -> Self {
        let mut p = Self::zeros(values.len());
        for (j, &v) in values.iter().enumerate() {
            if v >= 0.0 {
                p.set(j, true);
            }
        }
        p
    }

    /// The pattern of `u`: `1[X u >= 0]`.
    pub fn of_direction(x: DMatrixView<f64>, u: &[f64]) -> Self {
        // x_i' u, summed over the columns in order (column by column: contiguous reads)
        let mut xu = vec![0.0; x.nrows()];
        for (col, &uj) in x.column_iter().zip(u) {
            xu.iter_mut().zip(col.iter()).for_each(|(s, a)| *s += a * uj);
        }
        Self::from_values(&xu)
    }

    /// Number of samples n.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when `n = 0`.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bit `j`.
    pub fn get(&self, j: usize) -> bool {
        assert!(j < self.len, "pattern index {j} out of range {}", self.len);
        self.words[j / 64] >> (j % 64) & 1 == 1
    }

    /// Sets bit `j`.
    pub fn set(&mut self, j: usize, value: bool) {
        assert!(j < self.len, "pattern index {j} out of range {}", self.len);
        if value {
            self.words[j / 64] |= 1 << (j % 64);
        } else {
            self.words[j / 64] &= !(1 << (j % 64));
        }
    }

    /// Number of active samples.
    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// True when no sample is active.
    pub fn is_zero(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// The bits as booleans.
    pub fn to_bools(&self) -> Vec<bool> {
        (0..self.len).map(|j| self.get(j)).collect()
    }

    /// `+1` for active, `-1` for inactive samples: the diagonal of `2D - I`.
    pub fn signs(&self) -> Vec<f64> {
        (0..self.len).map(|j| if self.get(j) { 1.0 } else { -1.0 }).collect()
    }
}

/// A list of distinct, non-zero patterns and whether it is known to be every pattern of the data.
#[derive(Clone, Debug)]
pub struct Patterns {
    /// Distinct patterns, none all-zero, in a deterministic order.
    pub list: Vec<Pattern>,
    /// True when `list` is every non-zero pattern of the data (exact enumeration).
    pub exhaustive: bool,
    /// Rank of the data matrix the patterns were computed from.
    pub rank: usize,
}

impl Patterns {
    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// Order-preserving deduplication that drops the all-zero pattern.
pub fn dedup(patterns: impl IntoIterator<Item = Pattern>) -> Vec<Pattern> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for p in patterns {
        if !p.is_zero() && seen.insert(p.clone()) {
            out.push(p);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Budget and size estimates
// ---------------------------------------------------------------------------------------------

/// Limits on an exact enumeration, checked before anything is allocated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    /// Largest number of patterns allowed (default 200 000).
    pub max_patterns: u64,
    /// Largest memory for the patterns themselves in bytes (default 1 GiB).
    pub max_bytes: u64,
    /// Largest number of candidate cells examined (`C(n', r-1) 2^r`; default 2e8), a time limit.
    pub max_candidates: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Self { max_patterns: 200_000, max_bytes: 1 << 30, max_candidates: 200_000_000 }
    }
}

/// `C(n, k)` as f64 (exact below 2^53).
pub fn binomial(n: u64, k: u64) -> f64 {
    if k > n {
        return 0.0;
    }
    let k = k.min(n - k);
    let mut c = 1.0f64;
    for i in 0..k {
        c = c * (n - i) as f64 / (i + 1) as f64;
    }
    c.round()
}

/// `2 sum_{k<r} C(n-1, k)`: the number of cells of `n` hyperplanes in general position through
/// the origin of `R^r` (the all-zero cell included), and an upper bound for any `n` hyperplanes.
pub fn max_patterns(n: usize, r: usize) -> f64 {
    if n == 0 {
        return 1.0;
    }
    2.0 * (0..r.min(n)).map(|k| binomial(n as u64 - 1, k as u64)).sum::<f64>()
}

/// Bytes held by `count` patterns of `n` samples (words plus the list and set overheads).
pub fn pattern_bytes(count: f64, n: usize) -> f64 {
    count * (8.0 * n.div_ceil(64) as f64 + 64.0)
}

// ---------------------------------------------------------------------------------------------
// Exact enumeration
// ---------------------------------------------------------------------------------------------

/// The data reduced to its row space with parallel rows merged (steps 1-2 of the module docs).
struct Reduced {
    rank: usize,
    /// Representatives, unit norm, rows of length `rank`.
    reps: Vec<Vec<f64>>,
    /// For each original row: `None` for a zero row, else `(representative, sign)`.
    map: Vec<Option<(usize, bool)>>,
}

fn reduce(x: DMatrixView<f64>) -> Reduced {
    let (n, d) = x.shape();
    let m = x.clone_owned();
    let smax = m.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    if n == 0 || d == 0 || smax == 0.0 {
        return Reduced { rank: 0, reps: Vec::new(), map: vec![None; n] };
    }
    let svd = m.clone().svd(false, true);
    let vt = svd.v_t.expect("v_t requested");
    let top = svd.singular_values.iter().fold(0.0f64, |a, &s| a.max(s));
    let keep: Vec<usize> = (0..svd.singular_values.len()).filter(|&k| svd.singular_values[k] > 1e-10 * top).collect();
    let rank = keep.len();
    // Z = X V_r: coordinates of each row in an orthonormal basis of the row space.
    let z: Vec<Vec<f64>> = (0..n)
        .map(|i| keep.iter().map(|&k| (0..d).map(|j| m[(i, j)] * vt[(k, j)]).sum()).collect())
        .collect();
    let row_scale = z.iter().map(|r| norm(r)).fold(0.0f64, f64::max);
    // Parallel rows are found through an ordered index of the representatives keyed by the first
    // coordinate of their sign-normalised direction: two unit vectors with |cos| >= 1 - 1e-12 lie
    // within 1.5e-6 of each other (up to sign), so only representatives whose key is that close
    // are compared. This keeps the merge O(n log n) instead of O(n * representatives) (which
    // took tens of seconds at n = 80000 before any budget could refuse).
    let mut reps: Vec<Vec<f64>> = Vec::new();
    let mut index: std::collections::BTreeMap<OrdF64, Vec<usize>> = std::collections::BTreeMap::new();
    let mut map = Vec::with_capacity(n);
    for row in &z {
        let nr = norm(row);
        if nr <= 1e-12 * row_scale {
            map.push(None);
            continue;
        }
        let unit: Vec<f64> = row.iter().map(|v| v / nr).collect();
        let sign = unit.iter().find(|v| v.abs() > 1e-3).map_or(1.0, |v| v.signum());
        let key = sign * unit[0];
        let found = index
            .range(OrdF64(key - 1.5e-6)..=OrdF64(key + 1.5e-6))
            .flat_map(|(_, list)| list.iter().copied())
            .filter(|&g| (dot(&reps[g], &unit).abs() - 1.0).abs() <= 1e-12)
            .min();
        match found {
            Some(g) => map.push(Some((g, dot(&reps[g], &unit) > 0.0))),
            None => {
                reps.push(unit);
                index.entry(OrdF64(key)).or_default().push(reps.len() - 1);
                map.push(Some((reps.len() - 1, true)));
            }
        }
    }
    Reduced { rank, reps, map }
}

/// `f64` ordered by `total_cmp`, as a map key.
#[derive(Clone, Copy, Debug, PartialEq)]
struct OrdF64(f64);

impl Eq for OrdF64 {}

impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Determinant of a small square matrix (row-major), by Gaussian elimination with partial pivoting.
fn det(mut a: Vec<f64>, k: usize) -> f64 {
    let mut d = 1.0;
    for c in 0..k {
        let p = (c..k).max_by(|&i, &j| a[i * k + c].abs().total_cmp(&a[j * k + c].abs())).unwrap();
        if a[p * k + c] == 0.0 {
            return 0.0;
        }
        if p != c {
            for j in 0..k {
                a.swap(p * k + j, c * k + j);
            }
            d = -d;
        }
        let piv = a[c * k + c];
        d *= piv;
        for i in c + 1..k {
            let f = a[i * k + c] / piv;
            if f != 0.0 {
                for j in c..k {
                    a[i * k + j] -= f * a[c * k + j];
                }
            }
        }
    }
    d
}

/// Generalised cross product of `r - 1` vectors in `R^r`: orthogonal to all of them, with norm
/// equal to the (r-1)-volume they span.
fn cross(rows: &[&[f64]], r: usize) -> Vec<f64> {
    (0..r)
        .map(|k| {
            let mut sub = Vec::with_capacity((r - 1) * (r - 1));
            for row in rows {
                for (j, &v) in row.iter().enumerate() {
                    if j != k {
                        sub.push(v);
                    }
                }
            }
            let s = if k % 2 == 0 { 1.0 } else { -1.0 };
            s * det(sub, r - 1)
        })
        .collect()
}

/// Sign vectors (over the representatives) of every cell of the arrangement.
fn cells(red: &Reduced) -> Result<Vec<Vec<bool>>> {
    let r = red.rank;
    let g = red.reps.len();
    let mut out: Vec<Vec<bool>> = Vec::new();
    let mut seen: HashSet<Vec<bool>> = HashSet::new();
    let mut add = |s: Vec<bool>, out: &mut Vec<Vec<bool>>| {
        if seen.insert(s.clone()) {
            out.push(s);
        }
    };
    if g == 0 {
        return Ok(vec![Vec::new()]);
    }
    match r {
        1 => {
            // Every representative is +-1 in one coordinate: reps are merged to one.
            for sign in [1.0, -1.0] {
                add(red.reps.iter().map(|z| z[0] * sign > 0.0).collect(), &mut out);
            }
        }
        2 => {
            let two_pi = 2.0 * std::f64::consts::PI;
            let mut angles: Vec<f64> = Vec::with_capacity(2 * g);
            for z in &red.reps {
                // z'u = 0 at the directions perpendicular to z.
                let a = (z[0]).atan2(-z[1]).rem_euclid(two_pi);
                angles.push(a);
                angles.push((a + std::f64::consts::PI).rem_euclid(two_pi));
            }
            angles.sort_by(f64::total_cmp);
            angles.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
            let k = angles.len();
            for i in 0..k {
                let lo = angles[i];
                let hi = if i + 1 < k { angles[i + 1] } else { angles[0] + two_pi };
                let mid = 0.5 * (lo + hi);
                let u = [mid.cos(), mid.sin()];
                add(red.reps.iter().map(|z| dot(z, &u) > 0.0).collect(), &mut out);
            }
        }
        _ => {
            let k = r - 1;
            if g < k {
                // Fewer hyperplanes than r - 1: every sign vector is a cell (reps independent).
                for mask in 0u64..(1 << g) {
                    add((0..g).map(|j| mask >> j & 1 == 1).collect(), &mut out);
                }
                return Ok(out);
            }
            let mut subset: Vec<usize> = (0..k).collect();
            loop {
                let rows: Vec<&[f64]> = subset.iter().map(|&j| red.reps[j].as_slice()).collect();
                let rho = cross(&rows, r);
                let vol = norm(&rho);
                if vol <= 1e-9 {
                    return Err(Error::Degenerate(format!(
                        "rows are not in general position: the {k} (merged) rows {:?} are linearly dependent \
                         in the {r}-dimensional row space; exact pattern enumeration needs every {k} rows \
                         independent (use sampled patterns, or perturb the data)",
                        subset
                    )));
                }
                let rho: Vec<f64> = rho.iter().map(|v| v / vol).collect();
                let in_s = |j: usize| subset.contains(&j);
                let mut base = vec![false; g];
                for j in 0..g {
                    if in_s(j) {
                        continue;
                    }
                    let v = dot(&red.reps[j], &rho);
                    if v.abs() <= 1e-9 {
                        return Err(Error::Degenerate(format!(
                            "rows are not in general position: the null direction of the (merged) rows {:?} \
                             also lies on the hyperplane of row {j} (|x_j' u| = {:.1e}); exact pattern \
                             enumeration needs at most {k} hyperplanes through every ray (use sampled \
                             patterns, or perturb the data)",
                            subset,
                            v.abs()
                        )));
                    }
                    base[j] = v > 0.0;
                }
                for flip in [false, true] {
                    for mask in 0u64..(1 << k) {
                        let mut s: Vec<bool> = base.iter().map(|&b| b ^ flip).collect();
                        for (t, &j) in subset.iter().enumerate() {
                            s[j] = mask >> t & 1 == 1;
                        }
                        add(s, &mut out);
                    }
                }
                // next k-subset of 0..g in lexicographic order
                let mut i = k;
                loop {
                    if i == 0 {
                        return Ok(out);
                    }
                    i -= 1;
                    if subset[i] < g - k + i {
                        subset[i] += 1;
                        for t in i + 1..k {
                            subset[t] = subset[t - 1] + 1;
                        }
                        break;
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Every non-zero activation pattern of `x` (see the module docs for the method, the handling
/// of rank deficiency and degenerate data). `Err(TooLarge)` before allocating when the
/// estimate exceeds `budget`; `Err(Degenerate)` for rows not in general position when `rank >= 3`.
pub fn enumerate(x: DMatrixView<f64>, budget: &Budget) -> Result<Patterns> {
    let n = x.nrows();
    if x.iter().any(|v| !v.is_finite()) {
        return Err(Error::InvalidArgument("data matrix has a non-finite entry".into()));
    }
    let red = reduce(x);
    let g = red.reps.len();
    let r = red.rank;
    let est = max_patterns(g, r);
    let bytes = pattern_bytes(est, n);
    let candidates = if r >= 3 { binomial(g as u64, r as u64 - 1) * 2f64.powi(r as i32) } else { 2.0 * g as f64 };
    if est > budget.max_patterns as f64 || bytes > budget.max_bytes as f64 || candidates > budget.max_candidates as f64 {
        return Err(Error::TooLarge(format!(
            "exact pattern enumeration for n = {n} rows ({g} distinct hyperplanes) of rank {r}: up to {est:.3e} patterns \
             ({:.1} MiB) from {candidates:.3e} candidates; budget {} patterns, {:.1} MiB, {:.1e} candidates \
             (use sampled gates instead)",
            bytes / (1u64 << 20) as f64,
            budget.max_patterns,
            budget.max_bytes as f64 / (1u64 << 20) as f64,
            budget.max_candidates as f64,
        )));
    }
    let sign_vectors = cells(&red)?;
    let list = dedup(sign_vectors.into_iter().map(|s| {
        let mut p = Pattern::zeros(n);
        for (i, m) in red.map.iter().enumerate() {
            let bit = match *m {
                None => true,
                Some((grp, same)) => s.get(grp).copied().unwrap_or(true) == same,
            };
            p.set(i, bit);
        }
        p
    }));
    Ok(Patterns { list, exhaustive: true, rank: r })
}

// ---------------------------------------------------------------------------------------------
// Gaussian gates
// ---------------------------------------------------------------------------------------------

/// The gates themselves: `m` draws `h_k ~ N(0, I_d)` from ChaCha8 seeded with `seed` (d x m,
/// one gate per column, drawn gate by gate).
pub fn gaussian_gates(d: usize, m: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..m).map(|_| (0..d).map(|_| StandardNormal.sample(&mut rng)).collect()).collect()
}

/// Patterns `1[X h_k >= 0]` of `m` Gaussian gates, deduplicated in order of first appearance,
/// the all-zero pattern dropped. Not exhaustive: thin cells are missed.
pub fn sample_gaussian(x: DMatrixView<f64>, m: usize, seed: u64) -> Patterns {
    let gates = gaussian_gates(x.ncols(), m, seed);
    let list = dedup(gates.iter().map(|h| Pattern::of_direction(x, h)));
    Patterns { list, exhaustive: false, rank: x.ncols().min(x.nrows()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::DMatrix;

    /// n x d standard Gaussian draws, drawn row by row.
    fn gaussian(n: usize, d: usize, seed: u64) -> DMatrix<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        DMatrix::from_row_iterator(n, d, (0..n * d).map(|_| StandardNormal.sample(&mut rng)))
    }

    #[test]
    fn bitset_basics() {
        let mut p = Pattern::zeros(130);
        assert!(p.is_zero());
        p.set(0, true);
        p.set(129, true);
        p.set(64, true);
        p.set(64, false);
        assert!(p.get(0) && p.get(129) && !p.get(64));
        assert_eq!(p.count_ones(), 2);
        assert_eq!(Pattern::from_values(&[1.0, -1.0, 0.0]).to_bools(), vec![true, false, true]);
        let list = dedup(vec![p.clone(), Pattern::zeros(130), p.clone()]);
        assert_eq!(list.len(), 1);
    }

    #[test]
    fn binomials() {
        assert_eq!(binomial(5, 2), 10.0);
        assert_eq!(binomial(39, 2), 741.0);
        assert_eq!(max_patterns(8, 2), 16.0);
    }

    /// Independent count: Cover's formula 2 sum_{k<r} C(n-1, k) for data in general position
    /// through the origin. The enumeration drops the all-zero cell, which exists exactly when
    /// the all-ones cell does (u -> -u). Rows flipped into the half-space x_1 > 0 (still in
    /// general position) have both, so there the count is the formula minus one; for the
    /// unflipped rows count + [all-ones present] must equal the formula.
    #[test]
    fn counts_match_cover_formula() {
        for &(n, d) in &[(5, 2), (12, 2), (6, 3), (10, 3), (15, 3), (8, 4), (12, 4), (9, 5), (3, 4), (2, 3)] {
            let x = gaussian(n, d, 7 + n as u64 * 31 + d as u64);
            let r = n.min(d);
            let p = enumerate(x.as_view(), &Budget::default()).unwrap();
            let ones = p.list.iter().any(|q| q.count_ones() == n) as usize;
            assert_eq!((p.len() + ones) as f64, max_patterns(n, r), "n = {n}, d = {d}");
            assert!(p.exhaustive);
            let mut flipped = x.clone();
            for mut row in flipped.row_iter_mut() {
                if row[0] < 0.0 {
                    row.apply(|v| *v = -*v);
                }
            }
            let pf = enumerate(flipped.as_view(), &Budget::default()).unwrap();
            assert_eq!(pf.len() as f64, max_patterns(n, r) - 1.0, "flipped: n = {n}, d = {d}");
            assert!(pf.list.iter().any(|q| q.count_ones() == n));
            // every sampled pattern is in the enumeration
            let set: HashSet<_> = p.list.iter().cloned().collect();
            for s in sample_gaussian(x.as_view(), 200, 3).list {
                assert!(set.contains(&s), "sampled pattern missing from the enumeration (n = {n}, d = {d})");
            }
        }
    }

    /// Rank-deficient data (d = 5 columns spanning a 3-dimensional row space): the count is that
    /// of rank 3, and duplicate / opposite rows merge.
    #[test]
    fn rank_deficient_and_parallel_rows() {
        let z = gaussian(9, 3, 11);
        let mix = gaussian(3, 5, 12);
        let x = crate::dense::matmul(&z, &mix);
        let p = enumerate(x.as_view(), &Budget::default()).unwrap();
        assert_eq!(p.rank, 3);
        let ones = p.list.iter().any(|q| q.count_ones() == 9) as usize;
        assert_eq!((p.len() + ones) as f64, max_patterns(9, 3));
        // append a copy and a negated copy of row 0: same cells (no all-zero cell any more,
        // since rows x_0 and -x_0 cannot both be negative)
        let mut x2 = DMatrix::zeros(11, 5);
        x2.rows_mut(0, 9).copy_from(&x);
        x2.row_mut(9).copy_from(&(x.row(0) * 2.0));
        x2.row_mut(10).copy_from(&(x.row(0) * -0.5));
        let p2 = enumerate(x2.as_view(), &Budget::default()).unwrap();
        assert_eq!(p2.len(), p.len() + ones);
        assert!(p2.list.iter().all(|q| q.count_ones() < 11));
        for q in &p2.list {
            assert_eq!(q.get(9), q.get(0));
            assert_ne!(q.get(10), q.get(0));
        }
    }

    #[test]
    fn reference_1d_has_15_patterns() {
        let data = crate::data::synth::reference_1d();
        let p = enumerate(data.x.as_view(), &Budget::default()).unwrap();
        assert_eq!(p.len(), 15);
    }

    #[test]
    fn degenerate_data_is_rejected() {
        // three rows on a common plane through the origin in R^3, plus generic rows: the null
        // direction of two of them lies on the third's hyperplane.
        let mut x = gaussian(6, 3, 5);
        let r = x.row(0) + x.row(1);
        x.row_mut(2).copy_from(&r);
        match enumerate(x.as_view(), &Budget::default()) {
            Err(Error::Degenerate(msg)) => assert!(msg.contains("general position"), "{msg}"),
            other => panic!("expected Degenerate, got {other:?}"),
        }
    }

    #[test]
    fn budget_refuses_before_allocating() {
        let x = gaussian(200, 6, 1);
        let b = Budget { max_patterns: 1000, ..Budget::default() };
        match enumerate(x.as_view(), &b) {
            Err(Error::TooLarge(msg)) => assert!(msg.contains("patterns") && msg.contains("MiB"), "{msg}"),
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn gaussian_sampling_is_seeded() {
        let x = gaussian(20, 3, 2);
        let a = sample_gaussian(x.as_view(), 50, 9);
        let b = sample_gaussian(x.as_view(), 50, 9);
        assert_eq!(a.list, b.list);
        assert!(!a.exhaustive && a.len() <= 50 && a.len() > 10);
    }
}
