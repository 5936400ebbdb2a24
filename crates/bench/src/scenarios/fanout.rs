//! `fanout`: L listeners long-poll `/sync` in one room while one sender sends S messages a
//! little apart; for every listener and message, the delay from the start of the send request
//! to the listener's sync response that carries the message. One phase per listener count.
//!
//! Each message's body carries a marker (a per-phase nonce, its sequence number and when its
//! send started, in microseconds since the phase's clock origin), so a listener can time a
//! message from the body alone, whatever order or batching the server delivers in. Listeners
//! re-poll as soon as a response arrives and stop once they have every message; a message a
//! listener still lacks when the sender is done and a grace period has passed is missed.
//! The listeners' filter keeps their responses to this room's timeline (no presence, typing,
//! receipts or account data), so a wake-up without the message is cheap for both sides.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::context::Context;
use crate::error::{BenchError, Result};
use crate::matrix::{Server, SyncQuery, SyncResponse, User};
use crate::report::PhaseReport;
use crate::runner::{ErrorTally, Tally};
use crate::setup;
use crate::stats::LatencySummary;

/// The scenario's name on the command line.
pub const NAME: &str = "fanout";

/// Timeline events per room in one sync response. Messages are spaced out, so a response
/// normally carries one or two; a limited timeline would mean skipped messages.
const TIMELINE_LIMIT: usize = 20;

/// Longest wait for the listeners' first long-polls to be parked before sending starts.
const SETTLE_CAP: Duration = Duration::from_secs(10);

/// Options of `fanout`.
#[derive(Debug, Clone, clap::Args, Serialize)]
pub struct Args {
    /// Listener counts (L), one phase each.
    #[arg(long, value_delimiter = ',', default_value = "50,100")]
    pub listeners: Vec<usize>,
    /// Messages the sender sends per phase (S).
    #[arg(long, default_value_t = 50)]
    pub messages: usize,
    /// Shortest pause after one send's response before the next send, in milliseconds.
    #[arg(long, default_value_t = 50)]
    pub min_gap_ms: u64,
    /// Longest such pause, in milliseconds (each pause is drawn at random in between).
    #[arg(long, default_value_t = 100)]
    pub max_gap_ms: u64,
    /// The listeners' long-poll timeout, in seconds.
    #[arg(long, default_value_t = 30)]
    pub poll_timeout: u64,
    /// After the last send, how long to wait for missing deliveries before counting them
    /// missed, in seconds.
    #[arg(long, default_value_t = 10)]
    pub grace: u64,
}

/// Runs one phase per listener count.
pub async fn run(ctx: &Arc<Context>, args: &Args) -> Result<Vec<PhaseReport>> {
    let most = args.listeners.iter().copied().max().unwrap_or(0);
    if args.listeners.contains(&0) || most == 0 || args.messages == 0 || args.poll_timeout == 0 {
        return Err(BenchError::Options("--listeners, --messages and --poll-timeout must be at least 1".into()));
    }
    if args.min_gap_ms > args.max_gap_ms {
        return Err(BenchError::Options("--min-gap-ms must not exceed --max-gap-ms".into()));
    }
    let deadline = ctx.deadline();
    let mut users = ctx.create_users(NAME, 1 + most, deadline).await?;
    let sender = users.remove(0);
    let mut phases = Vec::new();
    for (phase, &count) in args.listeners.iter().enumerate() {
        phases.push(run_phase(ctx, args, &sender, &users[..count], phase, deadline).await?);
    }
    Ok(phases)
}

/// The listeners' filter: only `room_id`'s timeline, at most `TIMELINE_LIMIT` events of it.
fn listener_filter(room_id: &str) -> String {
    let none = json!({ "not_types": ["*"] });
    json!({
        "room": {
            "rooms": [room_id],
            "timeline": { "limit": TIMELINE_LIMIT },
            "state": { "lazy_load_members": true },
            "ephemeral": none,
            "account_data": none,
        },
        "presence": none,
        "account_data": none,
    })
    .to_string()
}

