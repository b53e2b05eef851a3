//! Progress on standard error for long steps; silent with `--quiet` or when not a terminal.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A spinner or bar that is a no-op when hidden, so library code can always report progress.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A spinner on stderr (drawn only when stderr is a terminal).
    pub(crate) fn spinner(quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new_spinner()
        };
        bar.set_draw_target(if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        });
        bar.set_style(spinner_style());
        bar.enable_steady_tick(Duration::from_millis(120));
        Self { bar }
    }

    /// Turns this indicator (a [`Self::spinner`]) into a bar of `len` steps labelled `prefix`,
    /// e.g. one model's epochs; [`Self::spin`] turns it back. One indicator on the terminal at a
    /// time, so a bar never fights a spinner's ticks.
    pub(crate) fn start_bar(&self, len: u64, prefix: impl Into<String>) {
        self.bar.set_style(bar_style());
        self.bar.set_length(len);
        self.bar.set_position(0);
        self.bar.set_prefix(prefix.into());
        self.bar.set_message("");
        self.bar.reset_elapsed();
    }

    /// Back to a spinner after [`Self::start_bar`].
    pub(crate) fn spin(&self) {
        self.bar.set_style(spinner_style());
        self.bar.set_prefix("");
    }

    pub fn hidden() -> Self {
        Self {
            bar: ProgressBar::hidden(),
        }
    }

    pub(crate) fn set_message(&self, msg: impl Into<String>) {
        self.bar.set_message(msg.into());
    }

    pub(crate) fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Prints a line above the indicator (nothing when it is hidden).
    pub(crate) fn println(&self, line: impl AsRef<str>) {
        if self.bar.is_hidden() {
            return;
        }
        self.bar.println(line.as_ref());
    }

    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:>14} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}
