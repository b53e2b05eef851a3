//! Decoded PNG pixels, for the blankness check of UI captures and the thumbnails of hand-in
//! images alike.

/// A PNG's pixels at 8 bits per sample, palettes expanded.
pub(crate) struct Pixels {
    buf: Vec<u8>,
    line_size: usize,
    pub(crate) width: usize,
    pub(crate) height: usize,
    /// Samples per pixel: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA.
    pub(crate) channels: usize,
}

impl Pixels {
    pub(crate) fn decode(png: &[u8]) -> Result<Pixels, String> {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| "PNG too large".to_string())?;
        let mut buf = vec![0u8; size];
        let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
        Ok(Pixels {
            buf,
            line_size: info.line_size,
            width: info.width as usize,
            height: info.height as usize,
            channels: info.color_type.samples(),
        })
    }

    /// The samples of the pixel at column `x`, row `y`.
    pub(crate) fn at(&self, x: usize, y: usize) -> &[u8] {
        let start = y * self.line_size + x * self.channels;
        &self.buf[start..start + self.channels]
    }
}
