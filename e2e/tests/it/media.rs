//! Media with `matrix-sdk`'s attachment API: an image (with a client-made thumbnail) sent in a
//! plaintext room and downloaded by the other member, byte for byte, with thumbnails the server
//! generates (scaled and cropped); an encrypted attachment in an end-to-end encrypted room, which
//! the server only ever holds as ciphertext and the other member decrypts; and the access rule
//! that sets Rempart apart from the spec's "any valid token" (MSC3916): a user who shares no room
//! with the uploader gets 404 `M_NOT_FOUND`, even with the exact `mxc://` URI.
//!
//! Every download passes `use_cache: false`: the SDK's media cache would otherwise answer without
//! asking the server, and the server's answer is what these tests are about.

use anyhow::{Context, Result, bail, ensure};
use matrix_sdk::{
    Client, Room,
    attachment::{AttachmentConfig, AttachmentInfo, BaseImageInfo, Thumbnail},
    deserialized_responses::TimelineEventKind,
    media::{MediaFormat, MediaRequestParameters, MediaThumbnailSettings},
    reqwest::StatusCode,
    ruma::{
        EventId, MxcUri, OwnedEventId, RoomId, UInt,
        api::error::ErrorKind,
        events::{
            AnySyncMessageLikeEvent, AnySyncTimelineEvent,
            room::{
                MediaSource,
                message::{ImageMessageEventContent, MessageType},
            },
        },
        media::Method,
    },
};
use serde_json::Value as JsonValue;

use crate::{
    client::{create_private_room, new_user},
    e2ee::{e2ee_user, ensure_encrypted},
    fixtures::{Pair, invite_and_join, room},
    harness::{TestServer, scenario, scenario_with_platform_defaults},
    sync::{parse, sync_until},
};

/// Side of the square image the tests send.
const IMAGE_SIDE: u32 = 64;

/// Side of the thumbnail the sending client makes itself and sends along (`info.thumbnail_url`
/// or `info.thumbnail_file`): a second file the event references.
const CLIENT_THUMBNAIL_SIDE: u32 = 16;

/// Side of the thumbnails asked of the server: half the image's, so the server has an image to
/// scale down or crop.
const SERVER_THUMBNAIL_SIDE: u32 = 32;

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
const JPEG_MAGIC: &[u8] = b"\xff\xd8\xff";

/// The image and the client-made thumbnail one scenario sends.
struct Picture {
    image: Vec<u8>,
    thumbnail: Vec<u8>,
}

impl Picture {
    fn new() -> Self {
        Self { image: png(IMAGE_SIDE, IMAGE_SIDE), thumbnail: png(CLIENT_THUMBNAIL_SIDE, CLIENT_THUMBNAIL_SIDE) }
    }

    /// Sends the image with its thumbnail as an `m.image` message through the SDK, which uploads
    /// both (encrypted first when the room is encrypted) and then sends the event. Returns the
    /// event's ID.
    async fn send(&self, room: &Room) -> Result<OwnedEventId> {
        let image_info = BaseImageInfo {
            width: Some(UInt::from(IMAGE_SIDE)),
            height: Some(UInt::from(IMAGE_SIDE)),
            size: Some(UInt::try_from(self.image.len())?),
            ..BaseImageInfo::default()
        };
        let thumbnail = Thumbnail {
            data: self.thumbnail.clone(),
            content_type: "image/png".parse()?,
            width: UInt::from(CLIENT_THUMBNAIL_SIDE),
            height: UInt::from(CLIENT_THUMBNAIL_SIDE),
            size: UInt::try_from(self.thumbnail.len())?,
        };
        let config = AttachmentConfig::new().info(AttachmentInfo::Image(image_info)).thumbnail(Some(thumbnail));
        let response = room
            .send_attachment("gradient.png", &"image/png".parse()?, self.image.clone(), config)
            .await
            .context("sending the image with send_attachment")?;
        Ok(response.event_id)
    }
}

/// An `m.image` message as a member received it in `/sync`.
struct ReceivedImage {
    content: ImageMessageEventContent,
    /// Whether it arrived as an `m.room.encrypted` event that the SDK decrypted.
    was_encrypted: bool,
}

