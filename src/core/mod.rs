//! The functional core of tacit: everything here is pure.
//!
//! No module under `core` reads the clock, touches the network or the database,
//! or spawns tasks. Time comes in as an argument (`now`), and what should happen
//! goes out as data ([`intent::Effect`]). This is what makes the rules of lazy
//! consensus testable with plain unit tests over simulated time.

pub mod business;
pub mod commands;
pub mod config;
pub mod duration;
pub mod intent;
pub mod labels;
pub mod names;
pub mod order;
pub mod render;

#[cfg(test)]
mod people_tests;
