use super::{FileNameError, content_disposition, is_valid_media_id, new_media_id, validate_file_name};

#[test]
fn ordinary_names_are_accepted() {
    for name in
        ["photo.jpg", "My Report (final).pdf", ".bashrc", "...", "a", "résumé.docx", "日本語のファイル.txt", "😀.png"]
    {
        assert_eq!(validate_file_name(name), Ok(()), "{name}");
    }
    assert_eq!(validate_file_name(&"a".repeat(255)), Ok(()));
    // 85 three-byte characters are 255 bytes.
    assert_eq!(validate_file_name(&"日".repeat(85)), Ok(()));
}

#[test]
fn bad_names_are_refused() {
    assert_eq!(validate_file_name(""), Err(FileNameError::Empty));
    assert_eq!(validate_file_name(&"a".repeat(256)), Err(FileNameError::TooLong { max: 255 }));
    assert_eq!(validate_file_name(&"日".repeat(86)), Err(FileNameError::TooLong { max: 255 }));
    assert_eq!(validate_file_name("../etc/passwd"), Err(FileNameError::PathSeparator));
    assert_eq!(validate_file_name("dir/file"), Err(FileNameError::PathSeparator));
    assert_eq!(validate_file_name("..\\boot.ini"), Err(FileNameError::PathSeparator));
    assert_eq!(validate_file_name("."), Err(FileNameError::DotName));
    assert_eq!(validate_file_name(".."), Err(FileNameError::DotName));
    for bad in ["a\0b", "a\nb", "a\rb", "tab\there", "del\u{7F}", "c1\u{85}", "esc\u{1B}[31m"] {
        assert_eq!(validate_file_name(bad), Err(FileNameError::ControlCharacter), "{bad:?}");
    }
    assert_eq!(validate_file_name("invoice\u{202E}fdp.exe"), Err(FileNameError::BidiControl));
    assert_eq!(validate_file_name("x\u{2067}y"), Err(FileNameError::BidiControl));
}

#[test]
fn error_messages_are_readable() {
    assert_eq!(FileNameError::TooLong { max: 255 }.to_string(), "the file name is longer than 255 bytes");
    assert_eq!(FileNameError::PathSeparator.to_string(), "the file name contains a path separator ('/' or '\\')");
}

#[test]
fn disposition_depends_on_type() {
    assert_eq!(content_disposition("image/png", None), "inline");
    assert_eq!(content_disposition("text/plain; charset=utf-8", None), "inline");
    assert_eq!(content_disposition("text/html", None), "attachment");
    assert_eq!(content_disposition("image/svg+xml", None), "attachment");
    assert_eq!(content_disposition("application/octet-stream", Some("")), "attachment");
}

#[test]
fn plain_ascii_names_are_quoted() {
    assert_eq!(content_disposition("image/png", Some("cat.png")), "inline; filename=\"cat.png\"");
    assert_eq!(
        content_disposition("application/pdf", Some("My Report; v2.pdf")),
        "attachment; filename=\"My Report; v2.pdf\""
    );
}

#[test]
fn other_names_are_rfc5987_encoded() {
    assert_eq!(content_disposition("image/jpeg", Some("résumé.jpg")), "inline; filename*=utf-8''r%C3%A9sum%C3%A9.jpg");
    assert_eq!(
        content_disposition("text/html", Some("say \"hi\".html")),
        "attachment; filename*=utf-8''say%20%22hi%22.html"
    );
    assert_eq!(content_disposition("text/plain", Some("a\\b")), "inline; filename*=utf-8''a%5Cb");
    assert_eq!(content_disposition("text/plain", Some("100% ü'*")), "inline; filename*=utf-8''100%25%20%C3%BC%27%2A");
    // Some browsers decode %XX even in the quoted form (RFC 6266, appendix D), so '%' always means encoding.
    assert_eq!(content_disposition("text/plain", Some("%41'*")), "inline; filename*=utf-8''%2541%27%2A");
}

#[test]
fn control_characters_never_reach_the_header() {
    for name in ["evil\r\nSet-Cookie: x=y", "nul\0", "del\u{7F}", "c1\u{85}", "tab\t"] {
        let value = content_disposition("application/octet-stream", Some(name));
        assert!(value.chars().all(|c| !c.is_control()), "{value:?}");
        assert!(value.is_ascii(), "{value:?}");
    }
}

#[test]
fn media_ids() {
    assert!(is_valid_media_id("abcXYZ019_-"));
    assert!(is_valid_media_id("a"));
    assert!(is_valid_media_id(&"a".repeat(255)));
    assert!(!is_valid_media_id(""));
    assert!(!is_valid_media_id(&"a".repeat(256)));
    for bad in ["a/b", "..", "a.b", "a b", "é", "a%2F", "a\0"] {
        assert!(!is_valid_media_id(bad), "{bad:?}");
    }
}

#[test]
fn new_media_ids_are_valid_and_distinct() {
    let ids: std::collections::HashSet<String> = (0..100).map(|_| new_media_id()).collect();
    assert_eq!(ids.len(), 100);
    for id in &ids {
        assert_eq!(id.len(), 24);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
        assert!(is_valid_media_id(id));
    }
}
