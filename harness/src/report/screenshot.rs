//! Screenshots of the MLflow UI for reports: page URLs, and captures checked for blankness.
//!
//! The MLflow UI is a React app that fetches its data after load, so captures use
//! `--virtual-time-budget` to let it settle, and every PNG is checked for blankness (pixel
//! variance) with one retry on a larger budget. The browser itself (finding or installing it,
//! running it) is [`crate::server::browser`].

use super::view::Screenshot;
use super::{ReportError, Result};
pub use crate::server::browser::{BROWSER_NAMES, Browser, BrowserError, strip_credentials};

/// The default time the page may take to render, in virtual milliseconds.
pub const DEFAULT_BUDGET_MS: u64 = 15_000;

/// Below this luma variance a capture counts as blank (a white page with a spinner is ~0–20;
/// the MLflow UI with a table is in the hundreds or more).
pub const BLANK_VARIANCE: f64 = 30.0;

/// `url` fit for an error message.
fn redacted(url: &str) -> String {
    crate::mlflow::redact_str(url)
}

/// Luma variance of a PNG's pixels: ~0 for a blank page, large for a rendered table.
pub fn png_variance(png: &[u8]) -> std::result::Result<f64, String> {
    let pixels = super::png::Pixels::decode(png)?;
    let (mut n, mut sum, mut sum_sq) = (0f64, 0f64, 0f64);
    for y in 0..pixels.height {
        for x in 0..pixels.width {
            let px = pixels.at(x, y);
            let luma = match pixels.channels {
                1 | 2 => f64::from(px[0]),
                _ => 0.299 * f64::from(px[0]) + 0.587 * f64::from(px[1]) + 0.114 * f64::from(px[2]),
            };
            n += 1.0;
            sum += luma;
            sum_sq += luma * luma;
        }
    }
    if n == 0.0 {
        return Err("PNG has no pixels".into());
    }
    let mean = sum / n;
    Ok(sum_sq / n - mean * mean)
}

/// Captures `url`, retrying once with a larger budget when the page is still blank (the React
/// app had not drawn yet).
pub(crate) fn capture(browser: &Browser, url: &str, budget_ms: u64) -> Result<Vec<u8>> {
    let mut budget = budget_ms;
    let mut last = 0.0;
    for _ in 0..2 {
        let png = browser.screenshot(url, budget)?;
        let variance = png_variance(&png).map_err(|message| BrowserError::Run {
            browser: browser.path.clone(),
            url: redacted(url),
            message: format!("not a valid PNG: {message}"),
        })?;
        if variance >= BLANK_VARIANCE {
            return Ok(png);
        }
        last = variance;
        budget = budget.saturating_mul(3);
    }
    Err(ReportError::BlankScreenshot {
        url: redacted(url),
        variance: last,
        budget_ms: budget / 3,
    })
}

/// The MLflow UI's registered-model page (`#/models/<name>`: versions and aliases).
pub fn model_page_url(tracking_uri: &str, model: &str) -> String {
    format!(
        "{}/#/models/{}",
        tracking_uri.trim_end_matches('/'),
        url::form_urlencoded::byte_serialize(model.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    )
}

/// The MLflow UI's runs page of one experiment. `/runs` matters: MLflow 3 opens an experiment
/// without a kind tag on its GenAI trace overview, which shows no runs at all.
pub fn experiment_page_url(tracking_uri: &str, experiment_id: &str) -> String {
    format!(
        "{}/#/experiments/{}/runs",
        tracking_uri.trim_end_matches('/'),
        url::form_urlencoded::byte_serialize(experiment_id.as_bytes()).collect::<String>()
    )
}

/// The two captures the homework asks for: the registered model with its versions and
/// aliases, and the experiment's runs (when its id is known).
pub fn mlflow_ui_screenshots(
    browser: &Browser,
    tracking_uri: &str,
    model: &str,
    experiment_id: Option<&str>,
    budget_ms: u64,
) -> Result<Vec<Screenshot>> {
    let mut shots = vec![Screenshot {
        title: format!("Registered model {model}"),
        png: capture(browser, &model_page_url(tracking_uri, model), budget_ms)?,
    }];
    if let Some(id) = experiment_id {
        shots.push(Screenshot {
            title: format!("Experiment {id} runs"),
            png: capture(browser, &experiment_page_url(tracking_uri, id), budget_ms)?,
        });
    }
    Ok(shots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls_encode_names() {
        assert_eq!(
            model_page_url("http://h:5000/", "wine quality/x"),
            "http://h:5000/#/models/wine%20quality%2Fx"
        );
        assert_eq!(
            experiment_page_url("http://h:5000", "7"),
            "http://h:5000/#/experiments/7/runs"
        );
    }

    #[test]
    fn blank_png_has_no_variance() {
        let mut png_bytes = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut png_bytes, 4, 2);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().unwrap();
            w.write_image_data(&[255u8; 4 * 2 * 3]).unwrap();
        }
        assert_eq!(png_variance(&png_bytes).unwrap(), 0.0);
        assert!(png_variance(b"not a png").is_err());
    }
}
