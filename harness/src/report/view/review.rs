//! The evidence a TA reads beside an item that is still manual: a few code cells chosen by
//! what the item is about, with their outputs, and thumbnails of the hand-in's images.
//!
//! Everything here is the student's text and bytes: templates escape the text, and images
//! become bounded PNG thumbnails (or small JPEG/WebP files as they are) in `data:` URIs.

use std::path::Path;

use base64::Engine as _;
use serde::Serialize;

use crate::grading::evidence::HandInEvidence;
use crate::handin::{CellKind, HandIn, ImageFormat, Kind, Output, image_size};
use crate::task::{RubricItem, TaskSpec};

/// Code cells shown per item.
const CELLS: usize = 3;
/// Lines of a cell's source shown; the rest is counted.
const SOURCE_LINES: usize = 30;
/// Lines of a cell's output shown.
const OUTPUT_LINES: usize = 12;
/// Thumbnails shown per item, and their width in pixels at most.
const THUMBNAILS: usize = 8;
const THUMB_WIDTH: u32 = 320;
/// Images with more pixels than this are not decoded (a decompression bomb stays unopened).
const MAX_PIXELS: u64 = 40_000_000;
/// A JPEG or WebP (not scaled here) is embedded as it is up to this size.
const RAW_IMAGE_BYTES: usize = 200 * 1024;

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct ReviewView {
    pub(crate) cells: Vec<ReviewCell>,
    pub(crate) thumbnails: Vec<Thumbnail>,
    /// Images that could not be shown, with the reason (too large, not an image).
    pub(crate) unshown: Vec<String>,
}

impl ReviewView {
    fn is_empty(&self) -> bool {
        self.cells.is_empty() && self.thumbnails.is_empty() && self.unshown.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ReviewCell {
    /// `homework.ipynb, cell 4 [3]` or the script's path.
    pub(crate) origin: String,
    pub(crate) source: String,
    pub(crate) output: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Thumbnail {
    pub(crate) title: String,
    /// `data:image/png;base64,…`, made here from decoded pixels or a checked image header.
    pub(crate) data_uri: String,
}

/// What an item asks the TA to judge, from its checks and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Topic {
    /// Screenshots: the images.
    Images,
    /// One task's code (code quality of wine or MNIST, loading and testing…).
    TaskCode,
    /// The whole hand-in's organisation: its first cells (the header) and its structure.
    Organisation,
}

fn topic(item: &RubricItem, spec: &TaskSpec) -> Topic {
    let ids: Vec<String> = item.checks.iter().map(|c| c.id()).collect();
    if ids.iter().any(|c| c.starts_with("screenshots")) || item.id.contains("screenshot") {
        Topic::Images
    } else if spec.experiment.is_none() && spec.registered_model.is_none() {
        Topic::Organisation
    } else {
        Topic::TaskCode
    }
}

/// Lowercase words that mark a cell as belonging to `spec`'s task.
fn task_terms(spec: &TaskSpec) -> Vec<String> {
    let mut terms = vec![spec.id.to_lowercase()];
    terms.extend(spec.experiment.iter().map(|e| e.to_lowercase()));
    terms.extend(spec.registered_model.iter().map(|m| m.to_lowercase()));
    for v in &spec.versions {
        terms.extend(
            v.keywords
                .iter()
                .filter(|k| k.len() >= 4)
                .map(|k| k.to_lowercase()),
        );
    }
    terms.sort();
    terms.dedup();
    terms
}

struct Candidate {
    origin: String,
    source: String,
    output: String,
}

fn candidates(e: &HandInEvidence) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (path, nb) in &e.notebooks {
        for (i, cell) in nb.cells.iter().enumerate() {
            if cell.kind != CellKind::Code || cell.source.trim().is_empty() {
                continue;
            }
            let mut output = String::new();
            for o in &cell.outputs {
                match o {
                    Output::Stream { text, .. } => output.push_str(text),
                    Output::Data(d) => {
                        if let Some(t) = &d.text {
                            output.push_str(t);
                            output.push('\n');
                        } else if let Some(h) = &d.html {
                            output.push_str(&crate::handin::html_text(h));
                            output.push('\n');
                        }
                    }
                    Output::Error { ename, evalue, .. } => {
                        output.push_str(&format!("{ename}: {evalue}\n"));
                    }
                    Output::Other(_) => {}
                }
            }
            out.push(Candidate {
                origin: match cell.execution_count {
                    Some(n) => format!("{path}, cell {} [{n}]", i + 1),
                    None => format!("{path}, cell {} (not run)", i + 1),
                },
                source: cell.source.clone(),
                // Logging libraries colour what they print to stderr.
                output: crate::handin::strip_ansi(&output),
            });
        }
    }
    out
}

fn clip(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.trim_end().lines().collect();
    let mut shown: String = all
        .iter()
        .take(lines)
        .map(|l| l.chars().take(160).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n");
    if all.len() > lines {
        shown.push_str(&format!("\n… {} more lines", all.len() - lines));
    }
    shown
}

fn pick_cells(all: Vec<Candidate>, topic: Topic, spec: &TaskSpec) -> Vec<ReviewCell> {
    let mut picked: Vec<(usize, Candidate)> = match topic {
        Topic::Images => Vec::new(),
        Topic::Organisation => all.into_iter().enumerate().take(CELLS).collect(),
        Topic::TaskCode => {
            let terms = task_terms(spec);
            let mut scored: Vec<(usize, usize, Candidate)> = all
                .into_iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let text = c.source.to_lowercase();
                    let hits = terms.iter().filter(|t| text.contains(t.as_str())).count();
                    (hits > 0).then_some((hits * 1000 + c.source.lines().count().min(999), i, c))
                })
                .collect();
            scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            scored
                .into_iter()
                .take(CELLS)
                .map(|(_, i, c)| (i, c))
                .collect()
        }
    };
    picked.sort_by_key(|(i, _)| *i);
    picked
        .into_iter()
        .map(|(_, c)| ReviewCell {
            origin: c.origin,
            source: clip(&c.source, SOURCE_LINES),
            output: clip(&c.output, OUTPUT_LINES),
        })
        .collect()
}

