// The pages are embedded in the binary (rust-embed, `src/http/assets.rs`), which notices a
// changed file but not a new one: a page module added to web/ would be missing from a binary
// built before. Watching the whole folder rebuilds the server whenever anything in it changes.
fn main() {
    println!("cargo::rerun-if-changed=../../web");
}
