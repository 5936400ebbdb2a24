//! Thumbnails of uploaded images: which size to make for a request, and making it safely from untrusted bytes.
//!
//! Decoding is bounded by image dimensions and memory so that a small file claiming huge dimensions (a
//! decompression bomb) is refused instead of exhausting memory. Re-encoding also drops metadata such as EXIF
//! location, after applying the EXIF orientation.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, imageops};

/// The largest width or height of a source image that is decoded.
pub const MAX_SOURCE_DIMENSION: u32 = 12_000;

/// The most memory a decoder may allocate for one image.
pub const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;

/// The largest thumbnail width or height [`thumbnail`] makes, well above the recommended sizes.
pub const MAX_THUMBNAIL_DIMENSION: u32 = 2_000;

/// JPEG quality of thumbnails: small files without visible blocking at thumbnail sizes.
const JPEG_QUALITY: u8 = 80;

/// How a thumbnail fits the requested box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Fill the box exactly, cutting off what sticks out.
    Crop,
    /// Fit inside the box, keeping the aspect ratio.
    Scale,
}

impl Method {
    /// The name used in the client-server API's `method` parameter and in cache keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Crop => "crop",
            Method::Scale => "scale",
        }
    }
}

/// A thumbnail size: the box and how to fit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Size {
    /// Width of the box, in pixels.
    pub width: u32,
    /// Height of the box, in pixels.
    pub height: u32,
    /// How the image fits the box.
    pub method: Method,
}

impl Size {
    /// A stable cache key like "320x240-scale" (only `[a-z0-9x-]`, so usable as a file name).
    pub fn cache_key(&self) -> String {
        format!("{}x{}-{}", self.width, self.height, self.method.as_str())
    }
}

/// The sizes generated, as recommended by the Matrix specification, in increasing size within each method.
pub const SIZES: [Size; 5] = [
    Size { width: 32, height: 32, method: Method::Crop },
    Size { width: 96, height: 96, method: Method::Crop },
    Size { width: 320, height: 240, method: Method::Scale },
    Size { width: 640, height: 480, method: Method::Scale },
    Size { width: 800, height: 600, method: Method::Scale },
];

/// The size to generate for a request, from [`SIZES`]: the smallest one of the same method that is at least as
/// large as requested in both dimensions, or the largest of that method if none is. Generating only these
/// sizes bounds the work and the cache per file, whatever clients ask for.
pub fn choose_size(width: u32, height: u32, method: Method) -> Size {
    let mut same_method = SIZES.iter().filter(|size| size.method == method);
    same_method
        .clone()
        .find(|size| size.width >= width && size.height >= height)
        .or_else(|| same_method.next_back())
        .copied()
        .unwrap_or(SIZES[SIZES.len() - 1])
}

/// A generated thumbnail.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    /// The encoded image.
    pub bytes: Vec<u8>,
    /// Its content type: "image/png" or "image/jpeg".
    pub content_type: &'static str,
}

