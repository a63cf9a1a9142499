//! CSV samples: no label column, a label column by index, and by header name.
#![no_main]
use hourglass_core::data::{LabelColumn, read_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = read_csv("f.csv", data, None);
    let _ = read_csv("f.csv", data, Some(&LabelColumn::Index(0)));
    let _ = read_csv("f.csv", data, Some(&LabelColumn::Name("label".into())));
});