impl ReceivedImage {
    /// Where the client-made thumbnail is, from `info.thumbnail_url` or `info.thumbnail_file`.
    fn thumbnail_source(&self) -> Result<MediaSource> {
        let info = self.content.info.as_ref().context("the image message has no `info`")?;
        info.thumbnail_source.clone().context("the image message has no thumbnail although one was sent")
    }
}

/// Syncs `client` until `event_id` arrives in the timeline of `room_id` and returns the image
/// message it carries. An encrypted event must arrive decryptable, as in
/// `e2ee::seen_in_sync`: the room key comes no later than the event.
async fn receive_image(client: &Client, room_id: &RoomId, event_id: &EventId) -> Result<ReceivedImage> {
    sync_until(client, &format!("the image {event_id}"), |response| {
        let Some(joined) = response.rooms.joined.get(room_id) else { return Ok(None) };
        let Some(event) = joined.timeline.events.iter().find(|event| event.event_id().as_deref() == Some(event_id))
        else {
            return Ok(None);
        };
        let was_encrypted = match &event.kind {
            TimelineEventKind::Decrypted(_) => true,
            TimelineEventKind::PlainText { .. } => false,
            TimelineEventKind::UnableToDecrypt { utd_info, .. } => {
                bail!("{event_id} arrived and could not be decrypted: {utd_info:?}")
            }
        };
        let AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomMessage(message)) = parse(event.raw())?
        else {
            bail!("{event_id} is not an m.room.message: {}", event.raw().json().get());
        };
        let original = message.as_original().with_context(|| format!("{event_id} arrived redacted"))?;
        let MessageType::Image(content) = &original.content.msgtype else {
            bail!("{event_id} is not an m.image message: {:?}", original.content.msgtype);
        };
        Ok(Some(ReceivedImage { content: content.clone(), was_encrypted }))
    })
    .await
}

/// The `mxc://` URI of a media source, encrypted or not.
fn uri_of(source: &MediaSource) -> &MxcUri {
    match source {
        MediaSource::Plain(uri) => uri,
        MediaSource::Encrypted(file) => &file.url,
    }
}

/// Asks for a whole file through the SDK (`GET /_matrix/client/v1/media/download/...`), which
/// decrypts it when the source is an encrypted file. The SDK's error is kept as it is, for the
/// checks on refusals.
async fn get_file(client: &Client, source: &MediaSource) -> matrix_sdk::Result<Vec<u8>> {
    let request = MediaRequestParameters { source: source.clone(), format: MediaFormat::File };
    client.media().get_media_content(&request, false).await
}

/// Downloads a whole file through the SDK, which must succeed.
async fn download(client: &Client, source: &MediaSource) -> Result<Vec<u8>> {
    get_file(client, source).await.with_context(|| format!("downloading {}", uri_of(source)))
}

/// Asks the server for a `side`×`side` thumbnail of a plaintext file through the SDK
/// (`GET /_matrix/client/v1/media/thumbnail/...`).
async fn server_thumbnail(client: &Client, uri: &MxcUri, method: Method, side: u32) -> matrix_sdk::Result<Vec<u8>> {
    let settings = MediaThumbnailSettings::with_method(method, UInt::from(side), UInt::from(side));
    let request =
        MediaRequestParameters { source: MediaSource::Plain(uri.to_owned()), format: MediaFormat::Thumbnail(settings) };
    client.media().get_media_content(&request, false).await
}

/// An authenticated `GET /_matrix/client/v1/media/download/{server}/{id}` sent with reqwest and
/// `client`'s access token, so the test sees the status and the raw body (ciphertext, or an
/// error's JSON) that the SDK would interpret. Without a client, the request carries no token.
async fn raw_download(server: &TestServer, client: Option<&Client>, uri: &MxcUri) -> Result<(StatusCode, Vec<u8>)> {
    let (server_name, media_id) = uri.parts().with_context(|| format!("malformed mxc URI {uri}"))?;
    let url = format!("{}/_matrix/client/v1/media/download/{server_name}/{media_id}", server.url());
    let mut request = matrix_sdk::reqwest::Client::new().get(&url);
    if let Some(client) = client {
        request = request.bearer_auth(client.access_token().context("the client has no access token")?);
    }
    let response = request.send().await.with_context(|| format!("GET {url}"))?;
    let status = response.status();
    let body = response.bytes().await.with_context(|| format!("reading the body of GET {url}"))?;
    Ok((status, body.to_vec()))
}

