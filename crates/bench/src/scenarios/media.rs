//! `media`: for each file size, uploads U files of random bytes, then has each uploader
//! download its own files through the authenticated media API, checking every byte.

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;

use crate::context::Context;
use crate::error::{BenchError, Result};
use crate::report::PhaseReport;

/// The scenario's name on the command line.
pub const NAME: &str = "media";

/// Payloads are generated before each upload phase and kept for checking the downloads;
/// this bounds the memory that takes.
const MAX_PAYLOAD_BYTES_PER_SIZE: u64 = 1 << 30;

/// Options of `media`.
#[derive(Debug, Clone, clap::Args, Serialize)]
pub struct Args {
    /// File sizes, each as bytes or with a KiB/MiB/GiB suffix.
    #[arg(long, value_delimiter = ',', value_parser = parse_size, default_value = "64KiB,4MiB")]
    pub sizes: Vec<u64>,
    /// Uploads (and as many downloads) per size: one number for every size, or one per size.
    #[arg(long, value_delimiter = ',', default_value = "200,20")]
    pub uploads: Vec<usize>,
    /// Requests in flight at once; also the number of users uploading.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
}

/// Parses `65536`, `64KiB`, `4MiB` or `1GiB` (suffix case-insensitive) into bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    let (digits, unit) = [("gib", 1u64 << 30), ("mib", 1 << 20), ("kib", 1 << 10), ("b", 1), ("", 1)]
        .into_iter()
        .find_map(|(suffix, unit)| lower.strip_suffix(suffix).map(|d| (d.trim().to_owned(), unit)))
        .expect("the empty suffix always matches");
    let n: u64 = digits.parse().map_err(|_| format!("{text:?} is not a size such as 65536, 64KiB or 4MiB"))?;
    match n.checked_mul(unit) {
        Some(0) | None => Err(format!("{text:?} is not a usable size")),
        Some(bytes) => Ok(bytes),
    }
}

/// `65536` as `64 KiB`, `4194304` as `4 MiB`; sizes that are not whole KiB stay in bytes.
pub fn size_label(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

/// The (size, uploads) pairs the options ask for.
fn plan(args: &Args) -> Result<Vec<(u64, usize)>> {
    let counts: Vec<usize> = match args.uploads.len() {
        1 => vec![args.uploads[0]; args.sizes.len()],
        n if n == args.sizes.len() => args.uploads.clone(),
        n => {
            return Err(BenchError::Options(format!(
                "--uploads has {n} values for {} sizes: give one, or one per size",
                args.sizes.len()
            )));
        }
    };
    if args.concurrency == 0 || counts.contains(&0) {
        return Err(BenchError::Options("--uploads and --concurrency must be at least 1".into()));
    }
    let pairs: Vec<(u64, usize)> = args.sizes.iter().copied().zip(counts).collect();
    for &(size, count) in &pairs {
        if size.saturating_mul(count as u64) > MAX_PAYLOAD_BYTES_PER_SIZE {
            return Err(BenchError::Options(format!(
                "{count} x {} is more than 1 GiB of payload kept in memory; lower --uploads",
                size_label(size)
            )));
        }
    }
    Ok(pairs)
}

/// Uploads then downloads each size's files; two phases per size.
pub async fn run(ctx: &Arc<Context>, args: &Args) -> Result<Vec<PhaseReport>> {
    let plan = plan(args)?;
    let deadline = ctx.deadline();
    let users = Arc::new(ctx.create_users(NAME, args.concurrency, deadline).await?);
    let mut phases = Vec::new();
    for (size, count) in plan {
        // Random bytes so no two files are alike and no server can deduplicate them; made
        // before the phase so generating them is not timed.
        let payloads: Arc<Vec<Bytes>> = Arc::new(
            (0..count)
                .map(|_| {
                    let mut bytes = vec![0u8; size as usize];
                    rand::fill(&mut bytes[..]);
                    Bytes::from(bytes)
                })
                .collect(),
        );
        let label = size_label(size);

        let (server, up_users, up_payloads) = (ctx.server.clone(), Arc::clone(&users), Arc::clone(&payloads));
        let (upload, uploaded) = ctx
            .phase(format!("upload {label}"), count, args.concurrency, deadline, Some(size), move |i| {
                let (server, users, payloads) = (server.clone(), Arc::clone(&up_users), Arc::clone(&up_payloads));
                async move { server.upload(&users[i % users.len()], payloads[i].clone()).await }
            })
            .await?;
        phases.push(upload);

        // Each file is fetched by the user who uploaded it, the one user sure to be allowed.
        let uploaded: Arc<Vec<(usize, String)>> = Arc::new(uploaded);
        let (server, down_users) = (ctx.server.clone(), Arc::clone(&users));
        let (download, _) = ctx
            .phase(format!("download {label}"), uploaded.len(), args.concurrency, deadline, Some(size), move |j| {
                let (server, users, payloads) = (server.clone(), Arc::clone(&down_users), Arc::clone(&payloads));
                let uploaded = Arc::clone(&uploaded);
                async move {
                    let (i, mxc) = &uploaded[j];
                    let got = server.download(&users[i % users.len()], mxc).await?;
                    check_content(&got, &payloads[*i])
                }
            })
            .await?;
        phases.push(download);
    }
    Ok(phases)
}

fn check_content(got: &[u8], expected: &[u8]) -> Result<()> {
    if got.len() != expected.len() {
        return Err(BenchError::Mismatch(format!("{} bytes instead of {}", got.len(), expected.len())));
    }
    if got != expected {
        return Err(BenchError::Mismatch("same length, different bytes".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("4mib"), Ok(4 << 20));
        assert_eq!(parse_size("1 GiB"), Ok(1 << 30));
        assert_eq!(parse_size("100B"), Ok(100));
        for bad in ["", "0", "4MB", "-1KiB", "1.5MiB", "99999999999999GiB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert_eq!(size_label(64 << 10), "64 KiB");
        assert_eq!(size_label(4 << 20), "4 MiB");
        assert_eq!(size_label(1000), "1000 B");
    }

    #[test]
    fn plan_pairs_sizes_with_counts() {
        let args = |sizes: Vec<u64>, uploads: Vec<usize>| Args { sizes, uploads, concurrency: 4 };
        assert_eq!(plan(&args(vec![1, 2], vec![5])).unwrap(), [(1, 5), (2, 5)]);
        assert_eq!(plan(&args(vec![1, 2], vec![5, 6])).unwrap(), [(1, 5), (2, 6)]);
        assert!(plan(&args(vec![1, 2], vec![5, 6, 7])).is_err());
        assert!(plan(&args(vec![1], vec![0])).is_err());
        assert!(plan(&args(vec![4 << 20], vec![1000])).is_err());
    }

    #[test]
    fn content_check_counts_any_difference() {
        assert!(check_content(b"abc", b"abc").is_ok());
        assert!(matches!(check_content(b"ab", b"abc"), Err(BenchError::Mismatch(_))));
        assert!(matches!(check_content(b"abd", b"abc"), Err(BenchError::Mismatch(_))));
    }
}
