//! Tests that span agent and server, and the tools they share with the demo.
//!
//! - [`harness`]: a socket-free network: head office and several sites in one
//!   process on in-memory SQLite, messages passed through the real frame codec;
//! - [`procs`]: starting the real `wuye-server` and `wuye-agent` binaries on loopback;
//! - [`raw`]: a QUIC client that sends hand-built messages and bytes, for attacks on the server;
//! - [`relay`]: a UDP relay between agents and the server that counts bytes and misbehaves on demand;
//! - [`seed`]: seeds for randomised tests, printed and replayable;
//! - [`pg`]: a real PostgreSQL of the test's own, on loopback.

pub mod browser;
pub mod company;
pub mod harness;
pub mod pg;
pub mod procs;
pub mod raw;
pub mod relay;
pub mod seed;