/// Why no thumbnail could be made.
#[derive(Debug, thiserror::Error)]
pub enum ThumbnailError {
    /// The bytes are not an image in a supported format, or are corrupt.
    #[error("the image cannot be decoded: {0}")]
    Undecodable(#[source] ImageError),
    /// The bytes are an image format that is not thumbnailed (only JPEG, PNG, GIF and WebP are).
    #[error("thumbnails are only made of JPEG, PNG, GIF and WebP images")]
    Unsupported,
    /// The image is larger than the decoding limits allow.
    #[error("the image is too large to thumbnail")]
    TooLarge,
    /// The requested size is zero or larger than [`MAX_THUMBNAIL_DIMENSION`].
    #[error("invalid thumbnail size {width}x{height}")]
    InvalidSize {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// The thumbnail could not be encoded.
    #[error("the thumbnail cannot be encoded: {0}")]
    Encoding(#[source] ImageError),
}

impl ThumbnailError {
    /// Classifies a decoding error: limits hit are "too large", anything else is "undecodable".
    fn decoding(error: ImageError) -> Self {
        match error {
            ImageError::Limits(_) => ThumbnailError::TooLarge,
            other => ThumbnailError::Undecodable(other),
        }
    }
}

/// Whether a content type can be thumbnailed at all (JPEG, PNG, GIF, WebP). Compares on the essence.
pub fn can_thumbnail(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    matches!(essence.as_str(), "image/jpeg" | "image/png" | "image/gif" | "image/webp")
}

/// The decoding limits applied to every source image.
fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_DIMENSION);
    limits.max_image_height = Some(MAX_SOURCE_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    limits
}

/// Decodes the first frame of `source`, within [`limits`], upright according to its EXIF orientation.
fn decode(source: &[u8]) -> Result<(DynamicImage, ImageFormat), ThumbnailError> {
    let format = image::guess_format(source).map_err(ThumbnailError::Undecodable)?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP) {
        return Err(ThumbnailError::Unsupported);
    }
    let mut reader = ImageReader::with_format(Cursor::new(source), format);
    let mut limits = limits();
    reader.limits(limits.clone());
    // `into_decoder` checks the dimensions; the output buffer is reserved against the memory limit here, as
    // `ImageReader::decode` would, before anything is allocated for it.
    let mut decoder = reader.into_decoder().map_err(ThumbnailError::decoding)?;
    limits.reserve(decoder.total_bytes()).map_err(ThumbnailError::decoding)?;
    decoder.set_limits(limits).map_err(ThumbnailError::decoding)?;
    // A broken EXIF block is no reason to refuse an otherwise fine image.
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(ThumbnailError::decoding)?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    Ok((image, format))
}

/// Rounds a scaled dimension, never to zero.
fn scaled(dimension: u32, factor: f64) -> u32 {
    ((f64::from(dimension) * factor).round() as u32).max(1)
}

/// Fits the image inside `width` x `height` keeping its aspect ratio; never enlarges.
fn scale(image: DynamicImage, width: u32, height: u32) -> DynamicImage {
    let (source_width, source_height) = (image.width(), image.height());
    if source_width <= width && source_height <= height {
        return image;
    }
    let factor = f64::min(f64::from(width) / f64::from(source_width), f64::from(height) / f64::from(source_height));
    let target_width = scaled(source_width, factor).min(width);
    let target_height = scaled(source_height, factor).min(height);
    image.thumbnail_exact(target_width, target_height)
}

/// Covers exactly `width` x `height`: cuts the centre region of the box's aspect ratio out of the source, then
/// resizes it (enlarging small sources, as a crop thumbnail must have the box's size).
fn crop(image: DynamicImage, width: u32, height: u32) -> DynamicImage {
    let (source_width, source_height) = (image.width(), image.height());
    // Compare aspect ratios without rounding: source_w / source_h against width / height.
    let (region_width, region_height) =
        if u64::from(source_width) * u64::from(height) > u64::from(source_height) * u64::from(width) {
            // Source is wider than the box: keep its full height.
            let region_width = (u64::from(source_height) * u64::from(width) / u64::from(height)) as u32;
            (region_width.clamp(1, source_width), source_height)
        } else {
            let region_height = (u64::from(source_width) * u64::from(height) / u64::from(width)) as u32;
            (source_width, region_height.clamp(1, source_height))
        };
    let x = (source_width - region_width) / 2;
    let y = (source_height - region_height) / 2;
    if (region_width, region_height) == (source_width, source_height) {
        if (source_width, source_height) == (width, height) {
            return image;
        }
        return image.thumbnail_exact(width, height);
    }
    // Resampling through a view avoids copying the region, which can be most of a 256 MiB source. The view reads
    // pixels as 8-bit RGBA, plenty for a thumbnail; `encode` drops the alpha channel again if the source had none.
    let region = imageops::crop_imm(&image, x, y, region_width, region_height);
    DynamicImage::ImageRgba8(imageops::thumbnail(&*region, width, height))
}

/// Encodes the thumbnail: PNG keeps transparency (`alpha`: the source has an alpha channel) and the sharp edges
/// of PNG and GIF images; photographs are far smaller as JPEG.
fn encode(image: DynamicImage, alpha: bool, source_format: ImageFormat) -> Result<Thumbnail, ThumbnailError> {
    let mut bytes = Vec::new();
    if alpha || matches!(source_format, ImageFormat::Png | ImageFormat::Gif) {
        let image = if alpha {
            DynamicImage::ImageRgba8(image.into_rgba8())
        } else {
            DynamicImage::ImageRgb8(image.into_rgb8())
        };
        image.write_with_encoder(PngEncoder::new(&mut bytes)).map_err(ThumbnailError::Encoding)?;
        Ok(Thumbnail { bytes, content_type: "image/png" })
    } else {
        let image = DynamicImage::ImageRgb8(image.into_rgb8());
        image
            .write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY))
            .map_err(ThumbnailError::Encoding)?;
        Ok(Thumbnail { bytes, content_type: "image/jpeg" })
    }
}

/// Generates a thumbnail. Crop: scale to cover the box then centre-crop to exactly width x height. Scale: fit
/// inside the box keeping the aspect ratio, never upscaling (a source that already fits is re-encoded at its own
/// size). Output is PNG for sources with alpha and for PNG or GIF input, JPEG otherwise. Animated input gives
/// its first frame. Decompression bombs and oversized requests are errors, never a panic or a huge allocation.
/// CPU-heavy: run it on a blocking thread.
pub fn thumbnail(source: &[u8], size: Size) -> Result<Thumbnail, ThumbnailError> {
    let Size { width, height, method } = size;
    if width == 0 || height == 0 || width > MAX_THUMBNAIL_DIMENSION || height > MAX_THUMBNAIL_DIMENSION {
        return Err(ThumbnailError::InvalidSize { width, height });
    }
    let (image, format) = decode(source)?;
    let alpha = image.color().has_alpha();
    let image = match method {
        Method::Scale => scale(image, width, height),
        Method::Crop => crop(image, width, height),
    };
    encode(image, alpha, format)
}

#[cfg(test)]
mod tests;
