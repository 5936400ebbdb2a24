use super::{content_type, is_safe_inline};

fn sniff(head: &[u8]) -> String {
    content_type(None, head)
}

/// A minimal BMP file header plus the size field of a BITMAPINFOHEADER.
fn bmp_head() -> Vec<u8> {
    let mut head = b"BM".to_vec();
    head.extend_from_slice(&70u32.to_le_bytes());
    head.extend_from_slice(&[0; 4]);
    head.extend_from_slice(&54u32.to_le_bytes());
    head.extend_from_slice(&40u32.to_le_bytes());
    head.extend_from_slice(&[0; 16]);
    head
}

fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
    let size = 16 + 4 * compatible.len() as u32;
    let mut head = size.to_be_bytes().to_vec();
    head.extend_from_slice(b"ftyp");
    head.extend_from_slice(major);
    head.extend_from_slice(&[0, 0, 2, 0]);
    for brand in compatible {
        head.extend_from_slice(*brand);
    }
    head.extend_from_slice(b"\0\0\0\x08free");
    head
}

#[test]
fn images() {
    assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
    assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F']), "image/jpeg");
    assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), "image/gif");
    assert_eq!(sniff(b"GIF87a\x01\0\x01\0"), "image/gif");
    assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), "image/webp");
    assert_eq!(sniff(&bmp_head()), "image/bmp");
    assert_eq!(sniff(&ftyp(b"avif", &[b"mif1", b"avif"])), "image/avif");
    assert_eq!(sniff(&ftyp(b"mif1", &[b"mif1", b"avif"])), "image/avif");
    assert_eq!(sniff(&ftyp(b"heic", &[b"mif1", b"heic"])), "image/heic");
}

#[test]
fn bm_text_is_not_bmp() {
    assert_eq!(sniff(b"BMW 3 series, 2019, low mileage"), "application/octet-stream");
    assert_eq!(content_type(Some("text/plain"), b"BM"), "text/plain");
}

