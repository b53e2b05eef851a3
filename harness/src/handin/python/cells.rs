//! From a cell's text to a clean syntax tree: IPython lines out, syntax errors noted.

use tree_sitter::{Node, Parser, Tree};

use super::scan::{is_secret_name, secret_in};
use super::{Loc, Note, NoteKind, Secret, SecretKind};

/// Cell magics whose body is still Python; any other `%%name` cell is left out whole.
const PYTHON_CELL_MAGICS: &[&str] = &[
    "time", "timeit", "capture", "prun", "python", "python3", "debug", "memit",
];

/// The longest IPython command name kept in a note: enough to name it, short enough that a
/// token pasted into `!huggingface-cli login --token …` never reaches a report.
const MAX_COMMAND: usize = 40;

/// A cell ready to read: the text that was parsed (same lines as the cell, IPython lines
/// replaced by `pass`) and its tree.
pub(super) struct Parsed {
    pub(super) text: String,
    pub(super) tree: Tree,
}

/// Parses one cell. The text is parsed as is first, so a line that merely starts with `%` or
/// `!` inside a bracket or a string is left alone; IPython lines are replaced only when the
/// cell does not parse otherwise.
pub(super) fn parse_cell(
    parser: &mut Parser,
    cell: Option<usize>,
    source: &str,
    notes: &mut Vec<Note>,
    secrets: &mut Vec<Secret>,
) -> Option<Parsed> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut lines: Vec<String> = source.split('\n').map(str::to_string).collect();
    let mut skipped: Vec<Note> = Vec::new();

    if let Some((i, line)) = lines.iter().enumerate().find(|(_, l)| !l.trim().is_empty())
        && let Some(magic) = line.trim().strip_prefix("%%")
    {
        let name = magic.split_whitespace().next().unwrap_or("");
        let note = |kind| Note {
            loc: Loc { cell, line: i + 1 },
            kind,
            detail: shorten(&format!("%%{name}")),
        };
        if !PYTHON_CELL_MAGICS.contains(&name) {
            notes.push(note(NoteKind::NonPythonCell));
            scan_lines(&lines, cell, secrets);
            return None;
        }
        skipped.push(note(NoteKind::IpythonLine));
        lines[i].clear();
    }

    let text = lines.join("\n");
    let first = parser.parse(&text, None);
    if let Some(tree) = &first
        && !tree.root_node().has_error()
    {
        notes.extend(skipped);
        return Some(Parsed {
            text,
            tree: tree.clone(),
        });
    }

    let mut stripped_any = false;
    for (i, line) in lines.iter_mut().enumerate() {
        if let Some(command) = ipython_command(line) {
            let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
            skipped.push(Note {
                loc: Loc { cell, line: i + 1 },
                kind: NoteKind::IpythonLine,
                detail: shorten(&command),
            });
            scan_line(line, Loc { cell, line: i + 1 }, secrets);
            *line = format!("{indent}pass");
            stripped_any = true;
        }
    }
    let (text, tree) = if stripped_any {
        let text = lines.join("\n");
        let tree = parser.parse(&text, None);
        (text, tree)
    } else {
        (text, first)
    };
    match tree {
        Some(tree) if !tree.root_node().has_error() => {
            notes.extend(skipped);
            Some(Parsed { text, tree })
        }
        Some(tree) => {
            scan_lines(&lines, cell, secrets);
            let (line, detail) = first_error(tree.root_node());
            notes.push(Note {
                loc: Loc { cell, line },
                kind: NoteKind::SyntaxError,
                detail,
            });
            None
        }
        None => {
            scan_lines(&lines, cell, secrets);
            notes.push(Note {
                loc: Loc { cell, line: 1 },
                kind: NoteKind::SyntaxError,
                detail: "the parser gave up".into(),
            });
            None
        }
    }
}

