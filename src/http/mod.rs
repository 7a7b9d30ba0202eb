//! What tacit shows to people's browsers.

pub mod dashboard;
