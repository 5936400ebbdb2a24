//! Deciding the content type of an upload and whether browsers may render it inline.
//!
//! The declared type comes from the uploader and cannot be trusted: a file declared `image/png` that is really
//! HTML would run script in the server's origin if served inline. So known formats are recognised from their
//! first bytes, markup is always recognised as markup, and only a short list of passive types is ever inline.

/// How much of the head is looked at: signatures sit in the first bytes, and an SVG's `<svg` element follows an
/// XML declaration and perhaps a DOCTYPE. Passing a longer head (even the whole file) is harmless.
const SNIFF_LEN: usize = 4096;

/// What is stored when neither the bytes nor the declaration say anything usable.
const OCTET_STREAM: &str = "application/octet-stream";

/// Types a browser displays without running anything in the page's origin. Everything else is an attachment.
const SAFE_INLINE: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/apng",
    "image/avif",
    "image/bmp",
    "text/plain",
    "text/csv",
    "application/json",
    "video/mp4",
    "video/webm",
    "video/ogg",
    "video/quicktime",
    "audio/mp4",
    "audio/webm",
    "audio/aac",
    "audio/mpeg",
    "audio/ogg",
    "audio/wav",
    "audio/x-wav",
    "audio/flac",
    "audio/x-flac",
];

/// The content type to store for an upload: sniffed from the first bytes (`head`, up to the first 512 bytes or
/// so of the file) when they identify a known format, else the declared type (lower-cased, parameters like
/// `; charset=` kept only for text/*), else "application/octet-stream".
///
/// Markup always wins over the declaration: anything that starts (after whitespace and a byte-order mark) like
/// an HTML, XML or SVG document comes out `text/html`, `text/xml`, `application/xhtml+xml` or `image/svg+xml`,
/// none of which is inline.
/// A few generic containers keep a more specific declaration that matches them (a `.docx` is a ZIP file, Ogg
/// and Matroska carry audio or video): those declared types are never inline either.
pub fn content_type(declared: Option<&str>, head: &[u8]) -> String {
    let declared = declared.and_then(normalize_declared);
    let head = &head[..head.len().min(SNIFF_LEN)];
    let Some(sniffed) = sniff_markup(head).or_else(|| sniff_signature(head)) else {
        return declared.unwrap_or_else(|| OCTET_STREAM.to_owned());
    };
    match declared {
        // The same type (the declaration may carry a charset worth keeping), or a more precise name for the
        // same container.
        Some(declared) if essence(&declared) == sniffed || keeps_declared(sniffed, essence(&declared)) => declared,
        _ => sniffed.to_owned(),
    }
}

/// Whether a browser may render this type inline: only a safe list of passive image, text, audio and video
/// types. Compares on the essence (parameters ignored, case-insensitive). Downloads should also carry
/// `X-Content-Type-Options: nosniff`, so that browsers do not second-guess a type that was judged safe.
pub fn is_safe_inline(content_type: &str) -> bool {
    let essence = essence(content_type).to_ascii_lowercase();
    SAFE_INLINE.contains(&essence.as_str())
}

/// The `type/subtype` part of a content type, without parameters or surrounding whitespace.
fn essence(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

/// RFC 9110 `token` characters, the only ones allowed in a type, subtype or parameter value we keep.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The declared type in canonical form, or None when it is not a well-formed `type/subtype`. Only `charset` of
/// text types survives: it matters for display, and every other parameter is a place to smuggle things.
fn normalize_declared(declared: &str) -> Option<String> {
    let mut parts = declared.split(';');
    let essence = parts.next()?.trim().to_ascii_lowercase();
    let (kind, subtype) = essence.split_once('/')?;
    if !is_token(kind) || !is_token(subtype) {
        return None;
    }
    if kind != "text" {
        return Some(essence);
    }
    let charset = parts.find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches('"').to_ascii_lowercase();
        is_token(&value).then_some(value)
    });
    Some(match charset {
        Some(charset) => format!("{essence}; charset={charset}"),
        None => essence,
    })
}

/// The head as ASCII-compatible bytes after any byte-order mark, so that UTF-16 markup is seen as markup too.
/// Characters outside ASCII become 0x80, which matches nothing below.
fn text_view(head: &[u8]) -> Vec<u8> {
    let utf16 = |bytes: &[u8], big_endian: bool| -> Vec<u8> {
        bytes
            .chunks_exact(2)
            .map(|pair| {
                let unit = if big_endian {
                    u16::from_be_bytes([pair[0], pair[1]])
                } else {
                    u16::from_le_bytes([pair[0], pair[1]])
                };
                u8::try_from(unit).ok().filter(u8::is_ascii).unwrap_or(0x80)
            })
            .collect()
    };
    match head {
        [0xEF, 0xBB, 0xBF, rest @ ..] => rest.to_vec(),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, false),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, true),
        _ => head.to_vec(),
    }
}

/// Finds `needle` in `haystack`, ignoring ASCII case.
fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window.eq_ignore_ascii_case(needle))
}

/// Markup that a browser could treat as a document: HTML, XML, SVG. Deliberately broad: a `<` followed by a
/// letter, `!`, `?` or `/` at the start is enough, because a false positive only costs an attachment download
/// while a miss can cost script execution.
fn sniff_markup(head: &[u8]) -> Option<&'static str> {
    let text = text_view(head);
    let start = text.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0C))?;
    let text = &text[start..];
    let (&first, rest) = text.split_first()?;
    let &second = rest.first()?;
    if first != b'<' || !(second.is_ascii_alphabetic() || matches!(second, b'!' | b'?' | b'/')) {
        return None;
    }
    let starts_with = |prefix: &[u8]| text.get(..prefix.len()).is_some_and(|t| t.eq_ignore_ascii_case(prefix));
    if starts_with(b"<svg") {
        return Some("image/svg+xml");
    }
    if starts_with(b"<?xml") {
        if contains_ignore_case(text, b"<svg") {
            return Some("image/svg+xml");
        }
        if contains_ignore_case(text, b"<html") {
            return Some("application/xhtml+xml");
        }
        return Some("text/xml");
    }
    Some("text/html")
}

