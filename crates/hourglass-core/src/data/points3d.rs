//! Built-in 3D point sets for the latent explorer: curves and surfaces with a point count,
//! noise and seed.

use serde::{Deserialize, Serialize};

use crate::{Error, rng::Rng};

/// Most points a set may have.
pub const MAX_POINTS: usize = 2000;

/// The built-in 3D shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape3d {
    Circle,
    Roller,
    TwistedCubic,
    Sine,
    Saddle,
}

impl Shape3d {
    pub const ALL: [Shape3d; 5] = [
        Shape3d::Circle,
        Shape3d::Roller,
        Shape3d::TwistedCubic,
        Shape3d::Sine,
        Shape3d::Saddle,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Shape3d::Circle => "circle",
            Shape3d::Roller => "roller",
            Shape3d::TwistedCubic => "twisted-cubic",
            Shape3d::Sine => "sine",
            Shape3d::Saddle => "saddle",
        }
    }

    /// The shape's name for people.
    pub fn label(self) -> &'static str {
        match self {
            Shape3d::Circle => "Circle",
            Shape3d::Roller => "Swiss roll",
            Shape3d::TwistedCubic => "Twisted cubic",
            Shape3d::Sine => "Sine wave",
            Shape3d::Saddle => "Saddle",
        }
    }
}

impl std::str::FromStr for Shape3d {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Shape3d::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| {
            Error::invalid(format!("unknown 3D point set '{s}' (expected circle, roller, twisted-cubic, sine or saddle)"))
        })
    }
}

/// Points in 3D with a position `t` in [0, 1] along the shape (for colouring).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointSet {
    pub points: Vec<[f64; 3]>,
    pub t: Vec<f64>,
}

impl PointSet {
    /// Moves and scales the points uniformly so they are centred on the origin and the
    /// largest coordinate is ±1 (the built-in shapes' scale); a single place stays at 0.
    pub fn fit_unit_cube(&mut self) {
        let mut lo = [f64::INFINITY; 3];
        let mut hi = [f64::NEG_INFINITY; 3];
        for p in &self.points {
            for d in 0..3 {
                lo[d] = lo[d].min(p[d]);
                hi[d] = hi[d].max(p[d]);
            }
        }
        let centre: Vec<f64> = (0..3).map(|d| (lo[d] + hi[d]) / 2.0).collect();
        let half = (0..3).map(|d| (hi[d] - lo[d]) / 2.0).fold(0.0, f64::max);
        let k = if half > 0.0 { 1.0 / half } else { 1.0 };
        for p in &mut self.points {
            for d in 0..3 {
                p[d] = (p[d] - centre[d]) * k;
            }
        }
    }
}

/// Generates `count` points of `shape`, with Gaussian noise of standard deviation `noise`.
pub fn points3d(shape: Shape3d, count: usize, noise: f64, seed: u64) -> Result<PointSet, Error> {
    if count == 0 || count > MAX_POINTS {
        return Err(Error::invalid(format!(
            "point count {count} is outside 1..={MAX_POINTS}"
        )));
    }
    if !noise.is_finite() || !(0.0..=1.0).contains(&noise) {
        return Err(Error::invalid(format!("noise {noise} is outside [0, 1]")));
    }
    let mut rng = Rng::new(seed);
    let pi = std::f64::consts::PI;
    let mut points = Vec::with_capacity(count);
    let mut ts = Vec::with_capacity(count);
    for i in 0..count {
        // evenly along the curve; surfaces take their second coordinate at random
        let t = if count == 1 {
            0.5
        } else {
            i as f64 / (count - 1) as f64
        };
        let p = match shape {
            Shape3d::Circle => {
                let a = 2.0 * pi * i as f64 / count as f64;
                // a unit circle tilted 30° out of the x-y plane
                [a.cos(), a.sin() * 0.866, a.sin() * 0.5]
            }
            Shape3d::Roller => {
                let a = 1.5 * pi + 3.0 * pi * t;
                let r = a / (4.5 * pi);
                [r * a.cos(), rng.uniform(-0.6, 0.6), r * a.sin()]
            }
            Shape3d::TwistedCubic => {
                let s = 2.0 * t - 1.0;
                [s, s * s, s * s * s]
            }
            Shape3d::Sine => {
                let s = 2.0 * t - 1.0;
                [s, 0.6 * (pi * s * 1.5).sin(), 0.3 * (pi * s).cos()]
            }
            Shape3d::Saddle => {
                let u = 2.0 * t - 1.0;
                let v = rng.uniform(-1.0, 1.0);
                [u, v, 0.7 * (u * u - v * v)]
            }
        };
        let p = if noise > 0.0 {
            [
                p[0] + noise * rng.normal(),
                p[1] + noise * rng.normal(),
                p[2] + noise * rng.normal(),
            ]
        } else {
            p
        };
        points.push(p);
        ts.push(t);
    }
    Ok(PointSet { points, t: ts })
}

