//! The twelve 3×3 training patterns of the glass box (row-major, 1 = on).

/// Pattern names, in the order of [`PATTERNS`].
pub const PATTERN_NAMES: [&str; 12] = [
    "top row",
    "middle row",
    "bottom row",
    "left column",
    "middle column",
    "right column",
    "diagonal",
    "anti-diagonal",
    "top-left corner",
    "bottom-right corner",
    "cross",
    "dot",
];

const BITS: [&str; 12] = [
    "111000000",
    "000111000",
    "000000111",
    "100100100",
    "010010010",
    "001001001",
    "100010001",
    "001010100",
    "111100100",
    "001001111",
    "010111010",
    "000010000",
];

/// The twelve patterns as 9 values each in {0, 1}.
pub const PATTERNS: [[f64; 9]; 12] = {
    let mut out = [[0.0; 9]; 12];
    let mut p = 0;
    while p < 12 {
        let bytes = BITS[p].as_bytes();
        let mut i = 0;
        while i < 9 {
            out[p][i] = if bytes[i] == b'1' { 1.0 } else { 0.0 };
            i += 1;
        }
        p += 1;
    }
    out
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_distinct_and_binary() {
        for (i, a) in PATTERNS.iter().enumerate() {
            assert!(a.iter().all(|&v| v == 0.0 || v == 1.0));
            for b in &PATTERNS[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // the cross is the middle row plus the middle column
        assert_eq!(PATTERNS[10], [0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0]);
        assert_eq!(PATTERNS[11].iter().sum::<f64>(), 1.0);
    }
}
