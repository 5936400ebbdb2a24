//! Media handling for the homeserver's media repository, without HTTP: what type to store and how to serve it,
//! which file names and media ids are acceptable, thumbnails, and content-addressed blob storage.

pub mod blobs;
pub mod names;
pub mod sniff;
pub mod thumbnail;