/// Reads your own 3D points from CSV text: x,y,z per row (an optional header is skipped).
pub fn points_from_csv(name: &str, bytes: &[u8]) -> Result<PointSet, Error> {
    // a row of the wrong width is said in terms of points: x,y,z
    let d = super::read_csv(name, bytes, None).map_err(|e| {
        let m = e.to_string();
        if m.contains("fields, expected") {
            let m = m
                .strip_prefix(&format!("{name}: "))
                .unwrap_or(&m)
                .to_string();
            Error::format(
                name,
                format!("{m}; 3D points are rows of exactly 3 values (x,y,z)"),
            )
        } else {
            e
        }
    })?;
    if d.features != 3 {
        return Err(Error::format(
            name,
            format!(
                "rows have {} values; 3D points need exactly 3 (x,y,z)",
                d.features
            ),
        ));
    }
    if d.len() > MAX_POINTS {
        return Err(Error::format(
            name,
            format!("{} points; at most {MAX_POINTS}", d.len()),
        ));
    }
    let n = d.len();
    if n < 2 {
        return Err(Error::format(
            name,
            "one point is not a shape; give at least 2 rows",
        ));
    }
    for i in 0..n {
        if let Some(v) = d.sample(i).iter().find(|v| !v.is_finite()) {
            return Err(Error::format(
                name,
                format!(
                    "row {} holds {v}; every value must be a finite number",
                    i + 1
                ),
            ));
        }
    }
    Ok(PointSet {
        points: (0..n)
            .map(|i| {
                let s = d.sample(i);
                [s[0] as f64, s[1] as f64, s[2] as f64]
            })
            .collect(),
        t: (0..n)
            .map(|i| {
                if n == 1 {
                    0.5
                } else {
                    i as f64 / (n - 1) as f64
                }
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_gives_count_points_and_is_seeded() {
        for shape in Shape3d::ALL {
            let a = points3d(shape, 25, 0.05, 3).unwrap();
            assert_eq!(a.points.len(), 25);
            assert_eq!(a, points3d(shape, 25, 0.05, 3).unwrap());
            assert_ne!(a, points3d(shape, 25, 0.05, 4).unwrap());
            assert!(
                a.points
                    .iter()
                    .flatten()
                    .all(|v| v.is_finite() && v.abs() < 3.0)
            );
            assert_eq!(shape.name().parse::<Shape3d>().unwrap(), shape);
        }
        // the twisted cubic is (s, s², s³)
        let c = points3d(Shape3d::TwistedCubic, 3, 0.0, 1).unwrap();
        assert_eq!(c.points[0], [-1.0, 1.0, -1.0]);
    }

    #[test]
    fn bounds_are_checked() {
        assert!(points3d(Shape3d::Circle, 0, 0.0, 1).is_err());
        assert!(points3d(Shape3d::Circle, MAX_POINTS + 1, 0.0, 1).is_err());
        assert!(points3d(Shape3d::Circle, 10, f64::NAN, 1).is_err());
        assert!("cube".parse::<Shape3d>().is_err());
    }

    #[test]
    fn csv_points() {
        let p = points_from_csv("p.csv", b"x,y,z\n0,1,2\n3,4,5\n").unwrap();
        assert_eq!(p.points[1], [3.0, 4.0, 5.0]);
        let err = points_from_csv("q.csv", b"1,2\n").unwrap_err().to_string();
        assert!(err.contains("exactly 3"), "{err}");
        let err = points_from_csv("r.csv", b"1,2,3\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("at least 2"), "{err}");
        let err = points_from_csv("s.csv", b"1,2,3\n4,nan,6\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("row 2") && err.contains("finite"), "{err}");
    }

    #[test]
    fn fitting_the_unit_cube_centres_and_scales() {
        let mut p = points_from_csv("p.csv", b"10,20,30\n14,20,31\n").unwrap();
        p.fit_unit_cube();
        assert_eq!(p.points, vec![[-1.0, 0.0, -0.25], [1.0, 0.0, 0.25]]);
    }

    #[test]
    fn a_row_of_the_wrong_width_is_said_as_x_y_z() {
        let e = points_from_csv("flat.csv", b"1,2\n3,4,5\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "flat.csv: row 2 has 3 fields, expected 2; 3D points are rows of exactly 3 values (x,y,z)"
        );
    }
}