async fn run_phase(
    ctx: &Arc<Context>,
    args: &Args,
    sender: &User,
    listeners: &[User],
    phase: usize,
    deadline: Instant,
) -> Result<PhaseReport> {
    let name = format!("{} listeners", listeners.len());
    let room = setup::public_room(ctx, sender, listeners, &format!("fanout: {name}"), deadline).await?;
    let filter = Arc::new(listener_filter(&room));
    let since = setup::first_since(ctx, listeners, &filter, deadline).await?;

    let nonce = Arc::new(format!("p{phase}r{}", rand::random_range(0..1_000_000u32)));
    let clock = Instant::now();
    let logs: Arc<Vec<Mutex<Deliveries>>> =
        Arc::new(listeners.iter().map(|_| Mutex::new(Deliveries::new(args.messages))).collect());
    let stats = Arc::new(ListenStats::default());
    let mut tasks = JoinSet::new();
    for (i, (user, since)) in listeners.iter().zip(since).enumerate() {
        let listener = Listener {
            server: ctx.server.clone(),
            user: user.clone(),
            room: room.clone(),
            filter: Arc::clone(&filter),
            timeout_ms: args.poll_timeout * 1000,
            nonce: Arc::clone(&nonce),
            clock,
            logs: Arc::clone(&logs),
            index: i,
            stats: Arc::clone(&stats),
        };
        tasks.spawn(listener.run(since));
    }
    // Sending before the first long-polls are parked would time the server's backlog of
    // incoming syncs, not delivery.
    ctx.settle(SETTLE_CAP).await?;

    let (server, sender, messages) = (ctx.server.clone(), sender.clone(), args.messages);
    let (gaps, grace) = ((args.min_gap_ms, args.max_gap_ms), Duration::from_secs(args.grace));
    let (ctx_send, send_nonce, phase_logs, phase_stats) =
        (Arc::clone(ctx), Arc::clone(&nonce), Arc::clone(&logs), Arc::clone(&stats));
    let (mut report, (sent, missed, send_latencies, failed_syncs)) = ctx
        .measure(name, None, async move {
            let started = Instant::now();
            let mut errors = ErrorTally::default();
            let mut sent = vec![false; messages];
            let mut send_latencies = Vec::new();
            let mut cut_short = false;
            for (seq, sent_ok) in sent.iter_mut().enumerate() {
                let sent_us = micros_since(clock);
                let text = marker(&send_nonce, seq, sent_us);
                let began = Instant::now();
                match tokio::time::timeout_at(deadline, server.send_text(&sender, &room, &ctx_send.txn_id(), &text))
                    .await
                {
                    Ok(Ok(_)) => {
                        *sent_ok = true;
                        send_latencies.push(began.elapsed());
                    }
                    Ok(Err(e)) => errors.add(format!("send: {e}")),
                    Err(_) => {
                        cut_short = true;
                        break;
                    }
                }
                if seq + 1 < messages {
                    tokio::time::sleep(Duration::from_millis(rand::random_range(gaps.0..=gaps.1))).await;
                }
            }
            let wait_until = (Instant::now() + grace).min(deadline);
            while !phase_logs.iter().all(|log| lock(log).has_all(&sent)) {
                if Instant::now() >= wait_until {
                    cut_short |= wait_until == deadline;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let wall = started.elapsed();
            let logs: Vec<Deliveries> = phase_logs.iter().map(|log| lock(log).clone()).collect();
            let (latencies, missed) = summarise(&logs, &sent);
            errors.add_n("never delivered to a listener".into(), missed);
            let sync_errors = std::mem::take(&mut *lock(&phase_stats.errors));
            let failed_syncs = sync_errors.count;
            errors.merge(sync_errors);
            let tally = Tally { ok: latencies.len(), latencies, errors, wall, cut_short };
            Ok((tally, (sent, missed, send_latencies, failed_syncs)))
        })
        .await?;
    tasks.abort_all();
    report.figure("messages sent", sent.iter().filter(|&&s| s).count() as f64, "");
    report.figure("missed", missed as f64, "");
    if let Some(latency) = &report.latency {
        report.figure("max delivery", latency.max_ms, "ms");
    }
    if let Some(send) = LatencySummary::from_durations(&send_latencies) {
        report.figure("send p50", send.p50_ms, "ms");
        report.figure("send p99", send.p99_ms, "ms");
    }
    report.figure("sync responses", stats.responses.load(Ordering::Relaxed) as f64, "");
    report.figure("limited timelines", stats.limited.load(Ordering::Relaxed) as f64, "");
    report.figure("failed syncs", failed_syncs as f64, "");
    Ok(report)
}

/// Locks `mutex`, ignoring poisoning: a listener that panicked left its log readable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn micros_since(origin: Instant) -> u64 {
    u64::try_from(origin.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// What all listeners of a phase counted besides deliveries.
#[derive(Debug, Default)]
struct ListenStats {
    responses: AtomicUsize,
    limited: AtomicUsize,
    errors: Mutex<ErrorTally>,
}

/// One listener: long-polls until it has every message or its task is aborted.
struct Listener {
    server: Server,
    user: User,
    room: String,
    filter: Arc<String>,
    timeout_ms: u64,
    nonce: Arc<String>,
    clock: Instant,
    logs: Arc<Vec<Mutex<Deliveries>>>,
    index: usize,
    stats: Arc<ListenStats>,
}

impl Listener {
    async fn run(self, mut since: String) {
        loop {
            let query = SyncQuery { since: Some(&since), timeout_ms: self.timeout_ms, filter: Some(&self.filter) };
            let body = match self.server.sync(&self.user, query).await {
                Ok(body) => body,
                Err(e) => {
                    lock(&self.stats.errors).add(format!("sync: {e}"));
                    // A failing server must not be hammered in a tight loop.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            // Timed before parsing: the client's own parsing is not the server's delivery.
            let received_us = micros_since(self.clock);
            self.stats.responses.fetch_add(1, Ordering::Relaxed);
            let response: SyncResponse = match serde_json::from_slice(&body) {
                Ok(response) => response,
                Err(e) => {
                    lock(&self.stats.errors).add(format!("sync response: {e}"));
                    continue;
                }
            };
            since = response.next_batch;
            let Some(room) = response.rooms.join.get(&self.room) else { continue };
            if room.timeline.limited {
                self.stats.limited.fetch_add(1, Ordering::Relaxed);
            }
            let mut log = lock(&self.logs[self.index]);
            for event in &room.timeline.events {
                let body = event.pointer("/content/body").and_then(Value::as_str).unwrap_or_default();
                if let Some((seq, sent_us)) = parse_marker(body, &self.nonce) {
                    log.record(seq, sent_us, received_us);
                }
            }
            if log.received == log.first.len() {
                return;
            }
        }
    }
}

/// The body of message `seq` of the phase `nonce`, whose send started `sent_us` microseconds
/// after the phase's clock origin.
pub fn marker(nonce: &str, seq: usize, sent_us: u64) -> String {
    format!("fanout {nonce} #{seq} @{sent_us}")
}

/// The sequence number and send time in a body made by [`marker`] with this `nonce`; `None`
/// for any other body.
pub fn parse_marker(body: &str, nonce: &str) -> Option<(usize, u64)> {
    let mut parts = body.strip_prefix("fanout ")?.split(' ');
    if parts.next()? != nonce {
        return None;
    }
    let seq = parts.next()?.strip_prefix('#')?.parse().ok()?;
    let sent_us = parts.next()?.strip_prefix('@')?.parse().ok()?;
    parts.next().is_none().then_some((seq, sent_us))
}

/// What one listener received: for each message, the delay from its send's start to the
/// first sync response that carried it.
#[derive(Debug, Clone, PartialEq)]
pub struct Deliveries {
    first: Vec<Option<Duration>>,
    received: usize,
}

impl Deliveries {
    /// Nothing received yet of `messages` messages.
    pub fn new(messages: usize) -> Self {
        Self { first: vec![None; messages], received: 0 }
    }

    /// Records message `seq`, sent at `sent_us`, in a response received at `received_us`.
    /// Only the first copy counts; sequence numbers out of range are ignored.
    pub fn record(&mut self, seq: usize, sent_us: u64, received_us: u64) {
        if let Some(slot @ None) = self.first.get_mut(seq) {
            *slot = Some(Duration::from_micros(received_us.saturating_sub(sent_us)));
            self.received += 1;
        }
    }

    /// Whether every message whose send succeeded (`sent[seq]`) has arrived.
    pub fn has_all(&self, sent: &[bool]) -> bool {
        self.first.iter().zip(sent).all(|(got, &sent)| !sent || got.is_some())
    }
}

/// The delivery latencies of the messages sent (`sent[seq]`), over all listeners, and how many
/// (listener, message) pairs never arrived. A message whose send failed is neither.
pub fn summarise(logs: &[Deliveries], sent: &[bool]) -> (Vec<Duration>, usize) {
    let mut latencies = Vec::new();
    let mut missed = 0;
    for log in logs {
        for (got, &sent) in log.first.iter().zip(sent) {
            match (sent, got) {
                (true, Some(latency)) => latencies.push(*latency),
                (true, None) => missed += 1,
                (false, _) => {}
            }
        }
    }
    (latencies, missed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip_and_reject_others() {
        let body = marker("p1r42", 17, 123_456);
        assert_eq!(body, "fanout p1r42 #17 @123456");
        assert_eq!(parse_marker(&body, "p1r42"), Some((17, 123_456)));
        assert_eq!(parse_marker(&body, "p0r42"), None);
        for bad in ["", "fanout p1r42", "fanout p1r42 17 @5", "fanout p1r42 #x @5", "fanout p1r42 #1 @5 extra"] {
            assert_eq!(parse_marker(bad, "p1r42"), None, "{bad}");
        }
    }

    #[test]
    fn only_the_first_copy_of_a_message_counts() {
        let mut log = Deliveries::new(3);
        log.record(1, 1_000, 6_000);
        log.record(1, 1_000, 9_000);
        log.record(7, 0, 1);
        assert_eq!(log.first, [None, Some(Duration::from_millis(5)), None]);
        assert_eq!(log.received, 1);
        assert!(log.has_all(&[false, true, false]));
        assert!(!log.has_all(&[true, true, false]));
        // A clock read before the send started cannot make a negative latency.
        log.record(0, 10, 5);
        assert_eq!(log.first[0], Some(Duration::ZERO));
    }

    #[test]
    fn missed_counts_only_messages_that_were_sent() {
        let mut a = Deliveries::new(3);
        a.record(0, 0, 2_000);
        a.record(1, 0, 4_000);
        let mut b = Deliveries::new(3);
        b.record(0, 0, 3_000);
        b.record(2, 0, 1_000);
        // Message 2's send failed: b's copy of it (impossible in practice) and a's lack of it
        // both stay out of the figures.
        let (mut latencies, missed) = summarise(&[a, b], &[true, true, false]);
        latencies.sort();
        assert_eq!(latencies, [2, 3, 4].map(Duration::from_millis));
        assert_eq!(missed, 1);
    }

    #[test]
    fn the_filter_names_the_room_and_limits_the_timeline() {
        let filter: Value = serde_json::from_str(&listener_filter("!r:x")).unwrap();
        assert_eq!(filter["room"]["rooms"], json!(["!r:x"]));
        assert_eq!(filter["room"]["timeline"]["limit"], json!(TIMELINE_LIMIT));
        assert_eq!(filter["presence"]["not_types"], json!(["*"]));
    }
}
