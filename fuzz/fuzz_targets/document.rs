#![no_main]

// Automerge's decoder can panic on malformed bytes; `load_untrusted` catches
// that, so libFuzzer's abort-on-any-panic hook is replaced with a silent one.
// A panic anywhere else still unwinds out of the target and aborts the run.
libfuzzer_sys::fuzz_target!(
    init: { std::panic::set_hook(Box::new(|_| {})) },
    |data: &[u8]| wuye_protocol::robust::document(data)
);
