use std::path::Path;

use super::{HandinError, Limits};

/// Parses hand-in YAML, refusing documents nested deeper than the limit before the parser sees
/// them: the parser's own recursion check comes only after quadratic work (200 000 levels in a
/// 400 KB file took 200 s to refuse).
pub(crate) fn parse_yaml(path: &Path, text: &str) -> Result<serde_yaml_ng::Value, HandinError> {
    let limit = Limits::current().yaml_depth;
    if nesting_exceeds(text, limit) {
        return Err(HandinError::TooDeep {
            path: path.to_path_buf(),
            limit,
        });
    }
    serde_yaml_ng::from_str(text).map_err(|e| HandinError::Yaml {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// An upper estimate of YAML nesting, in one pass: block levels from indentation and compact
/// `- `/`? ` markers, plus flow levels from `[`/`{` outside quotes and comments. It may
/// overestimate odd documents, never underestimate deep ones.
pub(crate) fn nesting_exceeds(text: &str, limit: usize) -> bool {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut quote: Option<u8> = None;
    for line in text.lines() {
        let bytes = line.as_bytes();
        let mut i = 0;
        if flow == 0 && quote.is_none() {
            let indent = bytes.iter().take_while(|b| **b == b' ').count();
            let rest = &line[indent..];
            if rest.is_empty() || rest.starts_with('#') {
                continue;
            }
            while indents.last().is_some_and(|&top| top >= indent) {
                indents.pop();
            }
            indents.push(indent);
            i = indent;
            // `- - - x` nests one sequence per marker on a single line.
            while i + 1 < bytes.len() && matches!(bytes[i], b'-' | b'?') && bytes[i + 1] == b' ' {
                indents.push(i + 2);
                i += 2;
                while i < bytes.len() && bytes[i] == b' ' {
                    i += 1;
                }
            }
            if indents.len() > limit {
                return true;
            }
        }
        let mut prev = b' ';
        while i < bytes.len() {
            let b = bytes[i];
            match quote {
                Some(q) => {
                    if b == b'\\' && q == b'"' {
                        i += 1;
                    } else if b == q {
                        quote = None;
                    }
                }
                None => match b {
                    b'#' if prev == b' ' || prev == b'\t' => break,
                    b'"' | b'\'' if flow > 0 || matches!(prev, b' ' | b'[' | b'{' | b',') => {
                        quote = Some(b)
                    }
                    b'[' | b'{' if flow > 0 || matches!(prev, b' ' | b':' | b'-') => {
                        flow += 1;
                        if indents.len() + flow > limit {
                            return true;
                        }
                    }
                    b']' | b'}' if flow > 0 => flow -= 1,
                    _ => {}
                },
            }
            prev = b;
            i += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn mlflow_files_pass() {
        let mlmodel = "artifact_path: model\nflavors:\n  python_function:\n    env:\n      conda: conda.yaml\n    loader_module: mlflow.sklearn\n  sklearn:\n    pickled_model: model.pkl\nsignature:\n  inputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float64\", \"shape\": [-1, 13]}}]'\n  outputs: '[{\"type\": \"tensor\"}]'\nmetadata: {a: [1, {b: 2}]}\n";
        let v = parse_yaml(Path::new("MLmodel"), mlmodel).unwrap();
        assert!(v.get("flavors").is_some());
        let meta = "name: \"Model [v1] {draft}\"\ndescription: 'it''s a [test'\nlist:\n- a\n- - b\n  - c\n";
        assert!(parse_yaml(Path::new("meta.yaml"), meta).is_ok());
    }

    #[test]
    fn deep_documents_are_refused_fast() {
        let n = 200_000;
        let flow = format!("a: {}1{}", "[".repeat(n), "]".repeat(n));
        let block = format!("{}x\n", "- ".repeat(n));
        let maps = format!("{}1{}", "{a: ".repeat(n), "}".repeat(n));
        let indented: String = (0..2_000)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        for doc in [flow, block, maps, indented] {
            let began = Instant::now();
            let err = parse_yaml(Path::new("meta.yaml"), &doc)
                .unwrap_err()
                .to_string();
            assert!(err.contains("nested deeper than"), "{err}");
            assert!(began.elapsed() < Duration::from_secs(1));
        }
        assert!(!nesting_exceeds(
            &format!("{}1{}", "[".repeat(50), "]".repeat(50)),
            100
        ));
    }
}
