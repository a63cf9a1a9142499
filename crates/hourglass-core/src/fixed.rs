//! Fixed points of an autoencoder: where z → encode(decode(z)) comes to rest. Iterating a
//! trained autoencoder pulls codes towards a few attractors (a "prototype" digit each); a
//! basin map colours every start on a grid by the attractor it reaches. The model is a
//! closure here (one round: codes in, codes out), so the CLI and the pages share the walk.

/// Euclidean distance of two codes.
pub fn distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f32>()
        .sqrt()
}

/// One code's walk: the codes it passed through (the start first) and whether it stopped
/// because a round moved it less than the tolerance.
#[derive(Debug, Clone, PartialEq)]
pub struct Walk {
    pub path: Vec<Vec<f32>>,
    pub fixed: bool,
}

/// Walks `start` through `round` (one code → the image it decodes to and that image's code)
/// until a round moves it less than `tolerance` or `steps` rounds have run; `seen` is given
/// each decoded image.
pub fn walk(
    start: Vec<f32>,
    steps: usize,
    tolerance: f32,
    mut round: impl FnMut(&[f32]) -> (Vec<f32>, Vec<f32>),
    mut seen: impl FnMut(&[f32]),
) -> Walk {
    let mut path = vec![start];
    for _ in 0..steps {
        let z = path.last().expect("the start");
        let (image, next) = round(z);
        seen(&image);
        let moved = distance(&next, z);
        path.push(next);
        if moved < tolerance {
            return Walk { path, fixed: true };
        }
    }
    Walk { path, fixed: false }
}

/// Where many starts came to rest.
#[derive(Debug, Clone, PartialEq)]
pub struct Basins {
    /// For each start, the index of the fixed point it reached (−1: none of the first 64).
    pub cells: Vec<f32>,
    /// The fixed points found, each with how many starts reached it.
    pub points: Vec<(Vec<f32>, usize)>,
    /// Rounds run, and starts still moving after them.
    pub rounds: usize,
    pub unsettled: usize,
}

/// The most fixed points a basin map tells apart.
pub const MAX_POINTS: usize = 64;

/// Iterates every code of `z` (rows of `latent`) through `round` (many codes at once) for up
/// to `rounds` rounds; a code that moves less than `settle` stops. The ends are then grouped:
/// an end joins the first fixed point within `join` of it.
pub fn basins(
    mut z: Vec<f32>,
    latent: usize,
    rounds: usize,
    settle: f32,
    join: f32,
    mut round: impl FnMut(&[f32]) -> Vec<f32>,
) -> Basins {
    let n = z.len() / latent.max(1);
    let mut active: Vec<usize> = (0..n).collect();
    let mut ran = 0;
    while !active.is_empty() && ran < rounds {
        let batch: Vec<f32> = active
            .iter()
            .flat_map(|&i| z[i * latent..(i + 1) * latent].iter().copied())
            .collect();
        let next = round(&batch);
        let mut still = Vec::with_capacity(active.len());
        for (k, &i) in active.iter().enumerate() {
            let new = &next[k * latent..(k + 1) * latent];
            let moved = distance(new, &z[i * latent..(i + 1) * latent]);
            z[i * latent..(i + 1) * latent].copy_from_slice(new);
            if moved >= settle {
                still.push(i);
            }
        }
        active = still;
        ran += 1;
    }
    let mut points: Vec<(Vec<f32>, usize)> = Vec::new();
    let mut cells = vec![-1.0f32; n];
    for (i, cell) in cells.iter_mut().enumerate() {
        let end = &z[i * latent..(i + 1) * latent];
        match points.iter().position(|(p, _)| distance(p, end) < join) {
            Some(k) => {
                *cell = k as f32;
                points[k].1 += 1;
            }
            None if points.len() < MAX_POINTS => {
                *cell = points.len() as f32;
                points.push((end.to_vec(), 1));
            }
            None => {}
        }
    }
    Basins {
        cells,
        points,
        rounds: ran,
        unsettled: active.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map with three fixed points on a line, −1, 0 and +1: each round halves the way
    /// to the nearest of ±1 (0 stays where it is).
    fn halve(z: &[f32]) -> Vec<f32> {
        let target = |x: f32| if x == 0.0 { 0.0 } else { x.signum() };
        z.iter().map(|&x| x + 0.5 * (target(x) - x)).collect()
    }

    #[test]
    fn a_walk_stops_at_the_fixed_point_it_reaches() {
        let mut images = 0;
        let w = walk(
            vec![0.2],
            100,
            1e-3,
            |z| (z.to_vec(), halve(z)),
            |_| images += 1,
        );
        assert!(w.fixed);
        assert!((w.path.last().unwrap()[0] - 1.0).abs() < 2e-3);
        assert_eq!(images, w.path.len() - 1);
        let short = walk(vec![0.2], 3, 1e-3, |z| (z.to_vec(), halve(z)), |_| {});
        assert_eq!((short.fixed, short.path.len()), (false, 4));
    }

    #[test]
    fn basins_group_the_starts_by_where_they_end() {
        let starts = vec![-0.9, -0.1, 0.1, 0.7, 0.0];
        let b = basins(starts, 1, 100, 1e-5, 0.01, halve);
        // three basins: two starts each at ±1, the one at 0 on its own
        assert_eq!(b.cells, vec![0.0, 0.0, 1.0, 1.0, 2.0]);
        assert_eq!(
            b.points.iter().map(|p| p.1).collect::<Vec<_>>(),
            vec![2, 2, 1]
        );
        assert_eq!(b.unsettled, 0);
        let cut = basins(vec![-0.9, 0.7], 1, 2, 1e-5, 0.01, halve);
        assert_eq!((cut.rounds, cut.unsettled), (2, 2));
    }
}
