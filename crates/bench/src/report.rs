//! What a run reports: figures per phase, derived rates, the table for people and the JSON
//! document for tools.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::runner::Tally;
use crate::sampler::ServerUsage;
use crate::stats::LatencySummary;

const MIB: f64 = 1024.0 * 1024.0;

/// The whole run, as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct RunReport {
    /// `rempart-bench` and its version.
    pub tool: String,
    /// The `--label` given (e.g. the server's name).
    pub label: Option<String>,
    /// The server benchmarked.
    pub base_url: String,
    /// The spec versions `/_matrix/client/versions` advertised.
    pub spec_versions: Value,
    /// The pid sampled, when `--server-pid` was given.
    pub server_pid: Option<u32>,
    /// When the run started, in seconds since the Unix epoch.
    pub started_unix: u64,
    /// CPUs of the machine the tool ran on.
    pub machine_cpus: usize,
    /// One entry per scenario run.
    pub scenarios: Vec<ScenarioReport>,
}

/// One scenario's results.
#[derive(Debug, Serialize)]
pub struct ScenarioReport {
    /// The scenario's name (`register`, `media`, ...).
    pub name: String,
    /// The options it ran with.
    pub options: Value,
    /// Wall-clock seconds for the whole scenario, setup included.
    pub wall_seconds: f64,
    /// Its measured phases.
    pub phases: Vec<PhaseReport>,
    /// Why the scenario could not run to the end, if it could not.
    pub failure: Option<String>,
}

/// Figures for one measured phase (e.g. "upload 64 KiB").
#[derive(Debug, Serialize)]
pub struct PhaseReport {
    /// What was measured.
    pub name: String,
    /// Operations that succeeded.
    pub ok: usize,
    /// Operations that failed.
    pub errors: usize,
    /// Failures by message.
    pub error_messages: BTreeMap<String, usize>,
    /// Whether the time cap stopped the phase before all its operations ran.
    pub cut_short: bool,
    /// Wall-clock seconds of the phase.
    pub wall_seconds: f64,
    /// Successful operations per wall-clock second.
    pub ops_per_second: f64,
    /// Payload bytes moved by successful operations, for phases that move payloads.
    pub bytes: Option<u64>,
    /// Payload MiB per wall-clock second.
    pub mib_per_second: Option<f64>,
    /// Latency of successful operations.
    pub latency: Option<LatencySummary>,
    /// The server's CPU and memory during the phase, when its pid was given.
    pub server: Option<ServerUsage>,
    /// Successful operations per server CPU-second.
    pub ops_per_server_cpu_second: Option<f64>,
    /// Payload MiB per server CPU-second.
    pub mib_per_server_cpu_second: Option<f64>,
    /// Figures particular to the scenario (messages missed, response sizes, memory per
    /// connection...), in the order the scenario gave them.
    pub figures: Vec<Figure>,
}

/// A named figure a scenario reports besides the common ones.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// What it is ("missed", "response size max"...).
    pub name: String,
    /// Its value.
    pub value: f64,
    /// Its unit ("ms", "KiB"...), empty for counts.
    pub unit: String,
}

impl PhaseReport {
    /// Derives a phase's figures from what it counted; `bytes_per_op` is the payload each
    /// successful operation moved, when the phase moves payloads.
    pub fn new(name: String, tally: &Tally, bytes_per_op: Option<u64>, server: Option<ServerUsage>) -> Self {
        let ok = tally.ok;
        let wall_seconds = tally.wall.as_secs_f64();
        let per_wall = |x: f64| if wall_seconds > 0.0 { x / wall_seconds } else { 0.0 };
        let bytes = bytes_per_op.map(|b| b * ok as u64);
        let mib = bytes.map(|b| b as f64 / MIB);
        // Below one clock tick the CPU figure is noise; a ratio over it would be meaningless.
        let cpu = server.map(|s| s.cpu_seconds).filter(|&c| c >= 0.01);
        Self {
            name,
            ok,
            errors: tally.errors.count,
            error_messages: tally.errors.by_message.clone(),
            cut_short: tally.cut_short,
            wall_seconds,
            ops_per_second: per_wall(ok as f64),
            bytes,
            mib_per_second: mib.map(per_wall),
            latency: LatencySummary::from_durations(&tally.latencies),
            server,
            ops_per_server_cpu_second: cpu.map(|c| ok as f64 / c),
            mib_per_server_cpu_second: cpu.zip(mib).map(|(c, m)| m / c),
            figures: Vec::new(),
        }
    }

    /// Adds a scenario's own figure.
    pub fn figure(&mut self, name: &str, value: f64, unit: &str) {
        self.figures.push(Figure { name: name.to_owned(), value, unit: unit.to_owned() });
    }
}

/// Formats a figure with about three significant digits; `-` when there is none.
fn num(value: Option<f64>) -> String {
    match value {
        None => "-".into(),
        Some(v) if v.abs() >= 100.0 => format!("{v:.0}"),
        Some(v) if v.abs() >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.2}"),
    }
}

fn mib(bytes: Option<u64>) -> String {
    num(bytes.map(|b| b as f64 / MIB))
}

/// `name value unit` for each figure, separated by semicolons.
fn figures_line(figures: &[Figure]) -> String {
    let parts: Vec<String> = figures
        .iter()
        .map(|f| {
            let value = if f.value.fract() == 0.0 && f.value.abs() < 1e15 {
                format!("{}", f.value)
            } else {
                num(Some(f.value))
            };
            if f.unit.is_empty() { format!("{} {value}", f.name) } else { format!("{} {value} {}", f.name, f.unit) }
        })
        .collect();
    parts.join("; ")
}

