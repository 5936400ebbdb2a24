//! Sync and pagination tokens.

use std::fmt;

/// A sync position: the global stream position plus the typing change counter (typing is
/// ephemeral and lives outside the database stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamToken {
    /// Global stream position.
    pub stream: i64,
    /// Typing change counter.
    pub typing: u64,
}

impl StreamToken {
    /// Parses `s<stream>_<typing>`, or a bare stream position as `/messages` hands out.
    pub fn parse(token: &str) -> Option<Self> {
        if let Some(rest) = token.strip_prefix('s') {
            let (stream, typing) = rest.split_once('_')?;
            return Some(Self { stream: stream.parse().ok().filter(|s: &i64| *s >= 0)?, typing: typing.parse().ok()? });
        }
        Some(Self { stream: token.parse().ok().filter(|s: &i64| *s >= 0)?, typing: 0 })
    }
}

impl fmt::Display for StreamToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}_{}", self.stream, self.typing)
    }
}

#[cfg(test)]
mod tests {
    use super::StreamToken;

    #[test]
    fn round_trip_and_bare_positions() {
        let token = StreamToken { stream: 42, typing: 7 };
        assert_eq!(StreamToken::parse(&token.to_string()), Some(token));
        assert_eq!(StreamToken::parse("17"), Some(StreamToken { stream: 17, typing: 0 }));
        assert_eq!(StreamToken::parse("s-1_0"), None);
        assert_eq!(StreamToken::parse("garbage"), None);
    }
}