/// Whether a sniffed generic container may keep the declared type, which is more specific.
fn keeps_declared(sniffed: &str, declared: &str) -> bool {
    match sniffed {
        // Office documents, EPUB, JAR, APK, ... are all ZIP files.
        "application/zip" => {
            declared.ends_with("+zip")
                || declared.starts_with("application/vnd.")
                || declared == "application/java-archive"
                || declared == "application/x-zip-compressed"
        }
        "application/gzip" => declared == "application/x-gzip" || declared == "application/x-tar+gzip",
        "audio/ogg" | "video/ogg" => matches!(declared, "audio/ogg" | "video/ogg" | "audio/opus"),
        "video/webm" => declared == "audio/webm",
        "video/x-matroska" => matches!(declared, "audio/x-matroska" | "video/webm" | "audio/webm"),
        "video/mp4" => matches!(declared, "audio/mp4" | "audio/x-m4a" | "video/x-m4v"),
        "audio/mpeg" => declared == "audio/mp3",
        "audio/wav" => matches!(declared, "audio/x-wav" | "audio/wave" | "audio/vnd.wave"),
        "audio/flac" => declared == "audio/x-flac",
        _ => false,
    }
}

/// Binary formats recognised by their signature.
fn sniff_signature(head: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, signature: &[u8]| head.get(offset..offset + signature.len()) == Some(signature);
    if at(0, b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if at(0, &[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        Some("image/gif")
    } else if at(0, b"RIFF") {
        match head.get(8..12)? {
            b"WEBP" => Some("image/webp"),
            b"WAVE" => Some("audio/wav"),
            b"AVI " => Some("video/x-msvideo"),
            _ => None,
        }
    } else if is_bmp(head) {
        Some("image/bmp")
    } else if at(0, b"%PDF-") {
        Some("application/pdf")
    } else if at(0, b"PK\x03\x04") || at(0, b"PK\x05\x06") || at(0, b"PK\x07\x08") {
        Some("application/zip")
    } else if at(0, &[0x1F, 0x8B, 0x08]) {
        Some("application/gzip")
    } else if at(4, b"ftyp") {
        Some(iso_media_type(head))
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        // The EBML DocType near the start tells WebM from general Matroska.
        let start = &head[..head.len().min(64)];
        Some(if contains_ignore_case(start, b"webm") { "video/webm" } else { "video/x-matroska" })
    } else if at(0, b"OggS") {
        Some(if contains_ignore_case(head, b"\x80theora") { "video/ogg" } else { "audio/ogg" })
    } else if at(0, b"fLaC") {
        Some("audio/flac")
    } else if at(0, b"ID3") {
        Some("audio/mpeg")
    } else {
        mpeg_audio_frame(head)
    }
}

/// A Windows bitmap: "BM", then a DIB header whose size is one of the known versions. The two letters alone
/// would match plain text.
fn is_bmp(head: &[u8]) -> bool {
    let Some(size) = head.get(14..18) else { return false };
    let dib_header_size = u32::from_le_bytes([size[0], size[1], size[2], size[3]]);
    head.starts_with(b"BM") && matches!(dib_header_size, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124)
}

/// ISO base media files (`ftyp` box): MP4 unless the brands say QuickTime, M4A audio, AVIF or HEIF images.
fn iso_media_type(head: &[u8]) -> &'static str {
    let box_size = head.get(0..4).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let ftyp_end = box_size.min(head.len());
    let major = head.get(8..12).unwrap_or_default();
    // Compatible brands follow the major brand and the minor version.
    let compatible = head.get(16..ftyp_end).unwrap_or_default();
    let has_brand = |brand: &[u8]| major == brand || compatible.chunks_exact(4).any(|c| c == brand);
    match major {
        b"qt  " => "video/quicktime",
        b"M4A " | b"M4B " => "audio/mp4",
        b"3gp4" | b"3gp5" | b"3gp6" => "video/3gpp",
        b"avif" | b"avis" => "image/avif",
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" => "image/heic",
        b"mif1" | b"msf1" if has_brand(b"avif") => "image/avif",
        b"mif1" | b"msf1" => "image/heif",
        _ => "video/mp4",
    }
}

/// An MPEG audio frame header (MP3 without ID3 tag) or an ADTS header (raw AAC). Every field is checked, as an
/// 11-bit sync word alone is weak evidence.
fn mpeg_audio_frame(head: &[u8]) -> Option<&'static str> {
    let [0xFF, b1, b2, ..] = *head else { return None };
    if b1 & 0xE0 != 0xE0 {
        return None;
    }
    let layer = (b1 >> 1) & 0x03;
    if layer == 0 {
        // ADTS: MPEG-4 or MPEG-2 AAC, sampling frequency index 0..=12.
        return (b1 & 0xF6 == 0xF0 && (b2 >> 2) & 0x0F <= 12).then_some("audio/aac");
    }
    let version = (b1 >> 3) & 0x03;
    let bitrate = b2 >> 4;
    let sample_rate = (b2 >> 2) & 0x03;
    (version != 1 && bitrate != 0x0F && sample_rate != 0x03).then_some("audio/mpeg")
}

#[cfg(test)]
mod tests;