/// Checks that a download through the SDK was refused with 404 `M_NOT_FOUND`, the answer that
/// does not tell whether the file exists.
fn ensure_not_found(result: matrix_sdk::Result<Vec<u8>>, what: &str) -> Result<()> {
    let error = match result {
        Ok(bytes) => bail!("{what}: the server served {} bytes instead of 404 M_NOT_FOUND", bytes.len()),
        Err(error) => error,
    };
    let api_error =
        error.as_client_api_error().with_context(|| format!("{what}: not a Matrix API error: {error:?}"))?;
    ensure!(
        api_error.status_code == StatusCode::NOT_FOUND
            && matches!(error.client_api_error_kind(), Some(ErrorKind::NotFound)),
        "{what}: expected 404 M_NOT_FOUND, got {} {:?}",
        api_error.status_code,
        api_error.body
    );
    Ok(())
}

/// Bob receives Alice's image in a plaintext room with plain `mxc://` URIs, downloads the image
/// and the thumbnail Alice's client made, byte for byte, and gets scaled and cropped thumbnails
/// the server generates: PNG or JPEG images no smaller than asked for and no larger than the
/// image. Alice, the uploader, reads her file back too.
#[tokio::test]
async fn image_in_plaintext_room_is_downloaded_with_thumbnails() {
    scenario(async |server| {
        let pair = Pair::in_private_room(server).await?;
        let picture = Picture::new();
        let event_id = picture.send(&pair.alice_room()?).await?;

        let received = receive_image(&pair.bob, &pair.room_id, &event_id).await?;
        ensure!(!received.was_encrypted, "{event_id} arrived encrypted in a plaintext room");
        let source = &received.content.source;
        let MediaSource::Plain(uri) = source else { bail!("an encrypted file in a plaintext room: {source:?}") };
        let bytes = download(&pair.bob, source).await.context("bob")?;
        ensure!(bytes == picture.image, "bob downloaded {} bytes that differ from the {} sent", bytes.len(), {
            picture.image.len()
        });
        let thumbnail_source = received.thumbnail_source()?;
        ensure!(matches!(thumbnail_source, MediaSource::Plain(_)), "an encrypted thumbnail: {thumbnail_source:?}");
        let thumbnail = download(&pair.bob, &thumbnail_source).await.context("bob, the client-made thumbnail")?;
        ensure!(thumbnail == picture.thumbnail, "the client-made thumbnail came back different");

        let own = download(&pair.alice, source).await.context("alice, the uploader")?;
        ensure!(own == picture.image, "alice downloaded {} bytes that differ from what she sent", own.len());

        for method in [Method::Scale, Method::Crop] {
            let what = format!("bob asking for a {SERVER_THUMBNAIL_SIDE}px {} thumbnail of {uri}", method.as_str());
            let generated =
                server_thumbnail(&pair.bob, uri, method, SERVER_THUMBNAIL_SIDE).await.context(what.clone())?;
            let (format, width, height) = image_dimensions(&generated).context(what.clone())?;
            // The spec forbids upscaling, and a thumbnail smaller than requested unless the
            // original is; a server may answer with a larger size of its own (for `scale`, Synapse
            // and Rempart both pick their 320x240 size, capped at the image's own 64px).
            let range = SERVER_THUMBNAIL_SIDE..=IMAGE_SIDE;
            ensure!(
                range.contains(&width) && range.contains(&height),
                "{what}: got a {width}x{height} {format} for a {IMAGE_SIDE}x{IMAGE_SIDE} image"
            );
        }
        Ok(())
    })
    .await;
}

