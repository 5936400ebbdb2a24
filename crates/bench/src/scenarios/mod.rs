//! The scenarios. Each is one module with a `NAME`, clap `Args` (whose defaults are what `all`
//! runs) and `run`; adding one means writing the module and adding a line to the list below.

use std::sync::Arc;

use serde_json::Value;

use crate::context::Context;
use crate::error::{BenchError, Result};
use crate::report::PhaseReport;

/// Declares the scenario modules and the `Scenario` subcommand enum from one list.
macro_rules! scenarios {
    ($($(#[$doc:meta])* $variant:ident => $module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// The scenario to run, with its options.
        #[derive(Debug, Clone, clap::Subcommand)]
        pub enum Scenario {
            $($(#[$doc])* $variant($module::Args),)*
            /// Every scenario in turn, each with its default options.
            All,
        }

        impl Scenario {
            /// `all` as the list of scenarios it stands for; any other scenario as itself.
            pub fn expand(self) -> Vec<Scenario> {
                match self {
                    Self::All => vec![$(Self::$variant(defaults::<$module::Args>())),*],
                    one => vec![one],
                }
            }

            /// The scenario's name, as typed on the command line.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $module::NAME,)*
                    Self::All => "all",
                }
            }

            /// The scenario's options, for the report.
            pub fn options(&self) -> Value {
                match self {
                    $(Self::$variant(args) => serde_json::to_value(args).unwrap_or(Value::Null),)*
                    Self::All => Value::Null,
                }
            }

            /// Runs the scenario and returns its measured phases.
            pub async fn run(&self, ctx: &Arc<Context>) -> Result<Vec<PhaseReport>> {
                match self {
                    $(Self::$variant(args) => $module::run(ctx, args).await,)*
                    Self::All => Err(BenchError::Options("`all` must be expanded before it runs".into())),
                }
            }
        }
    };
}

scenarios! {
    /// Register users (shared secret or m.login.dummy): users/s and latency.
    Register => register,
    // Early in `all`: memory growth is best read in a server whose heap earlier scenarios
    // have not yet grown (a warm heap hands freed memory out again and hides the cost).
    /// C idle long-polling /sync requests: server memory per connection.
    IdleSyncs => idle_syncs,
    /// Upload files and download them back (authenticated media): requests/s, MiB/s, latency.
    Media => media,
    /// K users sending into one room, then each into its own: events/s, latency, events/CPU-s.
    Send => send,
    /// L listeners long-polling one room while one user sends: delivery latency, missed messages.
    Fanout => fanout,
    /// Full initial syncs of a user in R rooms of M messages: time and response size.
    InitialSync => initial_sync,
    /// /messages backwards through a room of M events: events/s and events/CPU-s.
    Paginate => paginate,
}

/// The options a scenario gets when none are given on the command line.
fn defaults<A: clap::Args + clap::FromArgMatches>() -> A {
    let command = A::augment_args(clap::Command::new("defaults"));
    A::from_arg_matches(&command.get_matches_from(["defaults"])).expect("every scenario option has a default")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_expands_to_every_scenario_with_defaults() {
        let all = Scenario::All.expand();
        let names: Vec<&str> = all.iter().map(Scenario::name).collect();
        assert_eq!(names, ["register", "idle-syncs", "media", "send", "fanout", "initial-sync", "paginate"]);
        assert!(all.iter().all(|s| s.options().is_object()));
    }
}
