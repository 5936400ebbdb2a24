//! Client-supplied names: file names of uploads and downloads, media ids, and the `Content-Disposition` header
//! built from them.

use rand::RngExt as _;
use rand::distr::Alphanumeric;

use crate::sniff::is_safe_inline;

/// The longest file name accepted, in bytes (the usual file system limit).
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// The longest media id accepted in a path.
pub const MAX_MEDIA_ID_CHARS: usize = 255;

/// Length of the ids [`new_media_id`] makes: 24 alphanumeric characters are about 143 bits of randomness.
const NEW_MEDIA_ID_CHARS: usize = 24;

/// Why a client-supplied file name is refused. The messages are shown to clients.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileNameError {
    /// The name is the empty string.
    #[error("the file name is empty")]
    Empty,
    /// The name is longer than [`MAX_FILE_NAME_BYTES`].
    #[error("the file name is longer than {max} bytes")]
    TooLong {
        /// The limit, in bytes of UTF-8.
        max: usize,
    },
    /// The name contains `/` or `\`.
    #[error("the file name contains a path separator ('/' or '\\')")]
    PathSeparator,
    /// The name contains a control character such as NUL, a line break or DEL.
    #[error("the file name contains a control character")]
    ControlCharacter,
    /// The name contains a Unicode bidirectional embedding, override or isolate, which can disguise an extension
    /// (`invoice\u{202E}fdp.exe` displays as `invoiceexe.pdf`).
    #[error("the file name contains a bidirectional text control character")]
    BidiControl,
    /// The name is `.` or `..`.
    #[error("the file name cannot be '.' or '..'")]
    DotName,
}

/// Rules for client-supplied file names (upload `?filename=`, download path): non-empty, at most 255 bytes,
/// no '/' or '\\', no control characters (Unicode Cc, incl. NUL, CR, LF, DEL), no bidirectional embeddings,
/// overrides or isolates, not "." or "..".
pub fn validate_file_name(name: &str) -> Result<(), FileNameError> {
    if name.is_empty() {
        return Err(FileNameError::Empty);
    }
    if name.len() > MAX_FILE_NAME_BYTES {
        return Err(FileNameError::TooLong { max: MAX_FILE_NAME_BYTES });
    }
    if name == "." || name == ".." {
        return Err(FileNameError::DotName);
    }
    for c in name.chars() {
        if c == '/' || c == '\\' {
            return Err(FileNameError::PathSeparator);
        }
        if c.is_control() {
            return Err(FileNameError::ControlCharacter);
        }
        if matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
            return Err(FileNameError::BidiControl);
        }
    }
    Ok(())
}

/// RFC 5987 `attr-char`: what may appear unencoded in an `ext-value`.
fn is_attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b)
}

/// The `Content-Disposition` header value: "inline" only when [`is_safe_inline`] holds for `content_type`, else
/// "attachment"; plus the file name when given (and not empty), per RFC 6266/5987: `filename="..."` for
/// printable ASCII without quotes, backslashes or '%', otherwise `filename*=utf-8''<percent-encoded>`. The result
/// never contains control characters, whatever the name holds.
pub fn content_disposition(content_type: &str, file_name: Option<&str>) -> String {
    let mut value = String::from(if is_safe_inline(content_type) { "inline" } else { "attachment" });
    let Some(name) = file_name.filter(|name| !name.is_empty()) else { return value };
    // '%' is left out of the quoted form because some browsers decode %XX there too (RFC 6266, appendix D).
    let plain = name.bytes().all(|b| (0x20..0x7F).contains(&b) && !matches!(b, b'"' | b'\\' | b'%'));
    if plain {
        value.push_str("; filename=\"");
        value.push_str(name);
        value.push('"');
    } else {
        value.push_str("; filename*=utf-8''");
        for b in name.bytes() {
            if is_attr_char(b) {
                value.push(char::from(b));
            } else {
                value.push_str(&format!("%{b:02X}"));
            }
        }
    }
    value
}

/// Media ids this server accepts in paths: 1..=255 characters of `[A-Za-z0-9_-]`.
pub fn is_valid_media_id(id: &str) -> bool {
    (1..=MAX_MEDIA_ID_CHARS).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A fresh random media id: 24 characters of `[A-Za-z0-9]`, from the thread-local CSPRNG, so that ids cannot be
/// guessed.
pub fn new_media_id() -> String {
    rand::rng().sample_iter(Alphanumeric).take(NEW_MEDIA_ID_CHARS).map(char::from).collect()
}

#[cfg(test)]
mod tests;
