//! Server-side cost of a phase, read from /proc: CPU time and memory (RSS, PSS) of the server
//! process and all its descendants, so a server that forks workers is measured whole.

use std::collections::HashMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;

use crate::error::{BenchError, Result};

/// How often the background sampler looks for the memory peak.
const PEAK_INTERVAL: Duration = Duration::from_millis(100);

/// What `/proc/<pid>/stat` says about one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatFields {
    /// Parent pid.
    pub ppid: u32,
    /// utime + stime + cutime + cstime, in clock ticks: the process's own CPU time and that
    /// of children it has reaped, so work done by short-lived children is not lost.
    pub ticks: u64,
}

/// Parses the text of `/proc/<pid>/stat`. The command name (field 2) is in parentheses and
/// may itself contain spaces and parentheses, so the fields are counted from the last `)`.
pub fn parse_stat(text: &str) -> Option<StatFields> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state); ppid is field 4, utime..cstime are fields 14..17.
    let num = |i: usize| fields.get(i)?.parse::<u64>().ok();
    Some(StatFields { ppid: u32::try_from(num(1)?).ok()?, ticks: num(11)? + num(12)? + num(13)? + num(14)? })
}

/// Resident and proportional set sizes, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// Resident set size.
    pub rss: u64,
    /// Proportional set size: shared pages divided among the processes sharing them.
    pub pss: u64,
}

/// Parses the text of `/proc/<pid>/smaps_rollup` (lines such as `Rss:   1234 kB`).
pub fn parse_smaps_rollup(text: &str) -> Memory {
    let mut memory = Memory::default();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let (Some(key), Some(value)) = (parts.next(), parts.next()) else { continue };
        let Ok(kib) = value.parse::<u64>() else { continue };
        match key {
            "Rss:" => memory.rss = kib * 1024,
            "Pss:" => memory.pss = kib * 1024,
            _ => {}
        }
    }
    memory
}

/// `root` and every process that descends from it, given each process's parent.
pub fn process_tree(root: u32, parents: &HashMap<u32, u32>) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (&pid, &ppid) in parents {
        children.entry(ppid).or_default().push(pid);
    }
    let mut tree = vec![root];
    let mut next = 0;
    while next < tree.len() {
        // A pid is its own parent only in corrupt input; `contains` keeps that from looping.
        for &child in children.get(&tree[next]).into_iter().flatten() {
            if !tree.contains(&child) {
                tree.push(child);
            }
        }
        next += 1;
    }
    tree
}

/// Clock ticks per second as `getconf CLK_TCK` reports it; 100, the value on every common
/// Linux build, when it cannot be run. Asking once avoids a libc dependency for `sysconf`.
pub fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// One reading of the whole process tree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// CPU time used since the processes started, in seconds.
    pub cpu_seconds: f64,
    /// Memory summed over the tree (RSS double-counts shared pages; PSS does not).
    pub memory: Memory,
    /// How many processes the tree had.
    pub processes: usize,
}

/// The server process to sample.
#[derive(Debug, Clone, Copy)]
pub struct ServerProcess {
    pid: u32,
    ticks_per_second: u64,
}

impl ServerProcess {
    /// Checks that `pid` exists and can be read.
    pub fn new(pid: u32) -> Result<Self> {
        let process = Self { pid, ticks_per_second: clock_ticks_per_second() };
        process.sample()?;
        Ok(process)
    }

    fn error(&self, message: String) -> BenchError {
        BenchError::Process { pid: self.pid, message }
    }

    /// The process and its descendants, with each one's CPU ticks.
    fn tree(&self) -> Result<(Vec<u32>, HashMap<u32, u64>)> {
        let err = |message: String| self.error(message);
        let mut parents = HashMap::new();
        let mut ticks = HashMap::new();
        let entries = std::fs::read_dir("/proc").map_err(|e| err(format!("reading /proc: {e}")))?;
        for entry in entries.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
            // Processes come and go while we read; one that vanished is simply not counted.
            let Ok(text) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
            if let Some(stat) = parse_stat(&text) {
                parents.insert(pid, stat.ppid);
                ticks.insert(pid, stat.ticks);
            }
        }
        if !ticks.contains_key(&self.pid) {
            return Err(err("no such process (has the server exited?)".into()));
        }
        Ok((process_tree(self.pid, &parents), ticks))
    }

    /// Reads CPU time and memory of the process and its descendants now.
    pub fn sample(&self) -> Result<Sample> {
        let err = |message: String| self.error(message);
        let (tree, ticks) = self.tree()?;
        let mut memory = Memory::default();
        let mut total_ticks = 0;
        for &pid in &tree {
            total_ticks += ticks.get(&pid).copied().unwrap_or(0);
            match std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) {
                Ok(text) => {
                    let m = parse_smaps_rollup(&text);
                    memory.rss += m.rss;
                    memory.pss += m.pss;
                }
                Err(e) if pid == self.pid => return Err(err(format!("reading smaps_rollup: {e}"))),
                Err(_) => {}
            }
        }
        Ok(Sample { cpu_seconds: total_ticks as f64 / self.ticks_per_second as f64, memory, processes: tree.len() })
    }
}

impl ServerProcess {
    /// Open sockets (TCP connections, listeners, Unix sockets) of the process and its
    /// descendants: a server holding C long-polls has at least C.
    pub fn sockets(&self) -> Result<usize> {
        let (tree, _) = self.tree()?;
        let mut count = 0;
        for pid in tree {
            // A process that exits between the scan and here simply has no sockets left.
            let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { continue };
            count += entries
                .flatten()
                .filter_map(|entry| std::fs::read_link(entry.path()).ok())
                .filter(|target| is_socket_link(&target.to_string_lossy()))
                .count();
        }
        Ok(count)
    }
}

