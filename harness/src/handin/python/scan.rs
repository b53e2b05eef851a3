//! What a string literal gives away: credentials and paths that only exist on the student's
//! machine. Plain byte scans, no regular expressions: literals are short and the patterns fixed.

use serde::Serialize;

/// Why a literal was taken for a credential. The value itself is never kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    GitHubToken,
    HuggingFaceToken,
    OpenAiKey,
    AwsAccessKey,
    SlackToken,
    PrivateKey,
    /// `scheme://user:password@host`, e.g. a tracking URI with a password in it.
    UrlCredentials,
    /// A non-empty literal given to a name like `API_TOKEN`, `password=` or `{"secret": …}`.
    NamedSecret,
}

/// Token prefixes, the characters that may follow, and how many of them make a token.
type TokenShape = (&'static str, SecretKind, fn(u8) -> bool, usize);

const PREFIXES: &[TokenShape] = &[
    ("ghp_", SecretKind::GitHubToken, alnum, 20),
    ("gho_", SecretKind::GitHubToken, alnum, 20),
    ("ghu_", SecretKind::GitHubToken, alnum, 20),
    ("ghs_", SecretKind::GitHubToken, alnum, 20),
    ("ghr_", SecretKind::GitHubToken, alnum, 20),
    ("github_pat_", SecretKind::GitHubToken, alnum_underscore, 20),
    ("hf_", SecretKind::HuggingFaceToken, alnum, 30),
    ("sk-", SecretKind::OpenAiKey, alnum_dash_underscore, 20),
    ("AKIA", SecretKind::AwsAccessKey, upper_digit, 16),
    ("ASIA", SecretKind::AwsAccessKey, upper_digit, 16),
    ("xoxb-", SecretKind::SlackToken, alnum_dash, 10),
    ("xoxp-", SecretKind::SlackToken, alnum_dash, 10),
];

fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}
fn alnum_underscore(b: u8) -> bool {
    alnum(b) || b == b'_'
}
fn alnum_dash(b: u8) -> bool {
    alnum(b) || b == b'-'
}
fn alnum_dash_underscore(b: u8) -> bool {
    alnum_dash(b) || b == b'_'
}
fn upper_digit(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}

/// The kind of credential a literal contains, if any.
pub(super) fn secret_in(text: &str) -> Option<SecretKind> {
    let bytes = text.as_bytes();
    for &(prefix, kind, body, min) in PREFIXES {
        let mut from = 0;
        while let Some(pos) = text.get(from..).and_then(|t| t.find(prefix)) {
            let start = from + pos;
            // `task-…` must not read as `sk-…`: a prefix starts a word.
            let starts_word = start == 0 || !alnum_underscore(bytes[start - 1]);
            let run = bytes[start + prefix.len()..]
                .iter()
                .take_while(|b| body(**b))
                .count();
            if starts_word && run >= min {
                return Some(kind);
            }
            from = start + prefix.len();
        }
    }
    if text.contains("-----BEGIN") && text.contains("PRIVATE KEY") {
        return Some(SecretKind::PrivateKey);
    }
    if url_has_password(text) {
        return Some(SecretKind::UrlCredentials);
    }
    None
}

fn url_has_password(text: &str) -> bool {
    let Some((_, rest)) = text.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let Some((userinfo, _host)) = authority.rsplit_once('@') else {
        return false;
    };
    // `{user}:{password}` filled in at run time is what students should do.
    userinfo
        .split_once(':')
        .is_some_and(|(user, pw)| !user.is_empty() && !pw.is_empty() && !pw.contains('{'))
}

/// Whether a variable, keyword or dict key names a credential: `HF_TOKEN`, `apiKey`,
/// `mlflow_tracking_password`, `secret`; not `tokenizer` or `max_tokens`.
pub(super) fn is_secret_name(name: &str) -> bool {
    let words = words(name);
    let single = [
        "token",
        "password",
        "passwd",
        "pwd",
        "secret",
        "apikey",
        "credential",
        "credentials",
    ];
    let pairs = [
        ("api", "key"),
        ("access", "key"),
        ("private", "key"),
        ("auth", "key"),
    ];
    words.iter().any(|w| single.contains(&w.as_str()))
        || words
            .windows(2)
            .any(|p| pairs.contains(&(p[0].as_str(), p[1].as_str())))
}

