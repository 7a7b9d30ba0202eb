//! Counters for `GET /metrics`, in the Prometheus text format.
//!
//! A handful of labelled counters and one histogram, kept in memory per process (each
//! replica reports its own). Gauges that the database knows (open intents) are read at
//! scrape time.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use crate::webhook;

/// Upper bounds (seconds) of the timer lateness histogram.
const LATENESS_BUCKETS: [f64; 9] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Verified deliveries only, by event (one of [`webhook::KNOWN_EVENTS`] or `other`):
    /// a bounded set of series, whatever requests arrive.
    deliveries: BTreeMap<(&'static str, &'static str), u64>,
    /// Webhook requests turned away before their signature was verified, by reason.
    rejected: BTreeMap<&'static str, u64>,
    /// HTTP connections open now, the most open at once, and the cap.
    connections: u64,
    connections_peak: u64,
    connections_max: u64,
    effects: BTreeMap<(String, String), u64>,
    github_errors: BTreeMap<String, u64>,
    rate_limit_waits: u64,
    write_pacing_seconds: f64,
    lateness_buckets: [u64; LATENESS_BUCKETS.len()],
    lateness_count: u64,
    lateness_sum: f64,
}

impl Metrics {
    /// A verified delivery: its event (any value; those tacit does not know count as
    /// `other`) and what the receiver answered.
    pub fn delivery(&self, event: &str, verdict: &'static str) {
        let event = webhook::KNOWN_EVENTS
            .iter()
            .find(|known| **known == event)
            .copied()
            .unwrap_or("other");
        let mut m = self.inner.lock().expect("poisoned");
        *m.deliveries.entry((event, verdict)).or_default() += 1;
    }

    /// A webhook request turned away before its signature could count (`reason`:
    /// `signature`, `too_large`, `busy`).
    pub fn rejected(&self, reason: &'static str) {
        *self
            .inner
            .lock()
            .expect("poisoned")
            .rejected
            .entry(reason)
            .or_default() += 1;
    }

    /// The cap on HTTP connections served at once.
    pub fn connections_max(&self, max: usize) {
        self.inner.lock().expect("poisoned").connections_max = max as u64;
    }

    /// An HTTP connection was accepted; it counts until the guard is dropped.
    pub fn connection(self: &std::sync::Arc<Self>) -> ConnectionGuard {
        let mut m = self.inner.lock().expect("poisoned");
        m.connections += 1;
        m.connections_peak = m.connections_peak.max(m.connections);
        ConnectionGuard(self.clone())
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

    /// The most HTTP connections that were open at once.
    pub fn connections_peak(&self) -> u64 {
        self.inner.lock().expect("poisoned").connections_peak
    }

    /// The Prometheus text exposition, with `open_intents` read by the caller.
    pub fn render(&self, open_intents: Option<i64>) -> String {
        let m = self.inner.lock().expect("poisoned");
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP tacit_deliveries_total Verified webhook deliveries by event and what the receiver answered."
        );
        let _ = writeln!(s, "# TYPE tacit_deliveries_total counter");
        for ((event, verdict), n) in &m.deliveries {
            let _ = writeln!(
                s,
                "tacit_deliveries_total{{event=\"{event}\",verdict=\"{verdict}\"}} {n}"
            );
        }
        let _ = writeln!(
            s,
            "# HELP tacit_webhook_rejected_total Webhook requests turned away unverified: bad signature, too large, or too many bytes in flight."
        );
        let _ = writeln!(s, "# TYPE tacit_webhook_rejected_total counter");
        for (reason, n) in &m.rejected {
            let _ = writeln!(s, "tacit_webhook_rejected_total{{reason=\"{reason}\"}} {n}");
        }
        let _ = writeln!(
            s,
            "# HELP tacit_http_connections HTTP connections open now."
        );
        let _ = writeln!(s, "# TYPE tacit_http_connections gauge");
        let _ = writeln!(s, "tacit_http_connections {}", m.connections);
        let _ = writeln!(
            s,
            "# HELP tacit_http_connections_peak The most HTTP connections open at once since start."
        );
        let _ = writeln!(s, "# TYPE tacit_http_connections_peak gauge");
        let _ = writeln!(s, "tacit_http_connections_peak {}", m.connections_peak);
        let _ = writeln!(
            s,
            "# HELP tacit_http_connections_max The most HTTP connections served at once; more wait to be accepted."
        );
        let _ = writeln!(s, "# TYPE tacit_http_connections_max gauge");
        let _ = writeln!(s, "tacit_http_connections_max {}", m.connections_max);
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

/// Counts an open HTTP connection until dropped.
pub struct ConnectionGuard(std::sync::Arc<Metrics>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut m = self.0.inner.lock().expect("poisoned");
        m.connections = m.connections.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_a_cumulative_histogram() {
        let m = Metrics::default();
        m.delivery("issues", "recorded");
        m.delivery("issues", "recorded");
        m.delivery("bad\"event", "bad_request");
        m.rejected("signature");
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
            text.contains("tacit_deliveries_total{event=\"other\",verdict=\"bad_request\"} 1"),
            "unknown events count as other: {text}"
        );
        assert!(text.contains("tacit_webhook_rejected_total{reason=\"signature\"} 1"));
        assert!(text.contains("tacit_open_intents 7"));
        assert!(text.contains("tacit_effects_total{kind=\"merge\",result=\"done\"} 1"));
        assert!(text.contains("tacit_github_errors_total{status=\"502\"} 1"));
        assert!(text.contains("tacit_github_rate_limit_waits_total 1"));
        assert!(text.contains("tacit_timer_lateness_seconds_bucket{le=\"0.05\"} 1"));
        assert!(text.contains("tacit_timer_lateness_seconds_bucket{le=\"2.5\"} 2"));
        assert!(text.contains("tacit_timer_lateness_seconds_count 2"));
    }

    #[test]
    fn any_number_of_event_names_makes_a_bounded_number_of_series() {
        let m = Metrics::default();
        for i in 0..10_000 {
            m.delivery(&format!("event-{i}"), "recorded");
        }
        m.delivery("issues", "recorded");
        let text = m.render(None);
        let series = text
            .lines()
            .filter(|l| l.starts_with("tacit_deliveries_total{"))
            .count();
        assert_eq!(series, 2, "{text}");
    }

    #[test]
    fn connections_are_counted_with_their_peak() {
        let m = std::sync::Arc::new(Metrics::default());
        m.connections_max(8);
        let a = m.connection();
        let b = m.connection();
        drop(a);
        let text = m.render(None);
        assert!(text.contains("tacit_http_connections 1\n"), "{text}");
        assert!(text.contains("tacit_http_connections_peak 2\n"), "{text}");
        assert!(text.contains("tacit_http_connections_max 8\n"), "{text}");
        drop(b);
        assert_eq!(m.connections_peak(), 2);
    }
}
