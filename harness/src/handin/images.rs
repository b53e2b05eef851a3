//! Pixel dimensions from the headers of PNG, JPEG and WebP files, without decoding them: enough
//! to tell a screenshot of the MLflow UI from a thumbnail or a broken file.

/// The formats whose headers are understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
    Webp,
}

impl ImageFormat {
    /// The format a file name promises (`.png`, `.jpg`, `.jpeg`, `.webp`, any case).
    pub fn from_name(name: &str) -> Option<ImageFormat> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "png" => Some(ImageFormat::Png),
            "jpg" | "jpeg" => Some(ImageFormat::Jpeg),
            "webp" => Some(ImageFormat::Webp),
            _ => None,
        }
    }
}

/// What an image's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageSize {
    /// The format found in the bytes, which may differ from the file's extension.
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
}

/// The format and pixel dimensions of an image, from its first bytes; `None` when the bytes are
/// none of the known formats or the header is cut short.
pub fn image_size(bytes: &[u8]) -> Option<ImageSize> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png(bytes)
    } else if bytes.starts_with(&[0xff, 0xd8]) {
        jpeg(bytes)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        webp(bytes)
    } else {
        None
    }
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

fn png(b: &[u8]) -> Option<ImageSize> {
    // The PNG specification requires IHDR to be the first chunk.
    if b.get(12..16)? != b"IHDR" {
        return None;
    }
    let width = u32::from_be_bytes(b.get(16..20)?.try_into().ok()?);
    let height = u32::from_be_bytes(b.get(20..24)?.try_into().ok()?);
    Some(ImageSize {
        format: ImageFormat::Png,
        width,
        height,
    })
}

fn jpeg(b: &[u8]) -> Option<ImageSize> {
    let mut i = 2;
    // Every step advances by at least two bytes, so the walk ends on any input.
    while i + 1 < b.len() {
        if b[i] != 0xff {
            return None;
        }
        let marker = b[i + 1];
        match marker {
            // Fill bytes before a marker.
            0xff => {
                i += 1;
                continue;
            }
            // Markers without a length: TEM, RSTn, SOI.
            0x01 | 0xd0..=0xd8 => {
                i += 2;
                continue;
            }
            // End of image or start of scan before any frame header: no dimensions to find.
            0xd9 | 0xda => return None,
            _ => {}
        }
        let len = be16(b, i + 2)? as usize;
        if len < 2 {
            return None;
        }
        // SOF0..SOF15 carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
        if (0xc0..=0xcf).contains(&marker) && !matches!(marker, 0xc4 | 0xc8 | 0xcc) {
            let height = be16(b, i + 5)?;
            let width = be16(b, i + 7)?;
            return Some(ImageSize {
                format: ImageFormat::Jpeg,
                width,
                height,
            });
        }
        i += 2 + len;
    }
    None
}

