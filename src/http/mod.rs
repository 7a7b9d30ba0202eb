//! What tacit shows to people's browsers: the operator dashboard, and what the pages
//! (the dashboard's and `tacit setup`'s) share: HTML escaping, and comparing a
//! presented secret in constant time.

pub mod dashboard;
pub mod html;
pub mod secret;
