//! The two images exercise 1 logs: `training_history.png` (loss and accuracy per epoch, train
//! and validation) and `confusion_matrix.png` (test rows), and a regressor's
//! `predicted_vs_actual.png`, drawn with plotters into a bitmap and encoded with `png`. Text uses an embedded DejaVu Sans, so no system font library is needed.

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use super::error::ExperimentError;
use super::trainer::EpochRecord;

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

fn register_font() {
    static ONCE: Once = Once::new();
    // A font that fails to parse leaves plotters without text; the chart errors then say so.
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

fn chart_error(chart: &'static str) -> impl Fn(String) -> ExperimentError {
    move |message| ExperimentError::Chart { chart, message }
}

/// RGB pixels → PNG bytes.
fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// Loss (left) and accuracy (right) per epoch, train and validation, the kept epoch marked.
///
/// # Errors
/// [`ExperimentError::Chart`] when drawing fails.
pub fn training_history(
    history: &[EpochRecord],
    best_epoch: usize,
) -> Result<Vec<u8>, ExperimentError> {
    const SIZE: (u32, u32) = (1200, 500);
    register_font();
    let err = chart_error("training_history.png");
    let mut rgb = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let (left, right) = root.split_horizontally(SIZE.0 / 2);
        let last = history.len().saturating_sub(1).max(1) as f64;
        type Pick = fn(&EpochRecord) -> (f64, f64);
        let panels: [(&DrawingArea<_, _>, &str, Pick); 2] = [
            (&left, "Loss", |r| (r.train_loss, r.val_loss)),
            (&right, "Accuracy", |r| (r.train_accuracy, r.val_accuracy)),
        ];
        for (area, title, pick) in panels {
            let values: Vec<f64> = history
                .iter()
                .flat_map(|r| {
                    let (a, b) = pick(r);
                    [a, b]
                })
                .filter(|v| v.is_finite())
                .collect();
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let (lo, hi) = if lo.is_finite() && hi > lo {
                let pad = (hi - lo) * 0.08;
                (lo - pad, hi + pad)
            } else if lo.is_finite() {
                (lo - 0.5, lo + 0.5)
            } else {
                (0.0, 1.0)
            };
            let mut chart = ChartBuilder::on(area)
                .caption(title, (FAMILY, 26))
                .margin(15)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(0f64..last, lo..hi)
                .map_err(|e| err(e.to_string()))?;
            chart
                .configure_mesh()
                .x_desc("epoch")
                .label_style((FAMILY, 15))
                .draw()
                .map_err(|e| err(e.to_string()))?;
            for (name, color, side) in [("train", BLUE, 0), ("validation", RED, 1)] {
                let points: Vec<(f64, f64)> = history
                    .iter()
                    .map(|r| {
                        let (a, b) = pick(r);
                        (r.epoch as f64, if side == 0 { a } else { b })
                    })
                    .filter(|(_, v)| v.is_finite())
                    .collect();
                chart
                    .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                    .map_err(|e| err(e.to_string()))?
                    .label(name)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                    });
                chart
                    .draw_series(
                        points
                            .into_iter()
                            .map(|p| Circle::new(p, 3, color.filled())),
                    )
                    .map_err(|e| err(e.to_string()))?;
            }
            if let Some(best) = history.get(best_epoch) {
                let x = best.epoch as f64;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x, lo), (x, hi)],
                        BLACK.mix(0.4).stroke_width(1),
                    )))
                    .map_err(|e| err(e.to_string()))?
                    .label(format!("kept (epoch {})", best.epoch))
                    .legend(|(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.4).stroke_width(1))
                    });
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .label_font((FAMILY, 15))
                .draw()
                .map_err(|e| err(e.to_string()))?;
        }
        root.present().map_err(|e| err(e.to_string()))?;
    }
    encode_png(&rgb, SIZE).map_err(err)
}

