#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wuye_protocol::robust::frames(data));
