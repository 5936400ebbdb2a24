//! `register`: creates N fresh users, C at a time, and measures users per second.

use std::sync::Arc;

use serde::Serialize;

use crate::context::Context;
use crate::error::{BenchError, Result};
use crate::report::PhaseReport;

/// The scenario's name on the command line.
pub const NAME: &str = "register";

/// Options of `register`.
#[derive(Debug, Clone, clap::Args, Serialize)]
pub struct Args {
    /// Users to create.
    #[arg(long, default_value_t = 50)]
    pub users: usize,
    /// Registrations in flight at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
}

/// Registers `users` users and reports one phase.
pub async fn run(ctx: &Arc<Context>, args: &Args) -> Result<Vec<PhaseReport>> {
    if args.users == 0 || args.concurrency == 0 {
        return Err(BenchError::Options("--users and --concurrency must be at least 1".into()));
    }
    let job_ctx = Arc::clone(ctx);
    let (report, _users) = ctx
        .phase("", args.users, args.concurrency, ctx.deadline(), None, move |_| {
            let ctx = Arc::clone(&job_ctx);
            async move { ctx.register("reg").await }
        })
        .await?;
    Ok(vec![report])
}