/// Credentials in lines that are not parsed (shell commands, `%env`, cells that do not parse):
/// a token pasted into `!huggingface-cli login --token …` is as leaked as one in Python.
fn scan_lines(lines: &[String], cell: Option<usize>, secrets: &mut Vec<Secret>) {
    for (i, line) in lines.iter().enumerate() {
        scan_line(line, Loc { cell, line: i + 1 }, secrets);
    }
}

fn scan_line(line: &str, loc: Loc, secrets: &mut Vec<Secret>) {
    if let Some(kind) = secret_in(line) {
        secrets.push(Secret {
            name: None,
            kind,
            loc,
        });
        return;
    }
    // `%env HF_TOKEN=abc`, `%env HF_TOKEN abc`, `export HF_TOKEN=abc`; in Python only a
    // quoted value counts (`TOKEN = os.getenv("TOKEN")` is what students should write).
    let t = line.trim();
    let shell = ["%env ", "%set_env ", "!export ", "export "]
        .iter()
        .find_map(|p| t.strip_prefix(p));
    let Some((name, value)) = shell.unwrap_or(t).split_once(['=', ' ']) else {
        return;
    };
    let (name, value) = (name.trim(), value.trim().trim_start_matches(['=', ' ']));
    let quoted = value.len() > 2 && value.starts_with(['"', '\'']);
    let given = if shell.is_some() {
        !value.is_empty() && !value.starts_with('$')
    } else {
        quoted
    };
    let plain_name = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain_name && given && is_secret_name(name) {
        secrets.push(Secret {
            name: Some(name.to_string()),
            kind: SecretKind::NamedSecret,
            loc,
        });
    }
}

/// The IPython command a line holds, if it is one: `%pip`, `!mlflow`, `?obj`, `obj??`,
/// `files = !ls`.
fn ipython_command(line: &str) -> Option<String> {
    let t = line.trim();
    let first_word = |s: &str| s.split_whitespace().next().unwrap_or("").to_string();
    if t.starts_with(['%', '!', '?']) {
        return Some(first_word(t));
    }
    if let Some(body) = t.strip_suffix('?') {
        let body = body.strip_suffix('?').unwrap_or(body);
        if !body.is_empty()
            && body
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            return Some(t.to_string());
        }
    }
    // `out = !ls` and `t = %timeit -o f()`: the left side is plain names.
    let (lhs, rhs) = t.split_once('=')?;
    let rhs = rhs.trim_start();
    let names = !lhs.trim().is_empty()
        && lhs
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == ',' || c == ' ');
    (names && rhs.starts_with(['!', '%']) && !rhs.starts_with("%=")).then(|| first_word(rhs))
}

fn shorten(s: &str) -> String {
    if secret_in(s).is_some() {
        return "(a command holding a credential)".into();
    }
    match s.char_indices().nth(MAX_COMMAND) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The line and a short description of the first error or missing token, found without
/// recursion (a broken cell can nest deeply).
fn first_error(root: Node<'_>) -> (usize, String) {
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        if node.is_missing() {
            return (
                node.start_position().row + 1,
                format!("missing `{}`", shorten(node.kind())),
            );
        }
        if node.is_error() {
            return (node.start_position().row + 1, "invalid syntax".into());
        }
        // Descend only into subtrees that hold the error.
        if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return (root.start_position().row + 1, "invalid syntax".into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipython_commands() {
        assert_eq!(
            ipython_command("%pip install mlflow").as_deref(),
            Some("%pip")
        );
        assert_eq!(
            ipython_command("  !mlflow ui --port 5000").as_deref(),
            Some("!mlflow")
        );
        assert_eq!(
            ipython_command("?train_test_split").as_deref(),
            Some("?train_test_split")
        );
        assert_eq!(
            ipython_command("mlflow.log_metric??").as_deref(),
            Some("mlflow.log_metric??")
        );
        assert_eq!(ipython_command("files = !ls data").as_deref(), Some("!ls"));
        assert_eq!(ipython_command("x %= 3"), None);
        assert_eq!(ipython_command("a != b"), None);
        assert_eq!(ipython_command("print('why?')"), None);
        assert_eq!(ipython_command("# is this right?"), None);
    }
}
