//! Pacing of write requests, per installation.
//!
//! GitHub's guidance for integrations ("best practices for using the REST API") is to
//! make mutating requests serially, at least one second apart, and its secondary rate
//! limits punish bursts of content-creating requests (about 80 a minute). tacit keeps
//! both, whatever its tuning: a write is given the earliest slot that is
//! - at least `interval` after the previous slot, and
//! - such that no 60-second window holds more than `per_minute` slots.
//!
//! This is pure bookkeeping: the caller passes `now` and sleeps until the slot it gets.
//! Slots are handed out in order, so concurrent writers queue fairly.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The window of the per-minute cap.
pub const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct WritePace {
    interval: Duration,
    per_minute: usize,
    /// Slots handed out within the last [`WINDOW`] before the newest one, oldest first.
    slots: VecDeque<Instant>,
}

impl WritePace {
    /// `per_minute == 0` means no cap (only the interval applies).
    pub fn new(interval: Duration, per_minute: u32) -> WritePace {
        WritePace {
            interval,
            per_minute: per_minute as usize,
            slots: VecDeque::new(),
        }
    }

    /// Reserve the next slot for a write that wants to go at `now`; returns when it
    /// may be sent (`now` or later).
    pub fn reserve(&mut self, now: Instant) -> Instant {
        let mut slot = now;
        if let Some(&last) = self.slots.back() {
            slot = slot.max(last + self.interval);
        }
        if self.per_minute > 0 && self.slots.len() >= self.per_minute {
            // The write that would be `per_minute` back must have left the window.
            let oldest_in_window = self.slots[self.slots.len() - self.per_minute];
            slot = slot.max(oldest_in_window + WINDOW);
        }
        self.slots.push_back(slot);
        // Keep only what a later reservation can still need.
        while self.slots.len() > self.per_minute.max(1)
            || self
                .slots
                .front()
                .is_some_and(|&t| t + WINDOW <= slot && self.slots.len() > 1)
        {
            self.slots.pop_front();
        }
        slot
    }

    /// Whether this pace has nothing that could delay a future write (may be dropped).
    pub fn idle(&self, now: Instant) -> bool {
        self.slots.back().is_none_or(|&t| t + WINDOW <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    /// Offsets (from `t0`) of the slots given to writes requested at `requests`.
    fn schedule(interval: f64, cap: u32, requests: &[f64]) -> Vec<f64> {
        let t0 = Instant::now();
        let mut pace = WritePace::new(secs(interval), cap);
        requests
            .iter()
            .map(|&r| (pace.reserve(t0 + secs(r)) - t0).as_secs_f64())
            .collect()
    }

    #[test]
    fn the_first_write_goes_at_once() {
        assert_eq!(schedule(1.0, 80, &[5.0]), vec![5.0]);
    }

    #[test]
    fn writes_are_spaced_by_the_interval() {
        assert_eq!(
            schedule(1.0, 80, &[0.0, 0.0, 0.0, 2.5, 2.6]),
            vec![0.0, 1.0, 2.0, 3.0, 4.0]
        );
    }

    #[test]
    fn a_quiet_gap_needs_no_wait() {
        assert_eq!(schedule(1.0, 80, &[0.0, 10.0]), vec![0.0, 10.0]);
    }

    #[test]
    fn no_minute_holds_more_than_the_cap_even_with_no_interval() {
        // A burst of 200 writes with no spacing: 80 now, 80 a minute later, 40 after.
        let slots = schedule(0.0, 80, &[0.0; 200]);
        assert!(slots[..80].iter().all(|&s| s == 0.0));
        assert!(slots[80..160].iter().all(|&s| s == 60.0));
        assert!(slots[160..].iter().all(|&s| s == 120.0));
        assert_at_most_per_window(&slots, 80);
    }

    #[test]
    fn the_cap_binds_when_the_interval_is_short() {
        // 0.5 s apart would be 120 a minute; the cap holds it to 80.
        let slots = schedule(0.5, 80, &[0.0; 300]);
        assert_at_most_per_window(&slots, 80);
        for pair in slots.windows(2) {
            assert!(pair[1] - pair[0] >= 0.5 - 1e-9, "{pair:?}");
        }
        // The 81st write waits for the first to leave the window.
        assert_eq!(slots[80], 60.0);
    }

    #[test]
    fn with_the_default_interval_the_cap_never_adds_a_wait() {
        let slots = schedule(1.0, 80, &[0.0; 200]);
        let expected: Vec<f64> = (0..200).map(f64::from).collect();
        assert_eq!(slots, expected);
    }

    #[test]
    fn zero_cap_means_only_the_interval() {
        assert_eq!(schedule(0.0, 0, &[0.0; 3]), vec![0.0, 0.0, 0.0]);
    }

    #[test]
    fn idle_after_a_quiet_minute() {
        let t0 = Instant::now();
        let mut pace = WritePace::new(secs(1.0), 80);
        assert!(pace.idle(t0));
        pace.reserve(t0);
        assert!(!pace.idle(t0 + secs(59.0)));
        assert!(pace.idle(t0 + secs(60.0)));
    }

    fn assert_at_most_per_window(slots: &[f64], cap: usize) {
        for (i, &start) in slots.iter().enumerate() {
            let inside = slots[i..].iter().filter(|&&s| s < start + 60.0).count();
            assert!(inside <= cap, "{inside} writes in the minute from {start}");
        }
    }
}
