//! Counters for `GET /metrics`, in the Prometheus text format.
//!
//! A handful of labelled counters and one histogram, kept in memory per process (each
//! replica reports its own). Gauges that the database knows (open intents) are read at
//! scrape time.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Upper bounds (seconds) of the timer lateness histogram.
const LATENESS_BUCKETS: [f64; 9] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    deliveries: BTreeMap<(String, String), u64>,
    effects: BTreeMap<(String, String), u64>,
    github_errors: BTreeMap<String, u64>,
    rate_limit_waits: u64,
    write_pacing_seconds: f64,
    lateness_buckets: [u64; LATENESS_BUCKETS.len()],
    lateness_count: u64,
    lateness_sum: f64,
}

impl Metrics {
    pub fn delivery(&self, event: &str, verdict: &str) {
        let mut m = self.inner.lock().expect("poisoned");
        *m.deliveries
            .entry((clean(event), verdict.to_string()))
            .or_default() += 1;
    }

    pub fn effect(&self, kind: &str, result: &str) {
        let mut m = self.inner.lock().expect("poisoned");
        *m.effects
            .entry((kind.to_string(), result.to_string()))
            .or_default() += 1;
    }

    /// A GitHub answer that was an error (`status` is the HTTP status, or "transport").
    pub fn github_error(&self, status: &str) {
        let mut m = self.inner.lock().expect("poisoned");
        *m.github_errors.entry(status.to_string()).or_default() += 1;
    }

    pub fn rate_limit_wait(&self) {
        self.inner.lock().expect("poisoned").rate_limit_waits += 1;
    }

    /// A write waited for its slot (spacing and per-minute cap per installation).
    pub fn write_paced(&self, wait: std::time::Duration) {
        self.inner.lock().expect("poisoned").write_pacing_seconds += wait.as_secs_f64();
    }

    /// How late a timer fired, in seconds.
    pub fn lateness(&self, seconds: f64) {
        let mut m = self.inner.lock().expect("poisoned");
        let seconds = seconds.max(0.0);
        for (i, bound) in LATENESS_BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                m.lateness_buckets[i] += 1;
            }
        }
        m.lateness_count += 1;
        m.lateness_sum += seconds;
    }

    /// The Prometheus text exposition, with `open_intents` read by the caller.
    pub fn render(&self, open_intents: Option<i64>) -> String {
        let m = self.inner.lock().expect("poisoned");
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP tacit_deliveries_total Webhook deliveries by event and what the receiver answered."
        );
        let _ = writeln!(s, "# TYPE tacit_deliveries_total counter");
        for ((event, verdict), n) in &m.deliveries {
            let _ = writeln!(
                s,
                "tacit_deliveries_total{{event=\"{event}\",verdict=\"{verdict}\"}} {n}"
            );
        }
        if let Some(open) = open_intents {
            let _ = writeln!(
                s,
                "# HELP tacit_open_intents Intents whose window is open, blocked or waiting."
            );
            let _ = writeln!(s, "# TYPE tacit_open_intents gauge");
            let _ = writeln!(s, "tacit_open_intents {open}");
        }
        let _ = writeln!(
            s,
            "# HELP tacit_effects_total Effects performed on GitHub, by kind and result."
        );
        let _ = writeln!(s, "# TYPE tacit_effects_total counter");
        for ((kind, result), n) in &m.effects {
            let _ = writeln!(
                s,
                "tacit_effects_total{{kind=\"{kind}\",result=\"{result}\"}} {n}"
            );
        }
        let _ = writeln!(
            s,
            "# HELP tacit_github_errors_total Error answers from GitHub, by status."
        );
        let _ = writeln!(s, "# TYPE tacit_github_errors_total counter");
        for (status, n) in &m.github_errors {
            let _ = writeln!(s, "tacit_github_errors_total{{status=\"{status}\"}} {n}");
        }
        let _ = writeln!(
            s,
            "# HELP tacit_github_rate_limit_waits_total Times GitHub asked tacit to wait."
        );
        let _ = writeln!(s, "# TYPE tacit_github_rate_limit_waits_total counter");
        let _ = writeln!(
            s,
            "tacit_github_rate_limit_waits_total {}",
            m.rate_limit_waits
        );
        let _ = writeln!(
            s,
            "# HELP tacit_github_write_pacing_seconds_total Time writes waited for their slot (1 s apart, at most 80 a minute per installation)."
        );
        let _ = writeln!(s, "# TYPE tacit_github_write_pacing_seconds_total counter");
        let _ = writeln!(
            s,
            "tacit_github_write_pacing_seconds_total {}",
            m.write_pacing_seconds
        );
        let _ = writeln!(
            s,
            "# HELP tacit_timer_lateness_seconds How late due intents were handled."
        );
        let _ = writeln!(s, "# TYPE tacit_timer_lateness_seconds histogram");
        for (i, bound) in LATENESS_BUCKETS.iter().enumerate() {
            let _ = writeln!(
                s,
                "tacit_timer_lateness_seconds_bucket{{le=\"{bound}\"}} {}",
                m.lateness_buckets[i]
            );
        }
        let _ = writeln!(
            s,
            "tacit_timer_lateness_seconds_bucket{{le=\"+Inf\"}} {}",
            m.lateness_count
        );
        let _ = writeln!(s, "tacit_timer_lateness_seconds_sum {}", m.lateness_sum);
        let _ = writeln!(s, "tacit_timer_lateness_seconds_count {}", m.lateness_count);
        s
    }
}

/// Event names come from a header: keep label values to a safe alphabet.
fn clean(s: &str) -> String {
    let v: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect();
    if v.is_empty() { "unknown".into() } else { v }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_a_cumulative_histogram() {
        let m = Metrics::default();
        m.delivery("issues", "recorded");
        m.delivery("issues", "recorded");
        m.delivery("bad\"event", "bad_signature");
        m.effect("merge", "done");
        m.github_error("502");
        m.rate_limit_wait();
        m.lateness(0.03);
        m.lateness(2.0);
        let text = m.render(Some(7));
        assert!(
            text.contains("tacit_deliveries_total{event=\"issues\",verdict=\"recorded\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("event=\"badevent\""),
            "label values are sanitised: {text}"
        );
        assert!(text.contains("tacit_open_intents 7"));
        assert!(text.contains("tacit_effects_total{kind=\"merge\",result=\"done\"} 1"));
        assert!(text.contains("tacit_github_errors_total{status=\"502\"} 1"));
        assert!(text.contains("tacit_github_rate_limit_waits_total 1"));
        assert!(text.contains("tacit_timer_lateness_seconds_bucket{le=\"0.05\"} 1"));
        assert!(text.contains("tacit_timer_lateness_seconds_bucket{le=\"2.5\"} 2"));
        assert!(text.contains("tacit_timer_lateness_seconds_count 2"));
    }
}