/// A `data:` URI for an image: PNGs scaled down to [`THUMB_WIDTH`] and re-encoded, small
/// JPEGs and WebPs as they are. `Err` says why it is not shown.
pub(crate) fn thumbnail(bytes: &[u8]) -> Result<String, String> {
    let Some(size) = image_size(bytes) else {
        return Err("not a readable PNG, JPEG or WebP".into());
    };
    if u64::from(size.width) * u64::from(size.height) > MAX_PIXELS {
        return Err(format!(
            "{}×{} pixels, too large to show",
            size.width, size.height
        ));
    }
    let b64 = |mime: &str, data: &[u8]| {
        format!(
            "data:{mime};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(data)
        )
    };
    match size.format {
        ImageFormat::Png => scaled_png(bytes).map(|png| b64("image/png", &png)),
        ImageFormat::Jpeg | ImageFormat::Webp if bytes.len() <= RAW_IMAGE_BYTES => Ok(b64(
            if size.format == ImageFormat::Jpeg {
                "image/jpeg"
            } else {
                "image/webp"
            },
            bytes,
        )),
        _ => Err(format!(
            "{} KiB, too large to show (open the file)",
            bytes.len() / 1024
        )),
    }
}

/// Decodes a PNG to RGBA, averages it down to at most [`THUMB_WIDTH`] wide, encodes it again.
fn scaled_png(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let pixels = crate::report::png::Pixels::decode(bytes)?;
    let (w, h) = (pixels.width, pixels.height);
    let rgba = |x: usize, y: usize| -> [u32; 4] {
        let p = pixels.at(x, y);
        match pixels.channels {
            1 => [p[0].into(), p[0].into(), p[0].into(), 255],
            2 => [p[0].into(), p[0].into(), p[0].into(), p[1].into()],
            3 => [p[0].into(), p[1].into(), p[2].into(), 255],
            _ => [p[0].into(), p[1].into(), p[2].into(), p[3].into()],
        }
    };
    let factor = w.div_ceil(THUMB_WIDTH as usize).max(1);
    let (tw, th) = (w.div_ceil(factor).max(1), h.div_ceil(factor).max(1));
    let mut out = Vec::with_capacity(tw * th * 4);
    for ty in 0..th {
        for tx in 0..tw {
            let mut sum = [0u32; 4];
            let mut n = 0u32;
            for y in ty * factor..((ty + 1) * factor).min(h) {
                for x in tx * factor..((tx + 1) * factor).min(w) {
                    let p = rgba(x, y);
                    for c in 0..4 {
                        sum[c] += p[c];
                    }
                    n += 1;
                }
            }
            out.extend(sum.iter().map(|s| (s / n.max(1)) as u8));
        }
    }
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, tw as u32, th as u32);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&out).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(png_bytes)
}