/// The run as an aligned table, followed by each phase's own figures and by notes on errors
/// and cut-short phases.
pub fn render_table(run: &RunReport) -> String {
    const HEADER: [&str; 14] = [
        "phase",
        "ok",
        "err",
        "wall s",
        "ops/s",
        "MiB/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "srv CPU s",
        "ops/CPU-s",
        "MiB/CPU-s",
        "peak RSS MiB",
        "peak PSS MiB",
    ];
    let mut rows: Vec<Vec<String>> = vec![HEADER.iter().map(|h| h.to_string()).collect()];
    let mut notes = Vec::new();
    let mut details = Vec::new();
    for scenario in &run.scenarios {
        if let Some(failure) = &scenario.failure {
            notes.push(format!("{}: FAILED: {failure}", scenario.name));
        }
        for phase in &scenario.phases {
            let name =
                if phase.name.is_empty() { scenario.name.clone() } else { format!("{} {}", scenario.name, phase.name) };
            let latency = |f: fn(&LatencySummary) -> f64| num(phase.latency.as_ref().map(f));
            rows.push(vec![
                format!("{name}{}", if phase.cut_short { " (cut)" } else { "" }),
                phase.ok.to_string(),
                phase.errors.to_string(),
                num(Some(phase.wall_seconds)),
                num(Some(phase.ops_per_second)),
                num(phase.mib_per_second),
                latency(|l| l.p50_ms),
                latency(|l| l.p95_ms),
                latency(|l| l.p99_ms),
                num(phase.server.map(|s| s.cpu_seconds)),
                num(phase.ops_per_server_cpu_second),
                num(phase.mib_per_server_cpu_second),
                mib(phase.server.map(|s| s.peak_rss_bytes)),
                mib(phase.server.map(|s| s.peak_pss_bytes)),
            ]);
            if !phase.figures.is_empty() {
                details.push(format!("{name}: {}", figures_line(&phase.figures)));
            }
            if phase.cut_short {
                notes.push(format!("{name}: stopped by --max-seconds; figures are partial"));
            }
            for (message, n) in &phase.error_messages {
                notes.push(format!("{name}: {n} x {message}"));
            }
        }
    }
    let widths: Vec<usize> =
        (0..HEADER.len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    let label = run.label.as_deref().unwrap_or("server");
    let pid = run.server_pid.map_or_else(|| "not sampled".to_owned(), |p| format!("pid {p}"));
    let _ = writeln!(out, "{label} at {} ({pid}), {} CPUs", run.base_url, run.machine_cpus);
    for row in &rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            // First column left-aligned (names), the figures right-aligned.
            if c == 0 {
                let _ = write!(line, "{cell:<w$}", w = widths[c]);
            } else {
                let _ = write!(line, "  {cell:>w$}", w = widths[c]);
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    for detail in details {
        let _ = writeln!(out, "  {detail}");
    }
    for note in notes {
        let _ = writeln!(out, "  note: {note}");
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::runner::ErrorTally;

    fn outcome(n: usize, wall_ms: u64) -> Tally {
        Tally {
            ok: n,
            latencies: (1..=n as u64).map(Duration::from_millis).collect(),
            errors: ErrorTally::default(),
            wall: Duration::from_millis(wall_ms),
            cut_short: false,
        }
    }

    #[test]
    fn rates_are_derived_from_wall_time_and_server_cpu() {
        let usage = ServerUsage {
            cpu_seconds: 0.5,
            rss_before_bytes: 1,
            rss_after_bytes: 2,
            peak_rss_bytes: 3 << 20,
            pss_before_bytes: 1,
            pss_after_bytes: 2,
            peak_pss_bytes: 2 << 20,
            processes: 1,
        };
        let phase = PhaseReport::new("upload".into(), &outcome(10, 2000), Some(1 << 20), Some(usage));
        assert_eq!(phase.ok, 10);
        assert!((phase.ops_per_second - 5.0).abs() < 1e-9);
        assert_eq!(phase.bytes, Some(10 << 20));
        assert!((phase.mib_per_second.unwrap() - 5.0).abs() < 1e-9);
        assert!((phase.ops_per_server_cpu_second.unwrap() - 20.0).abs() < 1e-9);
        assert!((phase.mib_per_server_cpu_second.unwrap() - 20.0).abs() < 1e-9);

        let idle = ServerUsage { cpu_seconds: 0.0, ..usage };
        let phase = PhaseReport::new(String::new(), &outcome(3, 100), None, Some(idle));
        assert_eq!(phase.ops_per_server_cpu_second, None);
        assert_eq!(phase.mib_per_second, None);
    }

    #[test]
    fn table_columns_line_up() {
        let mut download = PhaseReport::new("download 64 KiB".into(), &outcome(7, 10), Some(65536), None);
        download.figure("missed", 0.0, "");
        download.figure("max", 12.345, "ms");
        let run = RunReport {
            tool: "rempart-bench".into(),
            label: Some("synapse".into()),
            base_url: "http://127.0.0.1:8008".into(),
            spec_versions: Value::Null,
            server_pid: None,
            started_unix: 0,
            machine_cpus: 2,
            scenarios: vec![ScenarioReport {
                name: "media".into(),
                options: Value::Null,
                wall_seconds: 1.0,
                phases: vec![
                    PhaseReport::new("upload 64 KiB".into(), &outcome(200, 1234), Some(65536), None),
                    download,
                ],
                failure: None,
            }],
        };
        let table = render_table(&run);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5, "{table}");
        assert!(lines[1].starts_with("phase") && lines[2].starts_with("media upload 64 KiB"));
        assert_eq!(lines[2].len(), lines[3].len(), "{table}");
        assert!(lines[1].ends_with("peak PSS MiB"));
        assert_eq!(lines[4], "  media download 64 KiB: missed 0; max 12.3 ms");
    }
}
