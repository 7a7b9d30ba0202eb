//! Test support shared by the integration tests: an in-process fake GitHub, the test App's
//! keys, and builders for signed webhook deliveries.

pub mod binary;
pub mod deliveries;
pub mod fake_github;
pub mod keys;
pub mod tacit;
pub mod world;
