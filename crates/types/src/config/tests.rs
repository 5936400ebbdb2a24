//! Configuration loading: defaults, file and environment layering, and error messages.

use super::*;

#[test]
fn defaults_are_closed_and_local() {
    let config = Config::from_toml("").unwrap();
    assert_eq!(config.server_name.as_str(), "localhost");
    assert_eq!(config.registration.mode, RegistrationMode::Disabled);
    assert_eq!(config.listen.address.to_string(), "127.0.0.1:8008");
    assert_eq!(config.database_path(), PathBuf::from("./data/rempart.db"));
}

#[test]
fn bad_value_names_the_key() {
    let err = Config::from_toml("[registration]\nmode = \"sometimes\"").unwrap_err().to_string();
    assert!(err.contains("mode"), "{err}");
    let err = Config::from_toml("[listen]\naddress = \"nowhere\"").unwrap_err().to_string();
    assert!(err.contains("address"), "{err}");
}

#[test]
fn unknown_key_is_refused() {
    let err = Config::from_toml("server_nam = \"x\"").unwrap_err().to_string();
    assert!(err.contains("server_nam"), "{err}");
}

#[test]
fn token_mode_needs_tokens() {
    assert!(Config::from_toml("[registration]\nmode = \"token\"").is_err());
    assert!(Config::from_toml("[registration]\nmode = \"token\"\ntokens = [\"abc\"]").is_ok());
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
}

fn load_env(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::load_from(None, env(pairs))
}

#[test]
fn error_message_has_the_full_key() {
    let err = Config::from_toml("[registration]\nmode = \"sometimes\"").unwrap_err().to_string();
    assert_eq!(
        err,
        "invalid configuration: registration.mode: unknown variant `sometimes`, expected one of `disabled`, `token`, `open`"
    );
    let err = Config::from_toml("[registration]\ntokens = [\"a\", 2]").unwrap_err().to_string();
    assert!(err.contains("registration.tokens[1]"), "{err}");
}

#[test]
fn environment_overrides_defaults() {
    let config = load_env(&[
        ("REMPART_SERVER_NAME", "x.example"),
        ("REMPART_REGISTRATION__MODE", "open"),
        ("REMPART_LISTEN__ADDRESS", "127.0.0.1:9000"),
        ("REMPART_RATE_LIMITS__ENABLED", "false"),
        ("REMPART_RATE_LIMITS__PER_SECOND", "2"),
        ("REMPART_REGISTRATION__TOKENS", r#"["a", "b"]"#),
        ("PATH", "/usr/bin"),
    ])
    .unwrap();
    assert_eq!(config.server_name.as_str(), "x.example");
    assert_eq!(config.registration.mode, RegistrationMode::Open);
    assert_eq!(config.listen.address.to_string(), "127.0.0.1:9000");
    assert!(!config.rate_limits.enabled);
    assert_eq!(config.rate_limits.per_second, 2.0);
    assert_eq!(config.rate_limits.burst, 20);
    assert_eq!(config.registration.tokens, ["a", "b"]);
}

#[test]
fn environment_text_that_looks_like_a_number_stays_text() {
    let config = load_env(&[
        ("REMPART_ROOMS__DEFAULT_VERSION", "11"),
        ("REMPART_REGISTRATION__SHARED_SECRET", "12345"),
        ("REMPART_PUBLIC_BASE_URL", "\"https://x.example\""),
    ])
    .unwrap();
    assert_eq!(config.rooms.default_version, RoomVersionId::V11);
    assert_eq!(config.registration.shared_secret.as_deref(), Some("12345"));
    assert_eq!(config.public_base_url.as_deref(), Some("https://x.example"));
}

#[test]
fn environment_prefix_is_case_insensitive() {
    let config = load_env(&[("rempart_server_name", "x.example")]).unwrap();
    assert_eq!(config.server_name.as_str(), "x.example");
}

#[test]
fn unknown_environment_key_is_refused() {
    let err = load_env(&[("REMPART_REGISTRATION__BOGUS", "1")]).unwrap_err().to_string();
    assert!(err.contains("registration.bogus") && err.contains("REMPART_REGISTRATION__BOGUS"), "{err}");
    let err = load_env(&[("REMPART_SERVERNAME", "x")]).unwrap_err().to_string();
    assert!(err.contains("servername"), "{err}");
    let err = load_env(&[("REMPART_LISTEN__", "x")]).unwrap_err().to_string();
    assert!(err.contains("REMPART_LISTEN__ does not name"), "{err}");
}

#[test]
fn bad_environment_value_names_the_key_and_variable() {
    let err = load_env(&[("REMPART_LISTEN__ADDRESS", "nowhere")]).unwrap_err().to_string();
    assert!(err.contains("listen.address: ") && err.contains("(from REMPART_LISTEN__ADDRESS)"), "{err}");
    let err = load_env(&[("REMPART_RATE_LIMITS__BURST", "lots")]).unwrap_err().to_string();
    assert!(err.contains("rate_limits.burst: ") && err.contains("(from REMPART_RATE_LIMITS__BURST)"), "{err}");
    let err = load_env(&[("REMPART_LIMITS__MAX_REQUEST_BYTES", "-1")]).unwrap_err().to_string();
    assert!(err.contains("limits.max_request_bytes: invalid value: integer `-1`"), "{err}");
    let err = load_env(&[("REMPART_REGISTRATION__MODE", "token")]).unwrap_err().to_string();
    assert!(err.contains("registration.tokens is empty"), "{err}");
}

#[test]
fn file_then_environment_merge_key_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rempart.toml");
    std::fs::write(
        &path,
        "server_name = \"file.example\"\n[registration]\nmode = \"token\"\ntokens = [\"t\"]\n[rate_limits]\nburst = 3\n",
    )
    .unwrap();
    let config = Config::load_from(Some(&path), env(&[("REMPART_REGISTRATION__MODE", "open")])).unwrap();
    assert_eq!(config.server_name.as_str(), "file.example");
    assert_eq!(config.registration.mode, RegistrationMode::Open);
    assert_eq!(config.registration.tokens, ["t"]);
    assert_eq!(config.rate_limits.burst, 3);
    assert_eq!(config.rate_limits.per_second, 5.0);
    assert_eq!(config.listen.address.to_string(), "127.0.0.1:8008");

    let config = Config::load_from(Some(&path), env(&[("REMPART_SERVER_NAME", "env.example")])).unwrap();
    assert_eq!(config.server_name.as_str(), "env.example");
}

#[test]
fn file_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rempart.toml");
    std::fs::write(&path, "[listen]\naddress = \"nowhere\"\n").unwrap();
    let err = Config::load_from(Some(&path), env(&[])).unwrap_err().to_string();
    assert!(err.contains("listen.address: ") && err.contains(&format!("(in {})", path.display())), "{err}");

    std::fs::write(&path, "server_name = \n").unwrap();
    let err = Config::load_from(Some(&path), env(&[])).unwrap_err().to_string();
    assert!(err.contains(&path.display().to_string()) && err.contains("line 1"), "{err}");

    let missing = dir.path().join("absent.toml");
    let err = Config::load_from(Some(&missing), env(&[])).unwrap_err();
    assert!(matches!(err, ConfigError::MissingFile(p) if p == missing));
}
