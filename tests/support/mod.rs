//! Test support shared by the integration tests: an in-process fake GitHub, the test App's
//! keys, and builders for signed webhook deliveries.
//!
//! Each test binary compiles this module on its own and uses only part of it, hence the
//! `dead_code` allowances.

#[allow(dead_code, unused_imports)]
pub mod binary;
#[allow(dead_code, unused_imports)]
pub mod deliveries;
#[allow(dead_code, unused_imports)]
pub mod fake_github;
#[allow(dead_code, unused_imports)]
pub mod keys;
#[allow(dead_code, unused_imports)]
pub mod tacit;
