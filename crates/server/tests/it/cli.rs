//! The `rempart` binary: configuration errors name the key, environment variables override the
//! file, `generate-config` and `create-user` work.

use std::{process::Command, time::Duration};

fn rempart() -> Command {
    crate::support::rempart_command()
}

#[test]
fn bad_config_fails_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[registration]\nmode = \"sometimes\"\n").unwrap();
    let output = rempart().args(["serve", "--config"]).arg(&config).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("mode"), "{stderr}");

    let output = rempart()
        .args(["serve"])
        .env("REMPART_LISTEN__ADDRESS", "not-an-address")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("address"), "{stderr}");

    let output = rempart().args(["serve", "--config", "/nonexistent/rempart.toml"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not exist"));
}

#[test]
fn generate_config_prints_a_loadable_config() {
    let output = rempart().arg("generate-config").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("server_name") && text.contains("[registration]"));
    rempart_types::config::Config::from_toml(&text).unwrap();
}

#[tokio::test]
async fn environment_overrides_and_create_user() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = dir.path().join("rempart.toml");
    std::fs::write(
        &config,
        format!("data_dir = {:?}\n[password_hashing]\nmemory_kib = 64\niterations = 1\n", dir.path().join("data")),
    )
    .unwrap();

    let password = dir.path().join("pw");
    std::fs::write(&password, "s3cret-passphrase\n").unwrap();
    let output = rempart()
        .args(["create-user", "root", "--admin", "--password-file"])
        .arg(&password)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("@root:localhost"));
    let again = rempart()
        .args(["create-user", "root", "--password-file"])
        .arg(&password)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(!again.status.success(), "a taken name is refused");

    let mut server = rempart()
        .args(["serve", "--config"])
        .arg(&config)
        .env("REMPART_LISTEN__ADDRESS", format!("127.0.0.1:{port}"))
        .env("REMPART_SERVER_NAME", "localhost")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let login =
        r#"{"type":"m.login.password","identifier":{"type":"m.id.user","user":"root"},"password":"s3cret-passphrase"}"#;
    let mut answer = None;
    for _ in 0..100 {
        if let Some(response) = post(port, "/_matrix/client/v3/login", login).await {
            answer = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let answer = answer.expect("server listened on the address from the environment");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

async fn post(port: u16, path: &str, body: &str) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    Some(response)
}
