//! Constant values and the little Python arithmetic needed to follow them.

use std::fmt;

use serde::Serialize;

/// Longest string a constant may grow to; `s = s + s` in a loop would otherwise double forever.
pub(super) const MAX_STR: usize = 4096;
/// Most elements a list or dict constant may hold before it is given up as unknown.
pub(super) const MAX_ITEMS: usize = 1024;

/// A Python value known from the source alone, or [`Value::Unknown`] when it depends on
/// anything the code computes at run time. Tuples are lists; dicts keep their string keys in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Value {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    None,
    List(Vec<Value>),
    Dict(Vec<(String, Value)>),
    Unknown,
}

impl Value {
    pub fn is_known(&self) -> bool {
        !matches!(self, Value::Unknown)
    }

    /// Ints and floats as a float: `test_size=0.2` and `test_size=1/5` compare the same way.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// Ints, and floats that hold a whole number (`batch_size=64.0` still means 64).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// The value of `key` in a dict constant.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(pairs) => pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// What `str(value)` gives in Python, where that is unambiguous; f-strings use it.
    pub(super) fn py_str(&self) -> Option<String> {
        match self {
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(py_float_repr(*f)),
            Value::Str(s) => Some(s.clone()),
            Value::Bool(true) => Some("True".into()),
            Value::Bool(false) => Some("False".into()),
            Value::None => Some("None".into()),
            Value::List(_) | Value::Dict(_) | Value::Unknown => None,
        }
    }
}

/// Python's `repr`, close enough for a report line (`?` stands for an unknown value).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => write!(f, "{}", py_quote(s)),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Dict(pairs) => {
                f.write_str("{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {v}", py_quote(k))?;
                }
                f.write_str("}")
            }
            Value::Unknown => f.write_str("?"),
            other => f.write_str(&other.py_str().unwrap_or_default()),
        }
    }
}

fn py_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Python's `repr(float)`: shortest round-trip digits, fixed notation for exponents -4..16,
/// otherwise `1e-05` style. Rust prints `1e-5` and `100` where Python prints `1e-05` and
/// `100.0`, and a model URI built in an f-string must come out as Python builds it.
pub(super) fn py_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            let mut int_part = digits.chars().take(int_len).collect::<String>();
            while int_part.len() < int_len {
                int_part.push('0');
            }
            let frac: String = digits.chars().skip(int_len).collect();
            let frac = if frac.is_empty() {
                "0".to_string()
            } else {
                frac
            };
            format!("{sign}{int_part}.{frac}")
        } else {
            let zeros = "0".repeat((-exp - 1) as usize);
            format!("{sign}0.{zeros}{digits}")
        }
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        let dot = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{dot}e{esign}{:02}", exp.abs())
    }
}

/// An integer literal: `1_000`, `0x1F`, `0o17`, `0b101`; too big for i64 is unknown.
pub(super) fn parse_int(text: &str) -> Value {
    let t: String = text.chars().filter(|c| *c != '_').collect();
    let lower = t.to_ascii_lowercase();
    let parsed = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else {
        lower.parse::<i64>().ok()
    };
    parsed.map_or(Value::Unknown, Value::Int)
}

/// A float literal (`1e-3`, `.5`, `1_0.0`); imaginary literals are unknown.
pub(super) fn parse_float(text: &str) -> Value {
    let t: String = text.chars().filter(|c| *c != '_').collect();
    if t.ends_with(['j', 'J']) {
        return Value::Unknown;
    }
    // `1e999` is infinity in Python too, but a non-finite value has no place in JSON facts.
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() => Value::Float(f),
        _ => Value::Unknown,
    }
}

pub(super) fn unary(op: &str, v: Value) -> Value {
    match (op, v) {
        ("-", Value::Int(i)) => i.checked_neg().map_or(Value::Unknown, Value::Int),
        ("-", Value::Float(f)) => Value::Float(-f),
        ("+", v @ (Value::Int(_) | Value::Float(_))) => v,
        ("~", Value::Int(i)) => Value::Int(!i),
        ("not", Value::Bool(b)) => Value::Bool(!b),
        _ => Value::Unknown,
    }
}

/// Python's binary operators on constants, with Python's floor division and modulo signs;
/// overflow, division by zero and oversized results are unknown rather than wrong.
pub(super) fn binary(op: &str, a: Value, b: Value) -> Value {
    use Value::{Float, Int, List, Str, Unknown};
    match (a, b) {
        (Int(x), Int(y)) => int_op(op, x, y),
        (Int(x), Float(y)) => float_op(op, x as f64, y),
        (Float(x), Int(y)) => float_op(op, x, y as f64),
        (Float(x), Float(y)) => float_op(op, x, y),
        (Str(x), Str(y)) if op == "+" => capped_str(x + &y),
        (Str(s), Int(n)) | (Int(n), Str(s)) if op == "*" => {
            let n = usize::try_from(n).unwrap_or(0);
            if s.len().saturating_mul(n) > MAX_STR {
                Unknown
            } else {
                Str(s.repeat(n))
            }
        }
        (List(mut x), List(y)) if op == "+" => {
            if x.len() + y.len() > MAX_ITEMS {
                Unknown
            } else {
                x.extend(y);
                List(x)
            }
        }
        _ => Unknown,
    }
}

pub(super) fn capped_str(s: String) -> Value {
    if s.len() > MAX_STR {
        Value::Unknown
    } else {
        Value::Str(s)
    }
}