fn webp(b: &[u8]) -> Option<ImageSize> {
    let (width, height) = match b.get(12..16)? {
        // Lossy: a key frame's start code, then 14-bit width and height.
        b"VP8 " => {
            if b.get(23..26)? != [0x9d, 0x01, 0x2a] {
                return None;
            }
            (le16(b, 26)? & 0x3fff, le16(b, 28)? & 0x3fff)
        }
        // Lossless: a signature byte, then width-1 and height-1 in 14 bits each.
        b"VP8L" => {
            if *b.get(20)? != 0x2f {
                return None;
            }
            let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
            ((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1)
        }
        // Extended: the canvas size, 24-bit width-1 and height-1.
        b"VP8X" => (le24(b, 24)? + 1, le24(b, 27)? + 1),
        _ => return None,
    };
    Some(ImageSize {
        format: ImageFormat::Webp,
        width,
        height,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A real PNG of the given size, written by the `png` crate.
    pub(crate) fn png_bytes(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, width, height);
            enc.set_color(png::ColorType::Grayscale);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().unwrap();
            w.write_image_data(&vec![0u8; (width * height) as usize])
                .unwrap();
        }
        out
    }

    /// The start of a baseline JPEG with an APP0 segment before the frame header, as cameras and
    /// browsers write them.
    pub(crate) fn jpeg_bytes(width: u16, height: u16) -> Vec<u8> {
        let mut b = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10];
        b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        // DQT segment, as written before the frame header.
        b.extend_from_slice(&[0xff, 0xdb, 0x00, 0x04, 0x00, 0x00]);
        b.extend_from_slice(&[0xff, 0xc0, 0x00, 0x11, 0x08]);
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&width.to_be_bytes());
        b.extend_from_slice(&[0x03; 10]);
        b.extend_from_slice(&[0xff, 0xd9]);
        b
    }

    fn riff(chunk: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut b = b"RIFF\0\0\0\0WEBP".to_vec();
        b.extend_from_slice(chunk);
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn png_dimensions_come_from_ihdr() {
        let s = image_size(&png_bytes(37, 5)).unwrap();
        assert_eq!((s.format, s.width, s.height), (ImageFormat::Png, 37, 5));
        assert_eq!(image_size(&png_bytes(37, 5)[..20]), None);
    }

    #[test]
    fn jpeg_dimensions_come_from_the_frame_header_after_other_segments() {
        let s = image_size(&jpeg_bytes(1920, 1080)).unwrap();
        assert_eq!(
            (s.format, s.width, s.height),
            (ImageFormat::Jpeg, 1920, 1080)
        );
        // A progressive frame header (SOF2) counts too; a Huffman table (C4) does not.
        let mut b = jpeg_bytes(640, 480);
        let sof = b.iter().position(|&x| x == 0xc0).unwrap();
        b[sof] = 0xc2;
        assert_eq!(image_size(&b).unwrap().width, 640);
        b[sof] = 0xc4;
        assert_eq!(image_size(&b), None);
        assert_eq!(image_size(&[0xff, 0xd8, 0xff]), None);
    }

    #[test]
    fn webp_dimensions_for_each_flavour() {
        let mut lossy = vec![0x30, 0x01, 0x00, 0x9d, 0x01, 0x2a];
        lossy.extend_from_slice(&800u16.to_le_bytes());
        lossy.extend_from_slice(&600u16.to_le_bytes());
        let s = image_size(&riff(b"VP8 ", &lossy)).unwrap();
        assert_eq!((s.format, s.width, s.height), (ImageFormat::Webp, 800, 600));

        let (w, h) = (1280u32, 720u32);
        let bits = (w - 1) | (h - 1) << 14;
        let mut lossless = vec![0x2f];
        lossless.extend_from_slice(&bits.to_le_bytes());
        let s = image_size(&riff(b"VP8L", &lossless)).unwrap();
        assert_eq!((s.width, s.height), (1280, 720));

        let mut ext = vec![0x10, 0, 0, 0];
        ext.extend_from_slice(&(3000u32 - 1).to_le_bytes()[..3]);
        ext.extend_from_slice(&(2000u32 - 1).to_le_bytes()[..3]);
        let s = image_size(&riff(b"VP8X", &ext)).unwrap();
        assert_eq!((s.width, s.height), (3000, 2000));
    }

    #[test]
    fn extensions_name_formats() {
        assert_eq!(ImageFormat::from_name("a/B.JPEG"), Some(ImageFormat::Jpeg));
        assert_eq!(ImageFormat::from_name("x.webp"), Some(ImageFormat::Webp));
        assert_eq!(ImageFormat::from_name("png"), None);
        assert_eq!(image_size(b"GIF89a"), None);
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..64),
                                           head in 0usize..4) {
            let mut bytes = [
                b"\x89PNG\r\n\x1a\n".to_vec(),
                vec![0xff, 0xd8],
                b"RIFF\0\0\0\0WEBP".to_vec(),
                Vec::new(),
            ][head].clone();
            bytes.extend(b);
            let _ = image_size(&bytes);
        }
    }
}