/// In a room encrypted by default, the SDK encrypts the attachment and its thumbnail before
/// uploading them and puts the keys in the (encrypted) event's `file` and
/// `info.thumbnail_file`. Bob decrypts the event, downloads both files and decrypts them to the
/// original bytes; the server only ever served him ciphertext of the same length.
#[tokio::test]
async fn encrypted_attachment_is_downloaded_and_decrypted() {
    scenario_with_platform_defaults(async |server| {
        let alice = e2ee_user(server, "alice").await?;
        let bob = e2ee_user(server, "bob").await?;
        let room_id = create_private_room(&alice, "Encrypted files").await?;
        invite_and_join(&alice, &bob, &room_id).await?;
        ensure_encrypted(&room(&alice, &room_id)?).await.context("alice's view")?;
        ensure_encrypted(&room(&bob, &room_id)?).await.context("bob's view")?;

        let picture = Picture::new();
        let event_id = picture.send(&room(&alice, &room_id)?).await?;
        let received = receive_image(&bob, &room_id, &event_id).await?;
        ensure!(received.was_encrypted, "{event_id} arrived unencrypted in an encrypted room");

        for (what, source, original) in [
            ("the image", received.content.source.clone(), &picture.image),
            ("the thumbnail", received.thumbnail_source()?, &picture.thumbnail),
        ] {
            let MediaSource::Encrypted(_) = &source else { bail!("{what} was sent unencrypted: {source:?}") };
            let decrypted = download(&bob, &source).await.with_context(|| format!("bob, {what}"))?;
            ensure!(decrypted == *original, "{what}: bob decrypted {} bytes that differ from the original", {
                decrypted.len()
            });

            let (status, stored) = raw_download(server, Some(&bob), uri_of(&source)).await?;
            ensure!(status == StatusCode::OK, "{what}: bob's raw download answered {status}");
            // AES-CTR keeps the length; different bytes of that length show it is ciphertext.
            ensure!(
                stored.len() == original.len() && stored != *original && !stored.starts_with(PNG_MAGIC),
                "{what}: the server served {} bytes that do not look like the ciphertext of the {}-byte original",
                stored.len(),
                original.len()
            );
        }
        Ok(())
    })
    .await;
}

/// Carol shares no room with Alice. Knowing the exact `mxc://` URIs of Alice's image and of its
/// thumbnail (say, from a leaked event), she gets 404 `M_NOT_FOUND` for the file, for a server
/// thumbnail of it and for the raw authenticated download, while Bob, who is in the room, gets
/// the file. Without a token nobody gets anything.
#[tokio::test]
async fn user_sharing_no_room_cannot_download() {
    scenario(async |server| {
        let pair = Pair::in_private_room(server).await?;
        let carol = new_user(server, "carol").await?;
        let picture = Picture::new();
        let event_id = picture.send(&pair.alice_room()?).await?;
        let received = receive_image(&pair.bob, &pair.room_id, &event_id).await?;
        let source = &received.content.source;
        let MediaSource::Plain(uri) = source else { bail!("an encrypted file in a plaintext room: {source:?}") };
        // The file exists and is readable by a member: a refusal below is the access rule.
        ensure!(download(&pair.bob, source).await.context("bob")? == picture.image, "bob's download differs");

        let (status, body) = raw_download(server, Some(&carol), uri).await?;
        let error: Option<JsonValue> = serde_json::from_slice(&body).ok();
        let errcode = error.as_ref().and_then(|error| error.get("errcode")).and_then(JsonValue::as_str);
        let answer = match &error {
            Some(error) => error.to_string(),
            None if body == picture.image => format!("the image itself ({} bytes)", body.len()),
            None => format!("{} bytes that are not JSON", body.len()),
        };
        ensure!(
            status == StatusCode::NOT_FOUND && errcode == Some("M_NOT_FOUND"),
            "carol's GET /_matrix/client/v1/media/download/{}: expected 404 M_NOT_FOUND, got {status} with {answer}",
            uri.as_str().trim_start_matches("mxc://"),
        );
        ensure_not_found(get_file(&carol, source).await, "carol downloading the image through the SDK")?;
        ensure_not_found(
            server_thumbnail(&carol, uri, Method::Scale, SERVER_THUMBNAIL_SIDE).await,
            "carol asking for a server thumbnail of the image",
        )?;
        let thumbnail_source = received.thumbnail_source()?;
        ensure_not_found(get_file(&carol, &thumbnail_source).await, "carol downloading the client-made thumbnail")?;

        let (status, body) = raw_download(server, None, uri).await?;
        ensure!(
            status == StatusCode::UNAUTHORIZED,
            "a download without a token answered {status} with {} bytes",
            body.len()
        );
        Ok(())
    })
    .await;
}

