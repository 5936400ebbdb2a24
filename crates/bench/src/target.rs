//! Which servers the tool may load: loopback only, unless the operator says otherwise.

use reqwest::Url;

use crate::error::{BenchError, Result};

/// Parses `base` and refuses it unless its host is on this machine or `allow_remote` is set,
/// so a typo cannot turn a benchmark into a load test of somebody else's server.
pub fn check_base_url(base: &str, allow_remote: bool) -> Result<Url> {
    let url = Url::parse(base).map_err(|e| BenchError::Target(format!("{base}: {e}")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(BenchError::Target(format!("{base}: scheme must be http or https")));
    }
    let host = url.host_str().ok_or_else(|| BenchError::Target(format!("{base}: no host")))?;
    if !allow_remote && !is_loopback_host(host) {
        return Err(BenchError::Target(format!(
            "{host} is not a loopback address; pass --allow-remote to benchmark another machine"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(BenchError::Target(format!("{base}: must not have a query or fragment")));
    }
    Ok(url)
}

/// True for `localhost`, 127.0.0.0/8 and ::1 (bracketed as URLs write it, or not).
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback(),
        // ::ffff:127.0.0.1 is loopback too, although Ipv6Addr::is_loopback says no.
        Ok(std::net::IpAddr::V6(ip)) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_accepted() {
        for base in ["http://127.0.0.1:8008", "http://localhost:8008/", "http://[::1]:8008", "http://127.9.8.7"] {
            assert!(check_base_url(base, false).is_ok(), "{base}");
        }
        assert!(is_loopback_host("::ffff:127.0.0.1"));
        assert!(is_loopback_host("LOCALHOST"));
    }

    #[test]
    fn other_hosts_are_refused_unless_allowed() {
        for base in [
            "http://10.0.0.1:8008",
            "http://192.168.1.10",
            "https://matrix.org",
            "http://localhost.example.org",
            "http://0.0.0.0:8008",
            "http://[::]:8008",
            "http://128.0.0.1",
        ] {
            assert!(matches!(check_base_url(base, false), Err(BenchError::Target(_))), "{base}");
            assert!(check_base_url(base, true).is_ok(), "{base}");
        }
    }

    #[test]
    fn malformed_urls_are_refused() {
        for base in ["127.0.0.1:8008", "ftp://127.0.0.1", "http://127.0.0.1/?x=1", "not a url"] {
            assert!(check_base_url(base, true).is_err(), "{base}");
        }
    }
}