/// Lower-case words of an identifier split at `_`, `-`, `.`, spaces and camelCase humps
/// (`wine-v1-DT` → wine, v1, dt). The checks split names the same way.
pub(crate) fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Folders that exist only on one person's machine (or one hosted notebook service).
const UNIX_ROOTS: &[&str] = &[
    "/home/",
    "/Users/",
    "/root/",
    "/mnt/",
    "/media/",
    "/Volumes/",
    "/content/",
    "/kaggle/",
    "/workspace/",
    "/tmp/",
    "/opt/",
    "/data/",
    "/var/",
    "/srv/",
];

/// Whether a literal is a hard-coded absolute path (`file:` URIs included).
pub(super) fn is_absolute_path(text: &str) -> bool {
    let t = text.trim();
    let t = match t.strip_prefix("file://") {
        // `file:///C:/Users/…` names a Windows drive after the third slash.
        Some(rest) if rest.len() > 2 && rest.as_bytes()[2] == b':' => &rest[1..],
        Some(rest) => rest,
        None => t,
    };
    let b = t.as_bytes();
    let windows_drive =
        b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/');
    let unc = t.starts_with("\\\\") && t.len() > 2 && !t.contains(' ');
    windows_drive
        || unc
        || UNIX_ROOTS
            .iter()
            .any(|r| t.starts_with(r) && t.len() > r.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_patterns() {
        assert_eq!(
            secret_in("ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
            Some(SecretKind::GitHubToken)
        );
        assert_eq!(
            secret_in("Bearer hf_abcdefghijklmnopqrstuvwxyzABCDEFGH"),
            Some(SecretKind::HuggingFaceToken)
        );
        assert_eq!(
            secret_in("sk-proj-abcdefghijklmnopqrstuv"),
            Some(SecretKind::OpenAiKey)
        );
        assert_eq!(
            secret_in("AKIAIOSFODNN7EXAMPLE"),
            Some(SecretKind::AwsAccessKey)
        );
        assert_eq!(
            secret_in("http://alice:hunter2@mlflow.example.com:5000"),
            Some(SecretKind::UrlCredentials)
        );
        assert_eq!(
            secret_in("-----BEGIN RSA PRIVATE KEY-----\nabc"),
            Some(SecretKind::PrivateKey)
        );
        // Near misses.
        assert_eq!(secret_in("mask-rcnn-resnet50-fpn-coco-weights"), None);
        assert_eq!(secret_in("hf_short"), None);
        assert_eq!(secret_in("http://127.0.0.1:5000"), None);
        assert_eq!(secret_in("http://{user}:{password}@host"), None);
        assert_eq!(secret_in("models:/wine-quality-classifier@champion"), None);
        assert_eq!(secret_in("ghp_"), None);
    }

    #[test]
    fn secret_names() {
        for yes in [
            "HF_TOKEN",
            "api_key",
            "apiKey",
            "APIKEY",
            "MLFLOW_TRACKING_PASSWORD",
            "secret",
            "aws_secret_access_key",
            "accessKey",
            "db-password",
        ] {
            assert!(is_secret_name(yes), "{yes}");
        }
        for no in [
            "tokenizer",
            "max_tokens",
            "keyword",
            "n_estimators",
            "passenger",
            "secretary",
            "key",
        ] {
            assert!(!is_secret_name(no), "{no}");
        }
    }

    #[test]
    fn absolute_paths() {
        for yes in [
            "/home/somchai/hw/wine.csv",
            "C:\\Users\\Somchai\\Desktop\\hw",
            "D:/data/mnist",
            "file:///Users/a/mlruns",
            "/content/drive/MyDrive/x",
        ] {
            assert!(is_absolute_path(yes), "{yes}");
        }
        for no in [
            "./data",
            "mlruns",
            "/",
            "/home/",
            "http://127.0.0.1:5000",
            "models:/m@champion",
            "~/data",
            "a/b/c",
        ] {
            assert!(!is_absolute_path(no), "{no}");
        }
    }
}
