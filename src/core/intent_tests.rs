//! Unit tests of the decision machine over simulated time (filled in separately).