fn images(e: &HandInEvidence, root: Option<&Path>) -> (Vec<Thumbnail>, Vec<String>) {
    let mut shown = Vec::new();
    let mut unshown = Vec::new();
    let mut add = |title: String, bytes: Result<&[u8], String>| {
        let result = bytes.and_then(|b| {
            if shown.len() >= THUMBNAILS {
                Err(format!("not shown (at most {THUMBNAILS} here)"))
            } else {
                thumbnail(b)
            }
        });
        match result {
            Ok(data_uri) => shown.push(Thumbnail { title, data_uri }),
            Err(why) => unshown.push(format!("{title}: {why}")),
        }
    };
    // Files first: screenshots are handed in as files more often than embedded.
    let hand_in = root.and_then(|r| HandIn::new(r).ok());
    for img in &e.inventory.images {
        match hand_in
            .as_ref()
            .map(|h| h.read_bytes(Path::new(&img.file.path), Kind::Image))
        {
            Some(Ok(bytes)) => add(img.file.path.clone(), Ok(&bytes)),
            Some(Err(err)) => add(img.file.path.clone(), Err(err.to_string())),
            None => add(
                img.file.path.clone(),
                Err("the hand-in folder is not at hand".into()),
            ),
        }
    }
    for (path, nb) in &e.notebooks {
        for (i, cell) in nb.cells.iter().enumerate() {
            let embedded = cell
                .outputs
                .iter()
                .filter_map(|o| match o {
                    Output::Data(d) => Some(d.images.iter()),
                    _ => None,
                })
                .flatten()
                .map(|img| (format!("{path}, output of cell {}", i + 1), img))
                .chain(
                    cell.attachments
                        .iter()
                        .map(|a| (format!("{path}, {} in cell {}", a.name, i + 1), &a.image)),
                );
            for (title, img) in embedded {
                if img.data.is_empty() {
                    add(title, Err("not kept (undecodable or over 2 MiB)".into()));
                } else {
                    add(title, Ok(&img.data));
                }
            }
        }
    }
    (shown, unshown)
}

/// The evidence beside `item` when part of it is still the TA's; `None` when nothing of the
/// hand-in bears on it (or there is no hand-in).
pub(crate) fn review(
    item: &RubricItem,
    spec: &TaskSpec,
    e: &HandInEvidence,
    root: Option<&Path>,
) -> Option<ReviewView> {
    let topic = topic(item, spec);
    let mut view = ReviewView {
        cells: pick_cells(candidates(e), topic, spec),
        ..ReviewView::default()
    };
    if topic == Topic::Images {
        (view.thumbnails, view.unshown) = images(e, root);
    }
    (!view.is_empty()).then_some(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().unwrap();
        let data: Vec<u8> = (0..w * h * 3).map(|i| (i % 251) as u8).collect();
        wr.write_image_data(&data).unwrap();
        wr.finish().unwrap();
        out
    }

    #[test]
    fn thumbnails_are_small_pngs_and_bad_bytes_are_named() {
        let uri = thumbnail(&png(1280, 800)).unwrap();
        let b64 = uri.strip_prefix("data:image/png;base64,").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let size = image_size(&bytes).unwrap();
        assert_eq!((size.width, size.height), (320, 200));
        let small = thumbnail(&png(40, 30)).unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(small.strip_prefix("data:image/png;base64,").unwrap())
            .unwrap();
        assert_eq!(image_size(&bytes).map(|s| s.width), Some(40));
        assert!(
            thumbnail(b"<script>alert(1)</script>")
                .unwrap_err()
                .contains("not a readable")
        );
        // A header that claims a huge image is not decoded.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(thumbnail(&bomb).unwrap_err().contains("too large"));
    }

    #[test]
    fn long_text_is_clipped_with_a_count() {
        let text: String = (0..50).map(|i| format!("line {i}\n")).collect();
        let c = clip(&text, 12);
        assert_eq!(c.lines().count(), 13);
        assert!(c.ends_with("… 38 more lines"), "{c}");
    }
}