/// The format (PNG or JPEG, by magic bytes) and the width and height of an image file.
fn image_dimensions(bytes: &[u8]) -> Result<(&'static str, u32, u32)> {
    if bytes.starts_with(PNG_MAGIC) {
        // The IHDR chunk comes first: length and type (8 bytes), then width and height.
        let header = bytes.get(16..24).context("a PNG cut short before its IHDR chunk")?;
        let width = u32::from_be_bytes(header[..4].try_into()?);
        let height = u32::from_be_bytes(header[4..].try_into()?);
        return Ok(("PNG", width, height));
    }
    if bytes.starts_with(JPEG_MAGIC) {
        let (width, height) = jpeg_dimensions(bytes).context("a JPEG without a readable frame header")?;
        return Ok(("JPEG", width, height));
    }
    let start = &bytes[..bytes.len().min(16)];
    bail!("{} bytes that are neither PNG nor JPEG, starting with {start:02x?}", bytes.len())
}

/// Walks the JPEG's marker segments to the first start-of-frame (SOFn), which holds the height
/// and width.
fn jpeg_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    while let Some(segment) = bytes.get(at..at + 9) {
        if segment[0] != 0xff {
            return None;
        }
        let marker = segment[1];
        if marker == 0xff {
            // A fill byte before the marker.
            at += 1;
            continue;
        }
        // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
        if (0xc0..=0xcf).contains(&marker) && ![0xc4, 0xc8, 0xcc].contains(&marker) {
            let height = u16::from_be_bytes([segment[5], segment[6]]);
            let width = u16::from_be_bytes([segment[7], segment[8]]);
            return Some((u32::from(width), u32::from(height)));
        }
        at += 2 + usize::from(u16::from_be_bytes([segment[2], segment[3]]));
    }
    None
}

/// A `width`×`height` 8-bit RGB PNG of a colour gradient, encoded by hand: the e2e crate has no
/// image library, and a PNG whose zlib stream uses uncompressed ("stored") deflate blocks takes a
/// few lines. Any decoder reads it, so the server can thumbnail it.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut pixels = Vec::new();
    for y in 0..height {
        // Each scanline starts with its filter type: 0, none.
        pixels.push(0);
        for x in 0..width {
            pixels.extend([(x * 255 / width) as u8, (y * 255 / height) as u8, 0x80]);
        }
    }

    // zlib header (deflate, 32 KiB window, no dictionary, check bits), stored blocks of at most
    // 65535 bytes each, then the Adler-32 of the uncompressed data.
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = pixels.chunks(usize::from(u16::MAX)).collect();
    for (index, block) in blocks.iter().enumerate() {
        let is_last = index + 1 == blocks.len();
        zlib.push(u8::from(is_last));
        let len = block.len() as u16;
        zlib.extend(len.to_le_bytes());
        zlib.extend((!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    zlib.extend(adler32(&pixels).to_be_bytes());

    let mut header = Vec::new();
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    // Bit depth 8, colour type 2 (RGB), deflate, standard filtering, no interlacing.
    header.extend([8, 2, 0, 0, 0]);

    let mut png = PNG_MAGIC.to_vec();
    for (kind, data) in [(b"IHDR", &header[..]), (b"IDAT", &zlib[..]), (b"IEND", &[][..])] {
        png.extend((data.len() as u32).to_be_bytes());
        let typed = png.len();
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        // The CRC covers the chunk type and data, not the length.
        let crc = crc32(&png[typed..]);
        png.extend(crc.to_be_bytes());
    }
    png
}

/// CRC-32 (ISO-HDLC, the one PNG uses), bit by bit: speed does not matter for a few KiB.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    const MODULUS: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % MODULUS;
        b = (b + a) % MODULUS;
    }
    (b << 16) | a
}
