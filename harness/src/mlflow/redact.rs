//! The one place that decides what of a URL may be shown or handed on.
//!
//! Tracking URIs can carry `user:password@` and `?token=…`; reqwest and MLflow echo URLs into
//! error messages. Everything harness prints, logs or writes into a report goes through here:
//!
//! - [`redact_url`]: a parsed URL for display (no user info, no query).
//! - [`without_credentials`]: a parsed URL for another program, e.g. a browser (no user info,
//!   everything else kept).
//! - [`redact_str`]: text that should be a URL but may not parse (a user's `--tracking-uri`).
//! - [`redact_text`]: free text, such as an error message, with URLs and `token=…` pairs inside.

use url::Url;

/// Names whose `name=value` pairs have their value masked in free text (ASCII case-insensitive).
/// Longest first, so that `access_token=` is matched as a whole.
const SECRET_NAMES: &[&str] = &[
    "access_token",
    "credential",
    "signature",
    "password",
    "api_key",
    "apikey",
    "secret",
    "token",
    "auth",
    "key",
    "sig",
];

/// A URL without user info or query string, safe for logs and messages. The fragment is kept
/// (MLflow's UI lives in `#/…`), except for the values of secret-looking pairs in it
/// (`#access_token=***`).
///
/// A URL that cannot be a base (`user:pw@host:5000` parses as scheme `user`!) has everything up
/// to its last `@` replaced by `***@`.
pub fn redact_url(url: &Url) -> String {
    let mut u = without_credentials(url);
    u.set_query(None);
    // A fragment never reaches the server, and people paste tokens there too.
    u.set_fragment(None);
    let shown = if u.cannot_be_a_base() && u.path().contains('@') {
        cut_userinfo(u.as_str(), 0)
    } else {
        u.to_string()
    };
    mask_secret_pairs(&shown)
}

/// `url` without user name and password; path, query and fragment kept. What may be handed to
/// another program (a browser) that needs the whole address but must not see a credential.
pub fn without_credentials(url: &Url) -> Url {
    let mut u = url.clone();
    // Both fail only for URLs that cannot hold credentials at all (`data:`, `file:`, `mailto:`).
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u
}

/// `raw` fit for a message, whether or not it parses as a URL: a URL goes through
/// [`redact_url`]; anything else loses whatever could be user info (everything between `://`,
/// or the start, and the last `@`, becomes `***@`) and its query (`?…` becomes `?***`).
///
/// The last `@` anywhere is taken, not the last before the path: in a string the URL parser
/// refused, a password may well hold the `/`, `?` or `#` that would end an authority.
pub fn redact_str(raw: &str) -> String {
    if let Ok(url) = Url::parse(raw) {
        return redact_url(&url);
    }
    let after_scheme = raw.find("://").map(|i| i + 3).unwrap_or(0);
    let cut = cut_userinfo(raw, after_scheme);
    let cut = match cut[after_scheme.min(cut.len())..].find('?') {
        Some(q) => format!("{}?***", &cut[..after_scheme + q]),
        None => cut,
    };
    mask_secret_pairs(&cut)
}

/// `text` with every URL-looking substring (`scheme://…`) passed through [`redact_str`], and the
/// value of every secret-looking `name=value` pair (`token=`, `password=`, `api_key=`, …; see
/// `SECRET_NAMES`) masked as `name=***`. For error messages and other free text.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(sep) = rest.find("://") {
        let start = scheme_start(rest, sep);
        let end = sep + 3 + url_len(&rest[sep + 3..]);
        out.push_str(&rest[..start]);
        out.push_str(&redact_str(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    mask_secret_pairs(&out)
}

/// `s` with everything from `from` to its last `@` replaced by `***` (unchanged without `@`).
fn cut_userinfo(s: &str, from: usize) -> String {
    match s.get(from..).and_then(|tail| tail.rfind('@')) {
        Some(at) => format!("{}***{}", &s[..from], &s[from + at..]),
        None => s.to_string(),
    }
}

/// Where the scheme before the `://` at `sep` begins (`sep` itself when there is none): RFC 3986
/// scheme characters, starting with a letter.
fn scheme_start(s: &str, sep: usize) -> usize {
    let bytes = s.as_bytes();
    let mut start = sep;
    while start > 0 && is_scheme_byte(bytes[start - 1]) {
        start -= 1;
    }
    while start < sep && !bytes[start].is_ascii_alphabetic() {
        start += 1;
    }
    start
}

fn is_scheme_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')
}

