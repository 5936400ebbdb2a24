use std::io::Cursor;

use image::codecs::gif::GifEncoder;
use image::codecs::webp::WebPEncoder;
use image::{Delay, DynamicImage, Frame, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

use super::{Method, SIZES, Size, ThumbnailError, can_thumbnail, choose_size, thumbnail};

fn size(width: u32, height: u32, method: Method) -> Size {
    Size { width, height, method }
}

fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

/// A photo-like gradient, so that JPEG has something to compress.
fn gradient(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128])))
}

/// Three vertical bands, red, green and blue, of equal width.
fn bands(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, _| match 3 * x / width {
        0 => Rgb([255, 0, 0]),
        1 => Rgb([0, 255, 0]),
        _ => Rgb([0, 0, 255]),
    }))
}

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

/// CRC-32 (ISO-HDLC) as PNG chunks use it, to forge headers that pass the decoder's checks.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A PNG signature and IHDR chunk claiming the given dimensions (8-bit RGBA), then an empty IDAT and IEND.
fn forged_png(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    png
}

#[test]
fn crc32_matches_the_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}

#[test]
fn choose_size_picks_the_smallest_sufficient_size() {
    assert_eq!(choose_size(1, 1, Method::Crop), size(32, 32, Method::Crop));
    assert_eq!(choose_size(32, 32, Method::Crop), size(32, 32, Method::Crop));
    assert_eq!(choose_size(33, 10, Method::Crop), size(96, 96, Method::Crop));
    assert_eq!(choose_size(96, 96, Method::Crop), size(96, 96, Method::Crop));
    assert_eq!(choose_size(500, 500, Method::Crop), size(96, 96, Method::Crop));
    assert_eq!(choose_size(1, 1, Method::Scale), size(320, 240, Method::Scale));
    assert_eq!(choose_size(320, 241, Method::Scale), size(640, 480, Method::Scale));
    assert_eq!(choose_size(641, 100, Method::Scale), size(800, 600, Method::Scale));
    assert_eq!(choose_size(800, 600, Method::Scale), size(800, 600, Method::Scale));
    assert_eq!(choose_size(u32::MAX, u32::MAX, Method::Scale), size(800, 600, Method::Scale));
}

#[test]
fn cache_keys_are_stable_file_names() {
    assert_eq!(size(320, 240, Method::Scale).cache_key(), "320x240-scale");
    assert_eq!(size(32, 32, Method::Crop).cache_key(), "32x32-crop");
    for size in SIZES {
        assert!(size.cache_key().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
    }
}

#[test]
fn thumbnailable_types() {
    for yes in ["image/jpeg", "image/png", "image/gif", "IMAGE/WEBP", "image/png; x=y"] {
        assert!(can_thumbnail(yes), "{yes}");
    }
    for no in ["image/svg+xml", "image/bmp", "image/avif", "text/html", "application/pdf", ""] {
        assert!(!can_thumbnail(no), "{no}");
    }
}

#[test]
fn scale_fits_inside_the_box_keeping_the_aspect_ratio() {
    let png = encode(gradient(1000, 500), ImageFormat::Png);
    let thumb = thumbnail(&png, size(320, 240, Method::Scale)).unwrap();
    assert_eq!(thumb.content_type, "image/png");
    let image = decode(&thumb.bytes);
    assert_eq!((image.width(), image.height()), (320, 160));

    let jpeg = encode(gradient(600, 1200), ImageFormat::Jpeg);
    let thumb = thumbnail(&jpeg, size(640, 480, Method::Scale)).unwrap();
    assert_eq!(thumb.content_type, "image/jpeg");
    let image = decode(&thumb.bytes);
    assert_eq!((image.width(), image.height()), (240, 480));
}

#[test]
fn scale_never_enlarges() {
    let jpeg = encode(gradient(100, 50), ImageFormat::Jpeg);
    let thumb = thumbnail(&jpeg, size(800, 600, Method::Scale)).unwrap();
    assert_eq!(thumb.content_type, "image/jpeg");
    let image = decode(&thumb.bytes);
    assert_eq!((image.width(), image.height()), (100, 50));
}

#[test]
fn crop_fills_the_box_exactly() {
    for (width, height) in [(1000, 500), (500, 1000), (96, 96), (40, 20), (3, 1000)] {
        let jpeg = encode(gradient(width, height), ImageFormat::Jpeg);
        for box_size in [32, 96] {
            let thumb = thumbnail(&jpeg, size(box_size, box_size, Method::Crop)).unwrap();
            assert_eq!(thumb.content_type, "image/jpeg");
            let image = decode(&thumb.bytes);
            assert_eq!((image.width(), image.height()), (box_size, box_size), "{width}x{height}");
        }
    }
}

#[test]
fn crop_keeps_the_centre() {
    let png = encode(bands(300, 100), ImageFormat::Png);
    let thumb = thumbnail(&png, size(32, 32, Method::Crop)).unwrap();
    let image = decode(&thumb.bytes).into_rgb8();
    assert_eq!(image.dimensions(), (32, 32));
    for pixel in image.pixels() {
        assert!(pixel[1] > 200 && pixel[0] < 50 && pixel[2] < 50, "{pixel:?}");
    }
}

#[test]
fn transparency_gives_png() {
    let transparent = DynamicImage::ImageRgba8(RgbaImage::from_pixel(200, 200, Rgba([10, 20, 30, 0])));
    let webp = encode(transparent, ImageFormat::WebP);
    let thumb = thumbnail(&webp, size(96, 96, Method::Crop)).unwrap();
    assert_eq!(thumb.content_type, "image/png");
    let image = decode(&thumb.bytes);
    assert!(image.color().has_alpha());
    assert_eq!(image.into_rgba8().get_pixel(5, 5)[3], 0);
}

#[test]
fn opaque_webp_gives_jpeg() {
    let mut webp = Vec::new();
    gradient(400, 300).write_with_encoder(WebPEncoder::new_lossless(&mut webp)).unwrap();
    let thumb = thumbnail(&webp, size(320, 240, Method::Scale)).unwrap();
    assert_eq!(thumb.content_type, "image/jpeg");
    let image = decode(&thumb.bytes);
    assert_eq!((image.width(), image.height()), (320, 240));
}

#[test]
fn animated_gif_gives_its_first_frame_as_png() {
    let mut gif = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut gif);
        let frame = |colour: [u8; 4]| {
            Frame::from_parts(RgbaImage::from_pixel(64, 64, Rgba(colour)), 0, 0, Delay::from_numer_denom_ms(100, 1))
        };
        encoder.encode_frames([frame([255, 0, 0, 255]), frame([0, 0, 255, 255])]).unwrap();
    }
    let thumb = thumbnail(&gif, size(32, 32, Method::Crop)).unwrap();
    assert_eq!(thumb.content_type, "image/png");
    let image = decode(&thumb.bytes).into_rgb8();
    assert_eq!(image.dimensions(), (32, 32));
    assert_eq!(image.get_pixel(16, 16), &Rgb([255, 0, 0]));
}