fn int_op(op: &str, x: i64, y: i64) -> Value {
    let r = match op {
        "+" => x.checked_add(y),
        "-" => x.checked_sub(y),
        "*" => x.checked_mul(y),
        "/" => {
            return if y == 0 {
                Value::Unknown
            } else {
                Value::Float(x as f64 / y as f64)
            };
        }
        "//" => x.checked_div(y).map(|q| {
            if x % y != 0 && ((x < 0) != (y < 0)) {
                q - 1
            } else {
                q
            }
        }),
        "%" => x.checked_rem(y).map(|r| {
            if r != 0 && ((r < 0) != (y < 0)) {
                r + y
            } else {
                r
            }
        }),
        "**" if y < 0 => return float_op(op, x as f64, y as f64),
        "**" => u32::try_from(y).ok().and_then(|e| x.checked_pow(e)),
        "<<" => u32::try_from(y)
            .ok()
            .filter(|e| *e < 63)
            .and_then(|e| x.checked_shl(e)),
        ">>" => u32::try_from(y).ok().map(|e| x >> e.min(63)),
        "&" => Some(x & y),
        "|" => Some(x | y),
        "^" => Some(x ^ y),
        _ => None,
    };
    r.map_or(Value::Unknown, Value::Int)
}

fn float_op(op: &str, x: f64, y: f64) -> Value {
    let r = match op {
        "+" => x + y,
        "-" => x - y,
        "*" => x * y,
        "/" if y != 0.0 => x / y,
        "//" if y != 0.0 => (x / y).floor(),
        "%" if y != 0.0 => {
            let r = x % y;
            if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
                r + y
            } else {
                r
            }
        }
        "**" if !(x == 0.0 && y < 0.0) => x.powf(y),
        _ => return Value::Unknown,
    };
    if r.is_finite() {
        Value::Float(r)
    } else {
        Value::Unknown
    }
}

/// Decodes the backslash escapes of a non-raw string literal; `\N{...}` names need a Unicode
/// table this crate does not carry, so such strings are unknown.
pub(super) fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push('\\');
            break;
        };
        match e {
            '\n' => {}
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
            }
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '0'..='7' => {
                let mut n = e.to_digit(8)?;
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            n = n * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(n)?);
            }
            'x' | 'u' | 'U' => {
                let len = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut n = 0u32;
                for _ in 0..len {
                    n = n.checked_mul(16)? + chars.next()?.to_digit(16)?;
                }
                out.push(char::from_u32(n)?);
            }
            'N' => return None,
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_python() {
        let cases = [
            (0.2, "0.2"),
            (100.0, "100.0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (0.0005, "0.0005"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789.0, "123456789.0"),
            (-0.1307, "-0.1307"),
            (0.0, "0.0"),
            (1.0 / 3.0, "0.3333333333333333"),
            (2.5e-7, "2.5e-07"),
        ];
        for (f, want) in cases {
            assert_eq!(py_float_repr(f), want, "{f}");
        }
    }

    #[test]
    fn python_arithmetic() {
        assert_eq!(binary("//", Value::Int(-7), Value::Int(2)), Value::Int(-4));
        assert_eq!(binary("//", Value::Int(7), Value::Int(-2)), Value::Int(-4));
        assert_eq!(binary("%", Value::Int(-7), Value::Int(3)), Value::Int(2));
        assert_eq!(binary("/", Value::Int(1), Value::Int(5)), Value::Float(0.2));
        assert_eq!(binary("/", Value::Int(1), Value::Int(0)), Value::Unknown);
        assert_eq!(
            binary("**", Value::Int(2), Value::Int(10)),
            Value::Int(1024)
        );
        assert_eq!(binary("**", Value::Int(2), Value::Int(100)), Value::Unknown);
        assert_eq!(
            binary("*", Value::Int(i64::MAX), Value::Int(2)),
            Value::Unknown
        );
        assert_eq!(
            binary("**", Value::Int(10), Value::Int(-3)),
            Value::Float(10f64.powf(-3.0))
        );
        assert_eq!(
            binary("*", Value::Str("ab".into()), Value::Int(3)),
            Value::Str("ababab".into())
        );
        assert_eq!(
            binary("*", Value::Str("ab".into()), Value::Int(1 << 40)),
            Value::Unknown
        );
        assert_eq!(unary("-", Value::Int(i64::MIN)), Value::Unknown);
    }

    #[test]
    fn literals() {
        assert_eq!(parse_int("1_000"), Value::Int(1000));
        assert_eq!(parse_int("0x1F"), Value::Int(31));
        assert_eq!(parse_int("99999999999999999999999"), Value::Unknown);
        assert_eq!(parse_float("1e-3"), Value::Float(0.001));
        assert_eq!(parse_float(".5"), Value::Float(0.5));
        assert_eq!(parse_float("1."), Value::Float(1.0));
        assert_eq!(parse_float("2j"), Value::Unknown);
        assert_eq!(parse_float("1e999"), Value::Unknown);
        assert_eq!(
            unescape(r"a\nb\x41\u00e9\101\q").as_deref(),
            Some("a\nbAéA\\q")
        );
        assert_eq!(unescape(r"\N{BULLET}"), None);
        assert_eq!(unescape("trailing\\"), Some("trailing\\".into()));
    }

    #[test]
    fn display_is_python_like() {
        let v = Value::Dict(vec![
            ("lr".into(), Value::Float(0.001)),
            (
                "layers".into(),
                Value::List(vec![Value::Int(128), Value::Unknown]),
            ),
            ("name".into(), Value::Str("it's".into())),
        ]);
        assert_eq!(
            v.to_string(),
            r"{'lr': 0.001, 'layers': [128, ?], 'name': 'it\'s'}"
        );
    }
}