#[test]
fn documents_and_archives() {
    assert_eq!(sniff(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3"), "application/pdf");
    assert_eq!(sniff(b"PK\x03\x04\x14\0\0\0\x08\0"), "application/zip");
    assert_eq!(sniff(b"PK\x05\x06\0\0\0\0"), "application/zip");
    assert_eq!(sniff(&[0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 3]), "application/gzip");
}

#[test]
fn audio_and_video() {
    assert_eq!(sniff(&ftyp(b"isom", &[b"isom", b"iso2", b"mp41"])), "video/mp4");
    assert_eq!(sniff(&ftyp(b"qt  ", &[b"qt  "])), "video/quicktime");
    assert_eq!(sniff(&ftyp(b"M4A ", &[b"M4A ", b"mp42"])), "audio/mp4");
    let webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm";
    assert_eq!(sniff(webm), "video/webm");
    let mkv = b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska";
    assert_eq!(sniff(mkv), "video/x-matroska");
    assert_eq!(sniff(b"OggS\0\x02\0\0\0\0\0\0\0\0\x01\x02\x03\x04\0\0\0\0\0\0\0\0\x01\x13OpusHead"), "audio/ogg");
    assert_eq!(sniff(b"OggS\0\x02\0\0\0\0\0\0\0\0\x01\x02\x03\x04\0\0\0\0\0\0\0\0\x01\x2a\x80theora"), "video/ogg");
    assert_eq!(sniff(b"ID3\x04\0\0\0\0\x01\x00"), "audio/mpeg");
    // MPEG-1 layer III, 128 kbit/s, 44.1 kHz.
    assert_eq!(sniff(&[0xFF, 0xFB, 0x90, 0x64, 0x00]), "audio/mpeg");
    // ADTS AAC.
    assert_eq!(sniff(&[0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC]), "audio/aac");
    assert_eq!(sniff(b"RIFF\x24\x08\0\0WAVEfmt "), "audio/wav");
    assert_eq!(sniff(b"fLaC\0\0\0\x22"), "audio/flac");
}

#[test]
fn invalid_frame_headers_are_not_audio() {
    // Reserved version, bad bitrate index, reserved sample rate.
    assert_eq!(sniff(&[0xFF, 0xEB, 0x90]), "application/octet-stream");
    assert_eq!(sniff(&[0xFF, 0xFB, 0xF0]), "application/octet-stream");
    assert_eq!(sniff(&[0xFF, 0xFB, 0x9C]), "application/octet-stream");
}

#[test]
fn html_is_html_whatever_is_declared() {
    assert_eq!(content_type(Some("image/png"), b"<html><script>alert(1)</script>"), "text/html");
    assert_eq!(content_type(Some("image/png"), b"  \r\n\t<!DOCTYPE html>"), "text/html");
    assert_eq!(content_type(Some("image/jpeg"), b"\xEF\xBB\xBF<HEAD>"), "text/html");
    assert_eq!(content_type(Some("text/plain"), b"<body onload=x()>"), "text/html");
    assert_eq!(content_type(Some("video/mp4"), b"<ScRiPt>"), "text/html");
    assert_eq!(content_type(Some("application/json"), b"<iframe src=x>"), "text/html");
    assert_eq!(content_type(None, b"<!-- comment --><p>hi"), "text/html");
    assert_eq!(content_type(None, b"<img src=x onerror=alert(1)>"), "text/html");
    let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain("<html>".encode_utf16().flat_map(u16::to_le_bytes)).collect();
    assert_eq!(content_type(Some("image/gif"), &utf16), "text/html");
    let utf16be: Vec<u8> = [0xFE, 0xFF].into_iter().chain("<svg>".encode_utf16().flat_map(u16::to_be_bytes)).collect();
    assert_eq!(content_type(Some("image/gif"), &utf16be), "image/svg+xml");
}

#[test]
fn declared_html_charset_is_kept() {
    assert_eq!(content_type(Some("text/html; charset=UTF-8"), b"<html>"), "text/html; charset=utf-8");
}

#[test]
fn svg_and_xml() {
    assert_eq!(content_type(Some("image/png"), b"<svg xmlns=\"http://www.w3.org/2000/svg\">"), "image/svg+xml");
    let xml_svg = b"<?xml version=\"1.0\"?>\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\">\n<svg>";
    assert_eq!(content_type(Some("image/png"), xml_svg), "image/svg+xml");
    assert_eq!(sniff(b"<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\">"), "application/xhtml+xml");
    assert_eq!(sniff(b"<?xml version=\"1.0\"?><feed>"), "text/xml");
}

#[test]
fn text_that_merely_contains_angle_brackets_is_not_markup() {
    assert_eq!(content_type(Some("text/plain"), b"<3 you"), "text/plain");
    assert_eq!(content_type(Some("text/plain"), b"a < b and b > c"), "text/plain");
    assert_eq!(content_type(Some("text/plain"), b"hello <html>"), "text/plain");
}

#[test]
fn empty_or_unknown_content_uses_declaration() {
    assert_eq!(content_type(None, b""), "application/octet-stream");
    assert_eq!(content_type(Some("image/png"), b""), "image/png");
    assert_eq!(content_type(Some("Image/PNG"), b"\0\0\0\0"), "image/png");
    assert_eq!(content_type(None, b"just some text"), "application/octet-stream");
    assert_eq!(content_type(Some("application/x-custom"), b"\x00\x01"), "application/x-custom");
}

#[test]
fn declared_type_is_normalised() {
    assert_eq!(
        content_type(Some("  TEXT/Plain ; Charset=\"UTF-8\"; format=flowed"), b"hi"),
        "text/plain; charset=utf-8"
    );
    assert_eq!(content_type(Some("text/csv"), b"a,b"), "text/csv");
    assert_eq!(content_type(Some("application/json; charset=utf-8"), b"{}"), "application/json");
    assert_eq!(content_type(Some("text/plain; charset=\"a\r\nX-Evil: 1\""), b"hi"), "text/plain");
    assert_eq!(content_type(Some("image/png\r\nX-Evil: 1"), b""), "application/octet-stream");
    assert_eq!(content_type(Some("nonsense"), b""), "application/octet-stream");
    assert_eq!(content_type(Some("/png"), b""), "application/octet-stream");
    assert_eq!(content_type(Some(""), b""), "application/octet-stream");
}

#[test]
fn sniffed_type_overrides_a_wrong_declaration() {
    assert_eq!(content_type(Some("image/jpeg"), b"\x89PNG\r\n\x1a\n"), "image/png");
    assert_eq!(content_type(Some("text/plain"), b"%PDF-1.4"), "application/pdf");
    assert_eq!(content_type(Some("application/zip"), b"\x89PNG\r\n\x1a\n"), "image/png");
}

#[test]
fn specific_names_for_generic_containers_are_kept() {
    let docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    assert_eq!(content_type(Some(docx), b"PK\x03\x04"), docx);
    assert_eq!(content_type(Some("application/epub+zip"), b"PK\x03\x04"), "application/epub+zip");
    assert_eq!(content_type(Some("image/png"), b"PK\x03\x04"), "application/zip");
    assert_eq!(content_type(Some("audio/webm"), b"\x1a\x45\xdf\xa3\x42\x82\x84webm"), "audio/webm");
    assert_eq!(content_type(Some("video/ogg"), b"OggS\0\x02"), "video/ogg");
}

#[test]
fn safe_inline_types() {
    for safe in ["image/png", "IMAGE/JPEG", "image/gif; foo=bar", "text/plain; charset=utf-8", "video/mp4", "audio/ogg"]
    {
        assert!(is_safe_inline(safe), "{safe}");
    }
    for unsafe_type in [
        "text/html",
        "text/html; charset=utf-8",
        "image/svg+xml",
        "application/javascript",
        "text/javascript",
        "application/xhtml+xml",
        "text/xml",
        "application/xml",
        "application/pdf",
        "application/octet-stream",
        "multipart/x-mixed-replace",
        "",
        "image/png\0",
    ] {
        assert!(!is_safe_inline(unsafe_type), "{unsafe_type}");
    }
}

#[test]
fn nothing_sniffed_from_markup_is_inline() {
    for head in [&b"<html>"[..], b"<svg>", b"<?xml?><svg>", b"<?xml?><x>", b"<a href=x>", b"</p>"] {
        for declared in [None, Some("image/png"), Some("text/plain"), Some("video/mp4")] {
            assert!(!is_safe_inline(&content_type(declared, head)), "{declared:?} {head:?}");
        }
    }
}

#[test]
fn long_heads_are_fine() {
    let mut svg = b"<?xml version=\"1.0\"?>\n<!-- ".to_vec();
    svg.extend_from_slice(&[b'x'; 3000]);
    svg.extend_from_slice(b" -->\n<svg>");
    svg.extend_from_slice(&[b' '; 1_000_000]);
    assert_eq!(content_type(Some("image/png"), &svg), "image/svg+xml");
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.resize(1_000_000, 0);
    assert_eq!(content_type(None, &png), "image/png");
}
