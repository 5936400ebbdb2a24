//! Starting and stopping a real `rempart` server process for one test.
//!
//! Every test gets its own server: a fresh data directory, a free port on 127.0.0.1, open
//! registration and no rate limits. The server's stdout and stderr go to files in its temporary
//! directory; they are printed when the test panics, so a failing test shows the server's side.

use std::{
    fs::File,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use tempfile::TempDir;

/// How long the server may take to answer `/_matrix/client/versions` after it was spawned.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// Upper bound for a whole scenario, so that a hung request can never hang the test run.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(120);

/// The server name every test server uses (user IDs look like `@alice:localhost`).
pub const SERVER_NAME: &str = "localhost";

/// A running `rempart serve` child process, killed when dropped.
pub struct TestServer {
    child: Child,
    port: u16,
    /// Holds the data directory, the config file and the logs; deleted after the child is killed.
    dir: TempDir,
}

/// Extra configuration for the scenarios that read message bodies from raw sync responses:
/// private rooms stay unencrypted there. The encryption scenarios run with the platform's
/// default policy instead (see [`scenario_with_platform_defaults`]).
const PLAINTEXT_PRIVATE_ROOMS: &str = "[encryption]\nencrypt_private_rooms = false\n";

impl TestServer {
    /// Spawns the server with `extra_config` appended to the test configuration and waits until
    /// it answers `GET /_matrix/client/versions` with 200.
    pub async fn start_with(extra_config: &str) -> Result<Self> {
        let binary = server_binary();
        if !binary.is_file() {
            bail!(
                "rempart binary not found at {}: build it with `cargo build -p rempart-server` in the main \
                 workspace, or point E2E_REMPART_BIN at it",
                binary.display()
            );
        }
        let dir = tempfile::Builder::new().prefix("rempart-e2e-").tempdir()?;
        let port = free_port()?;
        let config_path = dir.path().join("rempart.toml");
        std::fs::write(&config_path, config_toml(&dir.path().join("data"), port) + extra_config)?;

        let stdout = File::create(dir.path().join("stdout.log"))?;
        let stderr = File::create(dir.path().join("stderr.log"))?;
        let mut command = Command::new(&binary);
        // The server reads REMPART_* variables as configuration (and refuses unknown ones):
        // the test's config file alone must decide.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().to_ascii_uppercase().starts_with("REMPART_") {
                command.env_remove(key);
            }
        }
        let child = command
            .arg("serve")
            .arg("--config")
            .arg(&config_path)
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned()))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("spawning {}", binary.display()))?;

        let mut server = Self { child, port, dir };
        if let Err(error) = server.wait_until_ready().await {
            server.print_logs();
            return Err(error);
        }
        Ok(server)
    }

    /// The base URL clients use, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's data directory (`data_dir` in its config): its database and anything else it
    /// stores.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs the `rempart` command line against this server's configuration (its database and
    /// data directory) and returns its standard output; fails when the command does.
    pub fn cli(&self, args: &[&str]) -> Result<String> {
        let mut command = Command::new(server_binary());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().to_ascii_uppercase().starts_with("REMPART_") {
                command.env_remove(key);
            }
        }
        let output = command
            .args(args)
            .arg("--config")
            .arg(self.dir.path().join("rempart.toml"))
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running rempart {args:?}"))?;
        if !output.status.success() {
            bail!("rempart {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    async fn wait_until_ready(&mut self) -> Result<()> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build()?;
        let versions = format!("{}/_matrix/client/versions", self.url());
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("rempart exited during startup with {status}");
            }
            match http.get(&versions).send().await {
                Ok(response) if response.status() == reqwest::StatusCode::OK => return Ok(()),
                Ok(_) | Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Ok(response) => bail!("{versions} still answers {} after startup", response.status()),
                Err(error) => bail!("rempart did not answer {versions} within {STARTUP_TIMEOUT:?}: {error}"),
            }
        }
    }

    /// Prints the server's captured output to the test's stderr.
    fn print_logs(&self) {
        for name in ["stderr.log", "stdout.log"] {
            let path = self.dir.path().join(name);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if !text.is_empty() {
                eprintln!("----- rempart {name} ({}) -----\n{text}\n----- end of {name} -----", path.display());
            }
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            self.print_logs();
        }
    }
}

/// Runs one scenario against a fresh server, bounded by [`SCENARIO_TIMEOUT`].
///
/// Panics (failing the test, and printing the server's logs) when the scenario returns an error,
/// panics or times out.
pub async fn scenario<F>(body: F)
where
    F: AsyncFnOnce(&TestServer) -> Result<()>,
{
    scenario_with(PLAINTEXT_PRIVATE_ROOMS, body).await;
}

/// Like [`scenario`], with the server's default configuration: private rooms are encrypted.
pub async fn scenario_with_platform_defaults<F>(body: F)
where
    F: AsyncFnOnce(&TestServer) -> Result<()>,
{
    scenario_with("", body).await;
}

async fn scenario_with<F>(extra_config: &str, body: F)
where
    F: AsyncFnOnce(&TestServer) -> Result<()>,
{
    let server = TestServer::start_with(extra_config).await.expect("starting the rempart server");
    match tokio::time::timeout(SCENARIO_TIMEOUT, body(&server)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => panic!("scenario failed: {error:?}"),
        Err(_) => panic!("scenario did not finish within {SCENARIO_TIMEOUT:?}"),
    }
}

/// The binary to run: `$E2E_REMPART_BIN`, else `<workspace>/target/debug/rempart`.
fn server_binary() -> PathBuf {
    match std::env::var_os("E2E_REMPART_BIN") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/rempart"),
    }
}

/// Asks the OS for a free port. Another process could take it before the server binds it; that
/// race is rare enough on a test machine and shows up as a clear startup failure.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn config_toml(data_dir: &Path, port: u16) -> String {
    // `{:?}` quotes the path as a TOML basic string (escaping backslashes and quotes).
    format!(
        r#"server_name = "{SERVER_NAME}"
data_dir = {data_dir:?}

[listen]
address = "127.0.0.1:{port}"

[registration]
mode = "open"

[rate_limits]
enabled = false

[password_hashing]
memory_kib = 64
iterations = 1
"#,
        data_dir = data_dir.display().to_string(),
    )
}
