//! Replays every committed fuzz input (`fuzz/seeds/` and `fuzz/regressions/`)
//! through the same checks the fuzz targets run, so a crash once found stays fixed.

use std::path::{Path, PathBuf};

use wuye_protocol::robust;
use wuye_protocol::sync::SyncStore;
use wuye_protocol::wire::{self, Message};
use wuye_tests::harness::{sample, Network};

/// A fuzz target's check.
type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 3] =
    [("frames", robust::frames), ("message", robust::message), ("document", robust::document)];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn inputs(target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for set in ["seeds", "regressions"] {
        let Ok(dir) = std::fs::read_dir(fuzz_dir().join(set).join(target)) else { continue };
        files.extend(dir.map(|e| e.unwrap().path()).filter(|p| p.is_file()));
    }
    files.sort();
    files
}

#[test]
fn every_committed_fuzz_input_passes_its_check() {
    for (target, check) in TARGETS {
        let files = inputs(target);
        assert!(!files.is_empty(), "no seeds for fuzz target {target}: run the ignored test write_fuzz_seeds");
        for file in files {
            let data = std::fs::read(&file).unwrap();
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                panic!("fuzz input {} fails target {target}", file.display());
            }
        }
    }
}

/// Writes the seed corpus from real records; run with `--ignored` when the layout changes.
#[test]
#[ignore]
fn write_fuzz_seeds() {
    let mut net = Network::new(7);
    net.add_site("朝阳花园管理处");
    for n in 0..3 {
        net.add_complaint(0, &sample(n, n == 0));
    }
    net.sites[0].desk.add_staff("王芳", wuye_protocol::staff::Role::Supervisor, "系统").unwrap();
    net.run_until_quiescent();
    let site = net.site_id(0);
    let batch = net.sites[0].desk.store.outgoing("fuzz-seed", site, 0).unwrap();
    let write = |target: &str, name: String, bytes: &[u8]| {
        let dir = fuzz_dir().join("seeds").join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    };
    for (n, doc) in batch.docs.iter().enumerate() {
        write("document", format!("{}-{n}", doc.kind.as_str()), &doc.bytes);
    }
    let hello = Message::Hello {
        protocol_version: wuye_protocol::PROTOCOL_VERSION,
        site_id: site,
        token: "令牌".into(),
        sent_at_ms: 1_795_000_000_000,
        checkpoint: None,
        instance: String::new(),
    };
    let push = Message::Push { docs: batch.docs[..2].to_vec(), upto: batch.upto };
    let error = Message::Error { code: wire::ErrorCode::Unauthorized, message: "站点令牌错误".into() };
    for (name, message) in [("hello", hello), ("push", push), ("error", error)] {
        let frame = wire::encode(&message).unwrap();
        write("message", name.to_string(), &frame[wire::FRAME_HEADER_BYTES..]);
        write("frames", name.to_string(), &frame);
    }
}