/// The length of the URL that starts `s` (just after `://`): up to white space, a quote or an
/// angle bracket, less trailing punctuation that belongs to the sentence (`.`, `,`, `:` …, and
/// closing brackets that were not opened inside the URL).
fn url_len(s: &str) -> usize {
    let mut end = s
        .char_indices()
        .find(|&(_, c)| c.is_whitespace() || c.is_control() || "\"'<>`".contains(c))
        .map_or(s.len(), |(i, _)| i);
    loop {
        let url = &s[..end];
        let unbalanced = |open: char, close: char| {
            url.ends_with(close) && url.matches(close).count() > url.matches(open).count()
        };
        let trailing = url.ends_with(['.', ',', ';', ':', '!', '?'])
            || unbalanced('(', ')')
            || unbalanced('[', ']')
            || unbalanced('{', '}');
        if !trailing {
            return end;
        }
        end -= 1;
    }
}

/// `text` with the value of each secret-looking `name=value` pair replaced by `***`.
fn mask_secret_pairs(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let name = at_word_start
            .then(|| {
                SECRET_NAMES.iter().find(|name| {
                    bytes
                        .get(i..i + name.len())
                        .is_some_and(|w| w.eq_ignore_ascii_case(name.as_bytes()))
                        && bytes.get(i + name.len()) == Some(&b'=')
                })
            })
            .flatten();
        if let Some(name) = name {
            let value = i + name.len() + 1;
            let len = bytes[value..]
                .iter()
                .take_while(|&&b| !ends_value(b))
                .count();
            if len > 0 {
                out.push_str(&text[copied..value]);
                out.push_str("***");
                i = value + len;
                copied = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

fn ends_value(b: u8) -> bool {
    b.is_ascii_whitespace()
        || b.is_ascii_control()
        || matches!(
            b,
            b'&' | b'#' | b'"' | b'\'' | b'<' | b'>' | b')' | b']' | b'}' | b',' | b';'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn redact_url_drops_credentials_query_and_fragment() {
        assert_eq!(
            redact_url(&url("http://user:pw@127.0.0.1:5000/api?token=x")),
            "http://127.0.0.1:5000/api"
        );
        assert_eq!(
            redact_url(&url(
                "https://alice:s3cret@mlflow.example.org/#/models/wine"
            )),
            "https://mlflow.example.org/"
        );
        assert_eq!(
            redact_url(&url("http://h:5000/?a=1#/experiments/7/runs")),
            "http://h:5000/"
        );
        assert_eq!(
            redact_url(&url("mlflow-artifacts://u:p@host/1/a")),
            "mlflow-artifacts://host/1/a"
        );
    }

    #[test]
    fn redact_url_masks_secrets_in_the_fragment() {
        let shown = redact_url(&url("https://h/cb#access_token=abc&state=1"));
        assert_eq!(shown, "https://h/cb");
    }

    #[test]
    fn redact_url_cuts_what_the_parser_took_for_a_scheme_and_path() {
        // `user:pw@host:5000` parses, as scheme `user` with path `pw@host:5000`.
        let shown = redact_url(&url("user:pw@host:5000"));
        assert!(!shown.contains("pw") && !shown.contains("user"), "{shown}");
        assert_eq!(shown, "***@host:5000");
    }

    #[test]
    fn without_credentials_keeps_path_query_and_fragment() {
        let u = without_credentials(&url(
            "http://alice:s3cret@127.0.0.1:5000/x/?o=1#/models/m?tab=versions",
        ));
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:5000/x/?o=1#/models/m?tab=versions"
        );
        let data = url("data:text/html,<p>hi</p>");
        assert_eq!(without_credentials(&data), data);
        let file = url("file:///tmp/report.html");
        assert_eq!(without_credentials(&file), file);
    }

    #[test]
    fn redact_str_uses_redact_url_when_it_parses() {
        assert_eq!(
            redact_str("http://ta:s3cret@127.0.0.1:5000/?token=t"),
            "http://127.0.0.1:5000/"
        );
        // Several `@`: the parser keeps the last as the separator, the rest is password.
        let shown = redact_str("http://user:top@secret@host/x");
        assert_eq!(shown, "http://host/x");
    }

    #[test]
    fn redact_str_cuts_userinfo_and_query_from_what_does_not_parse() {
        for (raw, want) in [
            (
                "http://user:top@secret@host:99999/x?token=abc",
                "http://***@host:99999/x?***",
            ),
            ("http://u:p/w@host/x", "http://***@host/x"),
            ("http://u:p?w@host/x", "http://***@host/x"),
            ("http://h:port/x?password=p", "http://h:port/x?***"),
            ("1user:pw@host:5000", "***@host:5000"),
            ("not a url", "not a url"),
            ("", ""),
        ] {
            assert!(Url::parse(raw).is_err(), "{raw} parses");
            let shown = redact_str(raw);
            assert_eq!(shown, want, "{raw}");
            for secret in ["top", "secret", "user", "abc", ":p", "pw"] {
                if !want.contains(secret) {
                    assert!(!shown.contains(secret), "{raw} -> {shown}");
                }
            }
        }
    }

    #[test]
    fn redact_text_redacts_every_url_in_a_message() {
        let msg = "error sending request for url (http://127.0.0.1:1/health?token=secret): \
                   then https://ta:hunter2@mlflow.example.org/api, and s3+x://k:v@bucket/a.";
        let shown = redact_text(msg);
        assert_eq!(
            shown,
            "error sending request for url (http://127.0.0.1:1/health): \
             then https://mlflow.example.org/api, and s3+x://bucket/a."
        );
    }

    #[test]
    fn redact_text_handles_urls_that_do_not_parse() {
        let shown = redact_text("bad uri `http://user:top@secret@host:99999/x?q=1` given");
        assert_eq!(shown, "bad uri `http://***@host:99999/x?***` given");
        let shown = redact_text("see ://u:pw@host/x");
        assert_eq!(shown, "see ://***@host/x");
    }

    #[test]
    fn redact_text_masks_secret_pairs_outside_urls() {
        let shown = redact_text(
            "TOKEN=abc; Access_Token=def&password=ghi api_key=1 apikey=2 key=3 auth=4 \
             signature=5 sig=6 credential=7 secret=8 my_token=9, monkey=banana token=",
        );
        assert_eq!(
            shown,
            "TOKEN=***; Access_Token=***&password=*** api_key=*** apikey=*** key=*** auth=*** \
             signature=*** sig=*** credential=*** secret=*** my_token=***, monkey=banana token="
        );
    }

    #[test]
    fn redact_text_leaves_plain_text_alone_and_is_idempotent() {
        for text in [
            "Connection refused (os error 111)",
            "operation timed out; héllo ünïcode ✓",
            "models:/wine@champion and runs:/abc/model",
            "alice@example.org wrote (see [1])",
        ] {
            assert_eq!(redact_text(text), text);
        }
        let once = redact_text("x http://u:p@h/?token=1 token=2 https://h:bad/?a");
        assert_eq!(redact_text(&once), once);
    }

    #[test]
    fn redact_text_keeps_balanced_brackets_in_urls() {
        assert_eq!(
            redact_text("at http://[::1]:5000/x?y=1."),
            "at http://[::1]:5000/x."
        );
        assert_eq!(
            redact_text("(http://h/wiki/A_(b))"),
            "(http://h/wiki/A_(b))"
        );
    }
}