/// Counts of true (rows) × predicted (columns) classes, shaded by the share of each true class.
///
/// # Errors
/// [`ExperimentError::Chart`] when drawing fails.
pub fn confusion_matrix(
    matrix: &[Vec<usize>],
    class_names: &[String],
) -> Result<Vec<u8>, ExperimentError> {
    const SIZE: (u32, u32) = (700, 640);
    register_font();
    let err = chart_error("confusion_matrix.png");
    let n = matrix.len().max(1);
    let mut rgb = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let names: Vec<String> = (0..n)
            .map(|i| class_names.get(i).cloned().unwrap_or_else(|| i.to_string()))
            .collect();
        let label = {
            let names = names.clone();
            move |v: &f64| {
                let i = v.floor();
                if i >= 0.0 && (i as usize) < names.len() && (v - i - 0.5).abs() < 1e-9 {
                    names[i as usize].clone()
                } else {
                    String::new()
                }
            }
        };
        let mut chart = ChartBuilder::on(&root)
            .caption("Confusion matrix (test)", (FAMILY, 26))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d(0f64..n as f64, n as f64..0f64)
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(2 * n + 1)
            .y_labels(2 * n + 1)
            .x_label_formatter(&label)
            .y_label_formatter(&label)
            .x_desc("predicted")
            .y_desc("true")
            .label_style((FAMILY, 15))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        for (r, row) in matrix.iter().enumerate() {
            let total = row.iter().sum::<usize>().max(1) as f64;
            for (c, &count) in row.iter().enumerate() {
                let share = count as f64 / total;
                let shade = (255.0 * (1.0 - 0.85 * share)) as u8;
                let fill = RGBColor(shade, shade, 255);
                let (x, y) = (c as f64, r as f64);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x, y), (x + 1.0, y + 1.0)],
                        fill.filled(),
                    )))
                    .map_err(|e| err(e.to_string()))?;
                let text_color = if share > 0.55 { &WHITE } else { &BLACK };
                let font_size = if n > 12 { 11 } else { 20 };
                let style = TextStyle::from((FAMILY, font_size).into_font())
                    .color(text_color)
                    .pos(plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Center,
                        plotters::style::text_anchor::VPos::Center,
                    ));
                chart
                    .draw_series(std::iter::once(Text::new(
                        count.to_string(),
                        (x + 0.5, y + 0.5),
                        style,
                    )))
                    .map_err(|e| err(e.to_string()))?;
            }
        }
        root.present().map_err(|e| err(e.to_string()))?;
    }
    encode_png(&rgb, SIZE).map_err(err)
}

/// A regressor's test rows: predicted (y) against actual (x) values, with the line where they
/// would be equal.
///
/// # Errors
/// [`ExperimentError::Chart`] when drawing fails.
pub fn predicted_vs_actual(
    actual: &[f64],
    predicted: &[f64],
    target_name: &str,
) -> Result<Vec<u8>, ExperimentError> {
    const SIZE: (u32, u32) = (700, 640);
    register_font();
    let err = chart_error("predicted_vs_actual.png");
    let all = actual.iter().chain(predicted).copied();
    let lo = all.clone().fold(f64::INFINITY, f64::min);
    let hi = all.fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi > lo {
        let pad = (hi - lo) * 0.05;
        (lo - pad, hi + pad)
    } else {
        (0.0, 1.0)
    };
    let mut rgb = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Predicted vs actual (test)", (FAMILY, 26))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(lo..hi, lo..hi)
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc(format!("actual {target_name}"))
            .y_desc(format!("predicted {target_name}"))
            .label_style((FAMILY, 15))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        chart
            .draw_series(LineSeries::new([(lo, lo), (hi, hi)], BLACK.mix(0.5)))
            .map_err(|e| err(e.to_string()))?;
        chart
            .draw_series(
                actual
                    .iter()
                    .zip(predicted)
                    .map(|(&a, &p)| Circle::new((a, p), 4, BLUE.mix(0.6).filled())),
            )
            .map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    encode_png(&rgb, SIZE).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicted_vs_actual_draws_points_off_white() {
        let png = predicted_vs_actual(&[1.0, 2.0, 3.0], &[1.5, 2.0, 2.5], "y").unwrap();
        let (w, h, pixels) = decode(&png);
        assert_eq!((w, h), (700, 640));
        let blueish = pixels
            .chunks(3)
            .filter(|p| p[2] > 150 && p[0] < 150 && p[1] < 150)
            .count();
        assert!(blueish > 50, "{blueish} blue pixels");
        // A constant series still draws (no empty range).
        assert!(predicted_vs_actual(&[2.0], &[2.0], "y").is_ok());
    }

    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        (info.width, info.height, buf)
    }

    #[test]
    fn charts_are_pngs_with_something_drawn() {
        let history: Vec<EpochRecord> = (0..5)
            .map(|e| EpochRecord {
                epoch: e,
                train_loss: 1.0 / (e as f64 + 1.0),
                train_accuracy: 0.5 + 0.1 * e as f64,
                val_loss: 1.2 / (e as f64 + 1.0),
                val_accuracy: 0.45 + 0.09 * e as f64,
            })
            .collect();
        let png = training_history(&history, 4).unwrap();
        let (w, h, pixels) = decode(&png);
        assert_eq!((w, h), (1200, 500));
        // Blue (train) and red (validation) lines are there.
        let has = |r: u8, g: u8, b: u8| pixels.chunks(3).any(|p| p == [r, g, b]);
        assert!(has(0, 0, 255) && has(255, 0, 0));
        if std::env::var_os("HARNESS_KEEP_CHARTS").is_some() {
            std::fs::write("/tmp/training_history.png", &png).unwrap();
        }

        let matrix = vec![vec![9, 1, 0], vec![0, 8, 2], vec![0, 0, 7]];
        let names = ["class_0", "class_1", "class_2"].map(String::from);
        let png = confusion_matrix(&matrix, &names).unwrap();
        let (w, h, pixels) = decode(&png);
        assert_eq!((w, h), (700, 640));
        assert!(
            pixels
                .chunks(3)
                .filter(|p| p[2] == 255 && p[0] < 200)
                .count()
                > 1000
        );
        if std::env::var_os("HARNESS_KEEP_CHARTS").is_some() {
            std::fs::write("/tmp/confusion_matrix.png", &png).unwrap();
        }
    }
}
