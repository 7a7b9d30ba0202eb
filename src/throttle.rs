//! At most one log line per interval for events anyone on the network can cause
//! (unverified webhook requests, failed accepts), with a count of the events it covers.

use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Throttle {
    interval: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// When the last line was written.
    last_line: Option<Instant>,
    /// Events since then that no line has counted yet.
    unlogged: u64,
}

impl Throttle {
    pub fn new(interval: Duration) -> Throttle {
        Throttle {
            interval,
            state: Mutex::new(State::default()),
        }
    }

    /// Count one event at `now`. `Some(n)`: write one line now, for `n` events (this one
    /// and those since the last line); `None`: stay quiet.
    pub fn hit(&self, now: Instant) -> Option<u64> {
        let mut s = self.state.lock().expect("poisoned");
        s.unlogged += 1;
        let due = s
            .last_line
            .is_none_or(|last| now.saturating_duration_since(last) >= self.interval);
        if !due {
            return None;
        }
        s.last_line = Some(now);
        Some(std::mem::take(&mut s.unlogged))
    }
}

/// `value` cut to at most `max` characters (with `…` when cut), for logging what a
/// client sent.
pub fn truncate(value: &str, max: usize) -> String {
    match value.char_indices().nth(max) {
        None => value.to_string(),
        Some((cut, _)) => format!("{}…", &value[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_counting_what_it_covers() {
        let t = Throttle::new(Duration::from_secs(10));
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert_eq!(t.hit(at(0)), Some(1), "the first event is logged at once");
        let quiet = (1..1000).filter_map(|i| t.hit(at(i * 9))).count();
        assert_eq!(quiet, 0, "then nothing until 10 s have passed");
        assert_eq!(t.hit(at(10_000)), Some(1000), "999 quiet ones and this one");
        assert_eq!(t.hit(at(10_001)), None);
        assert_eq!(t.hit(at(60_000)), Some(2));
    }

    #[test]
    fn values_are_cut_on_character_boundaries() {
        assert_eq!(truncate("issues", 64), "issues");
        assert_eq!(truncate(&"a".repeat(100), 8), "aaaaaaaa…");
        assert_eq!(truncate("ééééé", 2), "éé…");
    }
}