/// Whether a `/proc/<pid>/fd/<n>` link target is a socket (`socket:[12345]`).
pub fn is_socket_link(target: &str) -> bool {
    target.starts_with("socket:[")
}

/// What the server spent during one phase.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ServerUsage {
    /// CPU seconds (user + system) used by the server tree during the phase.
    pub cpu_seconds: f64,
    /// RSS when the phase started, in bytes.
    pub rss_before_bytes: u64,
    /// RSS when the phase ended, in bytes.
    pub rss_after_bytes: u64,
    /// Highest RSS seen during the phase, in bytes.
    pub peak_rss_bytes: u64,
    /// PSS when the phase started, in bytes.
    pub pss_before_bytes: u64,
    /// PSS when the phase ended, in bytes.
    pub pss_after_bytes: u64,
    /// Highest PSS seen during the phase, in bytes.
    pub peak_pss_bytes: u64,
    /// Most processes the server tree had during the phase.
    pub processes: usize,
}

/// Samples a server for the duration of one phase: CPU before and after, memory peaks from a
/// background thread (a plain thread so the sampler keeps its pace when the runtime is busy).
pub struct PhaseMonitor {
    process: ServerProcess,
    before: Sample,
    /// Dropping it wakes the sampler thread and ends it.
    stop: mpsc::Sender<()>,
    peaks: JoinHandle<(Memory, usize)>,
}

impl PhaseMonitor {
    /// Takes the "before" sample and starts the peak sampler.
    pub fn start(process: ServerProcess) -> Result<Self> {
        let before = process.sample()?;
        let (stop, stopped) = mpsc::channel::<()>();
        let peaks = std::thread::spawn(move || {
            let mut peak = before.memory;
            let mut processes = before.processes;
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(PEAK_INTERVAL) {
                if let Ok(sample) = process.sample() {
                    peak.rss = peak.rss.max(sample.memory.rss);
                    peak.pss = peak.pss.max(sample.memory.pss);
                    processes = processes.max(sample.processes);
                }
            }
            (peak, processes)
        });
        Ok(Self { process, before, stop, peaks })
    }

    /// Stops the sampler and takes the "after" sample.
    pub fn finish(self) -> Result<ServerUsage> {
        drop(self.stop);
        let after = self.process.sample();
        let (peak, processes) = self.peaks.join().unwrap_or((self.before.memory, self.before.processes));
        let after = after?;
        Ok(ServerUsage {
            cpu_seconds: (after.cpu_seconds - self.before.cpu_seconds).max(0.0),
            rss_before_bytes: self.before.memory.rss,
            rss_after_bytes: after.memory.rss,
            peak_rss_bytes: peak.rss.max(after.memory.rss),
            pss_before_bytes: self.before.memory.pss,
            pss_after_bytes: after.memory.pss,
            peak_pss_bytes: peak.pss.max(after.memory.pss),
            processes: processes.max(after.processes),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shaped like a real line, with a command name that contains ") (" and spaces.
    const STAT: &str = "4242 (python3 ) (x) S 4200 4242 4200 0 -1 4194560 81234 0 12 0 \
                        1500 250 7 3 20 0 9 0 123456 987654321 45678 18446744073709551615 1 1 0 0 0 0 \
                        0 16781312 17642 0 0 0 17 1 0 0 0 0 0";

    #[test]
    fn stat_fields_are_counted_from_the_last_parenthesis() {
        assert_eq!(parse_stat(STAT), Some(StatFields { ppid: 4200, ticks: 1500 + 250 + 7 + 3 }));
        assert_eq!(parse_stat("12 (short"), None);
        assert_eq!(parse_stat("12 (x) S 1 2"), None);
    }

    #[test]
    fn smaps_rollup_gives_rss_and_pss_in_bytes() {
        let text = "55d0c0a00000-7ffd3b9fe000 ---p 00000000 00:00 0                          [rollup]\n\
                    Rss:              123456 kB\n\
                    Pss:              100000 kB\n\
                    Pss_Anon:          90000 kB\n\
                    Shared_Clean:      20000 kB\n\
                    Swap:                  0 kB\n";
        assert_eq!(parse_smaps_rollup(text), Memory { rss: 123456 * 1024, pss: 100000 * 1024 });
        assert_eq!(parse_smaps_rollup(""), Memory::default());
    }

    #[test]
    fn socket_links_are_recognised() {
        assert!(is_socket_link("socket:[123456]"));
        assert!(!is_socket_link("pipe:[123456]"));
        assert!(!is_socket_link("/tmp/socket:[1]"));
        assert!(!is_socket_link("anon_inode:[eventpoll]"));
    }

    #[test]
    fn tree_includes_grandchildren_and_nothing_else() {
        let parents: HashMap<u32, u32> = [(1, 0), (10, 1), (11, 10), (12, 10), (13, 12), (20, 1), (21, 20)].into();
        let mut tree = process_tree(10, &parents);
        tree.sort();
        assert_eq!(tree, vec![10, 11, 12, 13]);
        assert_eq!(process_tree(21, &parents), vec![21]);
        // A corrupt self-parent does not loop.
        assert_eq!(process_tree(5, &[(5, 5)].into()), vec![5]);
    }

    #[test]
    fn samples_this_process() {
        let own = ServerProcess::new(std::process::id()).unwrap();
        let sample = own.sample().unwrap();
        assert!(sample.memory.rss > 0 && sample.memory.pss > 0);
        assert!(sample.processes >= 1);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        assert!(own.sockets().unwrap() >= 1);
        drop(listener);
        let usage = PhaseMonitor::start(own).unwrap().finish().unwrap();
        assert!(usage.peak_rss_bytes >= usage.rss_before_bytes);
        assert!(usage.cpu_seconds >= 0.0);
    }
}
