//! Types shared by every Rempart crate: configuration, the stored PDU model and the small
//! helpers (time, randomness) that lower layers need without pulling in I/O.

pub mod config;
pub mod pdu;
pub mod time;

pub use ruma;
