//! Numbers in words for people: "1 epoch", "3 epochs".

/// `n` and the noun for it: `one` for exactly 1, `many` otherwise.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count(1, "epoch", "epochs"), "1 epoch");
        assert_eq!(count(0, "epoch", "epochs"), "0 epochs");
        assert_eq!(count(3, "epoch", "epochs"), "3 epochs");
    }
}
