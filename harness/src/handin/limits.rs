use std::str::FromStr;
use std::sync::OnceLock;

/// Kinds of hand-in file, each with its own byte cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An `MLmodel` file.
    Mlmodel,
    /// A `meta.yaml` of an `mlruns/` store.
    Meta,
    /// A param, tag or alias file of an `mlruns/` store (MLflow caps values at a few KB).
    Value,
    /// A metric history file of an `mlruns/` store (one line per logged step).
    Metric,
    /// A Jupyter notebook (outputs and embedded images included).
    Notebook,
    /// A script, Markdown or text file.
    Text,
    /// A screenshot or other image.
    Image,
    /// An SQLite store (and its journal), when it must be copied to be read.
    Database,
    /// A model artefact read whole (a pickle, weights), e.g. for rescoring.
    Artifact,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Mlmodel,
        Kind::Meta,
        Kind::Value,
        Kind::Metric,
        Kind::Notebook,
        Kind::Text,
        Kind::Image,
        Kind::Database,
        Kind::Artifact,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Mlmodel => "mlmodel",
            Kind::Meta => "meta",
            Kind::Value => "value",
            Kind::Metric => "metric",
            Kind::Notebook => "notebook",
            Kind::Text => "text",
            Kind::Image => "image",
            Kind::Database => "database",
            Kind::Artifact => "artifact",
        }
    }
}

/// Byte caps per kind of file and the YAML nesting limit. The defaults are far above what any
/// honest hand-in holds and far below what exhausts a grading machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    caps: [u64; 9],
    /// Deepest YAML nesting parsed; MLflow's own files nest a handful of levels.
    pub yaml_depth: usize,
    /// Longest one hand-in of a batch may take to grade before the batch moves on without it.
    pub time_per_hand_in: std::time::Duration,
}

const MIB: u64 = 1 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            caps: [
                16 * MIB,   // mlmodel: signatures of wide inputs included
                4 * MIB,    // meta
                4 * MIB,    // value
                256 * MIB,  // metric: per-batch logging over many epochs
                256 * MIB,  // notebook: with embedded plots
                32 * MIB,   // text
                64 * MIB,   // image
                4096 * MIB, // database
                1024 * MIB, // artifact
            ],
            yaml_depth: 100,
            time_per_hand_in: std::time::Duration::from_secs(120),
        }
    }
}

static CONFIGURED: OnceLock<Limits> = OnceLock::new();

impl Limits {
    pub fn cap(&self, kind: Kind) -> u64 {
        self.caps[Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0)]
    }

    pub fn set_cap(&mut self, kind: Kind, bytes: u64) {
        if let Some(i) = Kind::ALL.iter().position(|k| *k == kind) {
            self.caps[i] = bytes;
        }
    }

    /// Applies `KIND=SIZE` settings (`mlmodel=64MiB`, `notebook=1G`), `yaml-depth=N` and
    /// `time=SECONDS` (per hand-in of a batch).
    pub fn with_settings<'a>(
        mut self,
        settings: impl IntoIterator<Item = &'a str>,
    ) -> Result<Limits, String> {
        for setting in settings {
            let (key, value) = setting
                .split_once('=')
                .ok_or_else(|| format!("limit `{setting}` is not KIND=SIZE"))?;
            let key = key.trim().to_ascii_lowercase();
            if key == "time" {
                let v = value.trim().trim_end_matches('s');
                self.time_per_hand_in =
                    std::time::Duration::from_secs(v.parse().map_err(|_| {
                        format!("limit `{setting}`: time takes seconds, like 120s")
                    })?);
                continue;
            }
            if key == "yaml-depth" {
                self.yaml_depth = value
                    .trim()
                    .parse()
                    .map_err(|_| format!("limit `{setting}`: yaml-depth takes a number"))?;
                continue;
            }
            let kind = Kind::ALL
                .into_iter()
                .find(|k| k.name() == key)
                .ok_or_else(|| {
                    let known: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                    format!(
                        "limit `{setting}`: unknown kind `{key}` (known: {}, yaml-depth, time)",
                        known.join(", ")
                    )
                })?;
            self.set_cap(
                kind,
                parse_size(value).map_err(|e| format!("limit `{setting}`: {e}"))?,
            );
        }
        Ok(self)
    }

    /// Makes these the limits of every hand-in read in this process. Reads happen deep inside
    /// store parsing, so the limits are process-wide rather than threaded through every reader;
    /// set once at start-up, before any hand-in is read.
    pub fn install(self) {
        let _ = CONFIGURED.set(self);
    }

    /// The installed limits, or the defaults.
    pub fn current() -> &'static Limits {
        CONFIGURED.get_or_init(Limits::default)
    }
}

/// `123`, `64KiB`, `16MiB`, `1GiB`, `2G`, `500MB` → bytes (K/M/G are powers of 1024 here: caps,
/// not marketing).
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let num = u64::from_str(num).map_err(|_| format!("`{text}` is not a size like 64MiB"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit `{other}` in `{text}`")),
    };
    num.checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too large a size"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("123").unwrap(), 123);
        assert_eq!(parse_size("64KiB").unwrap(), 64 << 10);
        assert_eq!(parse_size("16 MiB").unwrap(), 16 << 20);
        assert_eq!(parse_size("2G").unwrap(), 2 << 30);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5 parsecs").unwrap_err().contains("parsecs"));
    }

    #[test]
    fn settings_name_the_bad_key() {
        let l = Limits::default()
            .with_settings(["mlmodel=1KiB", "yaml-depth=7", "time=5s"])
            .unwrap();
        assert_eq!(l.cap(Kind::Mlmodel), 1024);
        assert_eq!(l.yaml_depth, 7);
        assert_eq!(l.time_per_hand_in, std::time::Duration::from_secs(5));
        assert_eq!(l.cap(Kind::Notebook), Limits::default().cap(Kind::Notebook));
        let err = Limits::default().with_settings(["pickle=1"]).unwrap_err();
        assert!(err.contains("unknown kind `pickle`"), "{err}");
        assert!(Limits::default().with_settings(["mlmodel"]).is_err());
    }
}