#[test]
fn corrupt_images_are_errors() {
    let mut png = encode(gradient(64, 64), ImageFormat::Png);
    png.truncate(png.len() / 2);
    assert!(matches!(thumbnail(&png, size(32, 32, Method::Crop)), Err(ThumbnailError::Undecodable(_))));
    let mut jpeg = encode(gradient(64, 64), ImageFormat::Jpeg);
    jpeg.truncate(20);
    assert!(matches!(thumbnail(&jpeg, size(32, 32, Method::Crop)), Err(ThumbnailError::Undecodable(_))));
    assert!(matches!(thumbnail(b"", size(32, 32, Method::Crop)), Err(ThumbnailError::Undecodable(_))));
    assert!(matches!(thumbnail(b"<html>", size(32, 32, Method::Crop)), Err(ThumbnailError::Undecodable(_))));
}

#[test]
fn other_formats_are_unsupported() {
    let bmp = b"BM\x46\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0\x01\0\0\0\x01\0\0\0\x01\0\x18\0";
    assert!(matches!(thumbnail(bmp, size(32, 32, Method::Crop)), Err(ThumbnailError::Unsupported)));
}

#[test]
fn decompression_bombs_are_refused() {
    // Beyond the dimension limit.
    let bomb = forged_png(100_000, 100_000);
    assert!(matches!(thumbnail(&bomb, size(32, 32, Method::Crop)), Err(ThumbnailError::TooLarge)));
    let wide = forged_png(12_001, 1);
    assert!(matches!(thumbnail(&wide, size(32, 32, Method::Crop)), Err(ThumbnailError::TooLarge)));
    // Within the dimension limit, but 11000 x 11000 x 4 bytes is beyond the memory limit.
    let big = forged_png(11_000, 11_000);
    assert!(matches!(thumbnail(&big, size(32, 32, Method::Crop)), Err(ThumbnailError::TooLarge)));
}

#[test]
fn bad_sizes_are_refused() {
    let png = encode(gradient(10, 10), ImageFormat::Png);
    for (width, height) in [(0, 10), (10, 0), (2_001, 10), (10, u32::MAX)] {
        assert!(matches!(thumbnail(&png, size(width, height, Method::Crop)), Err(ThumbnailError::InvalidSize { .. })));
    }
}
