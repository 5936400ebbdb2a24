//! `rempart-bench`: drives a Matrix homeserver (Rempart, Synapse or any other) over the
//! standard client-server API, measures throughput and latency, and, given the server's pid,
//! what the server spent in CPU time and memory to do it. See `--help`.

mod context;
mod error;
mod matrix;
mod report;
mod runner;
mod sampler;
mod scenarios;
mod setup;
mod stats;
mod target;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use serde_json::Value;

use crate::context::Context;
use crate::error::Result;
use crate::matrix::{Registration, Server};
use crate::report::{RunReport, ScenarioReport, render_table};
use crate::sampler::ServerProcess;
use crate::scenarios::Scenario;

/// Benchmark a Matrix homeserver over the client-server API.
///
/// Every scenario is bounded in count and in time. Only servers on this machine are accepted
/// unless --allow-remote is given.
#[derive(Debug, Parser)]
#[command(name = "rempart-bench", version)]
struct Cli {
    /// The server's client-server API base URL.
    #[arg(long, global = true, default_value = "http://127.0.0.1:8008")]
    base_url: String,
    /// Pid of the server process: its CPU time and memory (children included) are sampled.
    #[arg(long, global = true)]
    server_pid: Option<u32>,
    /// Accept a base URL that is not on this machine.
    #[arg(long, global = true)]
    allow_remote: bool,
    /// Print one JSON document instead of the table.
    #[arg(long, global = true)]
    json: bool,
    /// Also write the JSON document to this file (the table is still printed).
    #[arg(long, global = true, value_name = "PATH")]
    json_file: Option<std::path::PathBuf>,
    /// A name for the server in the output (e.g. "synapse").
    #[arg(long, global = true)]
    label: Option<String>,
    /// Create users with Synapse's shared-secret admin registration instead of m.login.dummy.
    #[arg(long, global = true)]
    registration_shared_secret: Option<String>,
    /// The longest any one scenario may run; at the cap it stops and reports what it has.
    #[arg(long, global = true, default_value_t = 300)]
    max_seconds: u64,
    #[command(subcommand)]
    scenario: Scenario,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok((report, all_ran)) => {
            let json = match serde_json::to_string_pretty(&report.run) {
                Ok(json) => json,
                Err(e) => {
                    eprintln!("rempart-bench: {e}");
                    return ExitCode::FAILURE;
                }
            };
            if let Some(path) = &report.json_file
                && let Err(e) = std::fs::write(path, format!("{json}\n"))
            {
                eprintln!("rempart-bench: writing {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            if report.json {
                println!("{json}");
            } else {
                print!("{}", render_table(&report.run));
            }
            // 2, not 1: the figures were printed, but some scenario could not finish.
            if all_ran { ExitCode::SUCCESS } else { ExitCode::from(2) }
        }
        Err(e) => {
            eprintln!("rempart-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Output {
    run: RunReport,
    json: bool,
    json_file: Option<std::path::PathBuf>,
}

async fn run(cli: Cli) -> Result<(Output, bool)> {
    let base = target::check_base_url(&cli.base_url, cli.allow_remote)?;
    let max_duration = Duration::from_secs(cli.max_seconds.max(1));
    let server = Server::new(&base, max_duration)?;
    let versions = server.versions().await?;
    let process = cli.server_pid.map(ServerProcess::new).transpose()?;
    let registration = cli.registration_shared_secret.map_or(Registration::Dummy, Registration::SharedSecret);
    let ctx = Arc::new(Context::new(server, registration, process, max_duration));

    let mut run = RunReport {
        tool: concat!("rempart-bench ", env!("CARGO_PKG_VERSION")).to_owned(),
        label: cli.label,
        base_url: base.as_str().trim_end_matches('/').to_owned(),
        spec_versions: versions.get("versions").cloned().unwrap_or(Value::Null),
        server_pid: cli.server_pid,
        started_unix: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        machine_cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        scenarios: Vec::new(),
    };
    let mut all_ran = true;
    for scenario in cli.scenario.expand() {
        eprintln!("rempart-bench: {} ...", scenario.name());
        let started = std::time::Instant::now();
        let result = scenario.run(&ctx).await;
        let wall_seconds = started.elapsed().as_secs_f64();
        eprintln!("rempart-bench: {} done in {wall_seconds:.1} s", scenario.name());
        let (phases, failure) = match result {
            Ok(phases) => (phases, None),
            Err(e) => {
                all_ran = false;
                (Vec::new(), Some(e.to_string()))
            }
        };
        run.scenarios.push(ScenarioReport {
            name: scenario.name().to_owned(),
            options: scenario.options(),
            wall_seconds,
            phases,
            failure,
        });
    }
    Ok((Output { run, json: cli.json, json_file: cli.json_file }, all_ran))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn cli_is_well_formed_and_takes_options_after_the_scenario() {
        Cli::command().debug_assert();
        let cli =
            Cli::try_parse_from(["rempart-bench", "media", "--sizes", "1KiB", "--max-seconds", "5", "--json"]).unwrap();
        assert_eq!(cli.max_seconds, 5);
        assert!(cli.json);
        assert!(matches!(cli.scenario, Scenario::Media(ref a) if a.sizes == [1024]));
        assert!(Cli::try_parse_from(["rempart-bench"]).is_err());
    }
}
