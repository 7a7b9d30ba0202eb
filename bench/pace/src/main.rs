//! pace: send webhook deliveries at a fixed rate over keep-alive connections and print
//! latency percentiles. Open loop, as wrk2 does: request k is due at start + k/rate, and
//! its latency is counted from that due time, so a slow answer that delays the requests
//! behind it is charged to them too (no coordinated omission).
//!
//!   pace ADDR RATE SECONDS CONNECTIONS BODIES EVENT RUN_ID
//!
//! BODIES: a file of `sha256=HEX JSON` lines (bench/make_bodies.py; sent as EVENT) or of
//! `sha256=HEX EVENT KIND JSON` lines (bench/make_mix.py; each its own event, latencies
//! also reported per KIND), used in turn. Each request has a fresh X-GitHub-Delivery
//! (RUN_ID-k), which GitHub does not sign. Prints one line:
//!   sent=N ok=N bad=N errors=N rate=R p50_us=.. p90_us=.. p99_us=.. p999_us=.. max_us=..
//!   kinds=KIND:N:P50_US:P99_US,...   (with KIND lines only)
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Line {
    signature: String,
    event: Option<String>,
    kind: usize,
    body: Vec<u8>,
}

struct Outcome {
    /// (kind index, latency)
    latencies_us: Vec<(usize, u64)>,
    ok: u64,
    bad: u64,
    errors: u64,
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 8 {
        eprintln!("usage: pace ADDR RATE SECONDS CONNECTIONS BODIES EVENT RUN_ID");
        std::process::exit(2);
    }
    let addr = a[1].clone();
    let rate: f64 = a[2].parse().expect("RATE");
    let secs: f64 = a[3].parse().expect("SECONDS");
    let conns: usize = a[4].parse().expect("CONNECTIONS");
    let mut kinds: Vec<String> = Vec::new();
    let mut bodies: Vec<Line> = Vec::new();
    for l in std::fs::read_to_string(&a[5]).expect("BODIES").lines() {
        let Some((signature, rest)) = l.split_once(' ') else { continue };
        let (event, kind, body) = if rest.starts_with('{') {
            (None, String::new(), rest)
        } else {
            let mut parts = rest.splitn(3, ' ');
            let (e, k, b) = (parts.next().unwrap(), parts.next().expect("KIND"), parts.next().expect("JSON"));
            (Some(e.to_string()), k.to_string(), b)
        };
        let kind = match kinds.iter().position(|k| *k == kind) {
            Some(i) => i,
            None => {
                kinds.push(kind);
                kinds.len() - 1
            }
        };
        bodies.push(Line { signature: signature.to_string(), event, kind, body: body.as_bytes().to_vec() });
    }
    let bodies = Arc::new(bodies);
    assert!(!bodies.is_empty(), "no bodies in {}", a[5]);
    let event = a[6].clone();
    let run = a[7].clone();
    let total = (rate * secs).round() as u64;
    let interval = Duration::from_secs_f64(1.0 / rate);
    // Connect everything first, then start the clock a little later.
    let streams: Vec<TcpStream> = (0..conns)
        .map(|_| {
            let s = TcpStream::connect(&addr).expect("connect");
            s.set_nodelay(true).unwrap();
            s
        })
        .collect();
    let start = Instant::now() + Duration::from_millis(50);
    let handles: Vec<_> = streams
        .into_iter()
        .enumerate()
        .map(|(i, stream)| {
            let bodies = bodies.clone();
            let (event, run, addr) = (event.clone(), run.clone(), addr.clone());
            std::thread::spawn(move || {
                let mut out = Outcome { latencies_us: Vec::new(), ok: 0, bad: 0, errors: 0 };
                let mut stream = Some(stream);
                let mut k = i as u64;
                while k < total {
                    let due = start + interval * (k as u32);
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                    let line = &bodies[(k as usize) % bodies.len()];
                    let (signature, body) = (&line.signature, &line.body);
                    let event = line.event.as_deref().unwrap_or(&event);
                    let head = format!(
                        "POST /api/github/webhooks HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
                         X-GitHub-Event: {event}\r\nX-GitHub-Delivery: {run}-{k}\r\nX-Hub-Signature-256: {signature}\r\n\
                         User-Agent: GitHub-Hookshot/pace\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    if stream.is_none() {
                        match TcpStream::connect(&addr) {
                            Ok(s) => {
                                s.set_nodelay(true).unwrap();
                                stream = Some(s)
                            }
                            Err(_) => {
                                out.errors += 1;
                                k += conns as u64;
                                continue;
                            }
                        }
                    }
                    let s = stream.as_mut().unwrap();
                    let mut req = head.into_bytes();
                    req.extend_from_slice(body);
                    let result = s.write_all(&req).and_then(|_| read_response(s));
                    match result {
                        Ok(status) => {
                            out.latencies_us.push((line.kind, due.elapsed().as_micros() as u64));
                            if (200..300).contains(&status) { out.ok += 1 } else { out.bad += 1 }
                        }
                        Err(_) => {
                            out.errors += 1;
                            stream = None;
                        }
                    }
                    k += conns as u64;
                }
                out
            })
        })
        .collect();
    let mut all = Outcome { latencies_us: Vec::new(), ok: 0, bad: 0, errors: 0 };
    for h in handles {
        let o = h.join().unwrap();
        all.latencies_us.extend(o.latencies_us);
        all.ok += o.ok;
        all.bad += o.bad;
        all.errors += o.errors;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let pct = |l: &[u64], p: f64| -> u64 {
        if l.is_empty() { return 0 }
        l[(((l.len() as f64) * p).ceil() as usize).clamp(1, l.len()) - 1]
    };
    let mut l: Vec<u64> = all.latencies_us.iter().map(|&(_, v)| v).collect();
    l.sort_unstable();
    let mut per_kind = String::new();
    for (i, name) in kinds.iter().enumerate().filter(|(_, k)| !k.is_empty()) {
        let mut lk: Vec<u64> =
            all.latencies_us.iter().filter(|&&(k, _)| k == i).map(|&(_, v)| v).collect();
        lk.sort_unstable();
        per_kind.push_str(if per_kind.is_empty() { " kinds=" } else { "," });
        per_kind.push_str(&format!("{name}:{}:{}:{}", lk.len(), pct(&lk, 0.50), pct(&lk, 0.99)));
    }
    println!(
        "sent={} ok={} bad={} errors={} rate={:.1} p50_us={} p90_us={} p99_us={} p999_us={} max_us={}{}",
        total, all.ok, all.bad, all.errors, (all.ok + all.bad) as f64 / elapsed,
        pct(&l, 0.50), pct(&l, 0.90), pct(&l, 0.99), pct(&l, 0.999), l.last().copied().unwrap_or(0),
        per_kind
    );
}

/// Read one HTTP/1.1 response (Content-Length or chunked body); returns its status code.
fn read_response(s: &mut TcpStream) -> std::io::Result<u16> {
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let (mut length, mut chunked) = (0usize, false);
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(std::io::Error::other("eof in headers"));
        }
        let h = line.trim_end();
        if h.is_empty() { break }
        if let Some((k, v)) = h.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "content-length" { length = v.parse().unwrap_or(0) }
            if k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked") { chunked = true }
        }
    }
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let n = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                .map_err(std::io::Error::other)?;
            let mut chunk = vec![0u8; n + 2];
            r.read_exact(&mut chunk)?;
            if n == 0 { break }
        }
    } else {
        let mut b = vec![0u8; length];
        r.read_exact(&mut b)?;
    }
    // Responses are read whole before the next request, so nothing is left buffered.
    if !r.buffer().is_empty() {
        return Err(std::io::Error::other("unexpected bytes after response"));
    }
    Ok(status)
}
