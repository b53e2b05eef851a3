//! Facts from a student's Python: the notebook's code cells in order, or a `.py` script,
//! parsed with tree-sitter's Python grammar (Python 3.12 syntax, f-strings with nested quotes,
//! `match`, walrus) — never regular expressions over the source.
//!
//! Out comes plain data, no grading: every call with its callee's dotted name and its arguments
//! evaluated as constants where the notebook makes them known (`SEED = 42` … `random_state=SEED`,
//! `f"models:/{MODEL}@champion"`), imports, constant assignments, literals that look like
//! credentials (name and line only, never the value) and hard-coded absolute paths.
//!
//! IPython lines (`%pip install`, `!mlflow ui`, `%%time`, `?obj`) are skipped with a note; a cell
//! that still does not parse is skipped with a note and the others are read. Any text in gives
//! facts out, without panicking: values are capped in size and nesting, and the tree is walked
//! without recursion.

mod cells;
mod scan;

pub(crate) use scan::words;
mod value;
mod walk;

use serde::Serialize;

pub use scan::SecretKind;
pub use value::Value;

/// Where something is: the caller's cell index (none for a script) and the 1-based line in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Loc {
    pub cell: Option<usize>,
    pub line: usize,
}

/// One call expression, nested ones included (`f(g(x))` gives two).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Call {
    /// The callee as written, dotted: `mlflow.sklearn.load_model`, `client.get_model_version_by_alias`;
    /// a call or subscript in the chain shows as `()` or `[]` (`MlflowClient().search_runs`).
    pub callee: String,
    /// The callee with its first segment expanded through the imports:
    /// `from sklearn.model_selection import train_test_split as tts` makes `tts` read
    /// `sklearn.model_selection.train_test_split`. Same as `callee` when nothing was imported.
    pub resolved: String,
    /// Positional arguments; `*xs` of a known list is spread out, otherwise one unknown.
    pub args: Vec<Value>,
    /// Keyword arguments in order; `**d` of a known dict is spread out.
    pub kwargs: Vec<(String, Value)>,
    /// Whether a `*xs` or `**d` could not be spread out, so arguments may be missing.
    pub unpacked_unknown: bool,
    pub loc: Loc,
}

impl Call {
    /// Whether `name` names this call: the whole dotted callee, or its last segments
    /// (`load_model` and `pyfunc.load_model` both match `mlflow.pyfunc.load_model`), before or
    /// after resolving imports.
    pub fn matches(&self, name: &str) -> bool {
        ends_with_segments(&self.callee, name) || ends_with_segments(&self.resolved, name)
    }

    pub fn kwarg(&self, name: &str) -> Option<&Value> {
        self.kwargs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    pub fn arg(&self, index: usize) -> Option<&Value> {
        self.args.get(index)
    }

    /// A parameter that may be passed either way, e.g. `mlflow.log_metric("accuracy", acc)` or
    /// `mlflow.log_metric(key="accuracy", value=acc)`.
    pub fn param(&self, index: usize, name: &str) -> Option<&Value> {
        self.kwarg(name).or_else(|| self.arg(index))
    }
}

fn ends_with_segments(dotted: &str, name: &str) -> bool {
    !name.is_empty()
        && dotted
            .strip_suffix(name)
            .is_some_and(|head| head.is_empty() || head.ends_with('.'))
}

/// One import statement's module and names (`import a.b as c` gives module `a.b`, alias `c`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Import {
    /// `sklearn.model_selection`; relative imports keep their dots (`.utils`).
    pub module: String,
    /// `as` name of `import module as alias`.
    pub alias: Option<String>,
    /// Names of `from module import name [as alias]`, `*` included; empty for `import module`.
    pub names: Vec<(String, Option<String>)>,
    pub loc: Loc,
}

/// A name bound to a known constant (`SEED = 42`, `a, b = 1, 2` gives two).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assignment {
    pub name: String,
    pub value: Value,
    pub loc: Loc,
}

/// A literal that looks like a credential. Deliberately without the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Secret {
    /// The variable, keyword or dict key it was given to, if any.
    pub name: Option<String>,
    pub kind: SecretKind,
    pub loc: Loc,
}

/// A hard-coded absolute path (`/home/…`, `C:\Users\…`, `file:///…`); f-string parts that
/// are not known show as `{}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AbsolutePath {
    pub path: String,
    pub loc: Loc,
}

/// Something the reader skipped, so a check can say why a call it looked for is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub loc: Loc,
    pub kind: NoteKind,
    /// The IPython command (`%pip`, `!mlflow`, `%%bash`), or the parser's view of the error.
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// An IPython magic, shell or help line, left out of the parse.
    IpythonLine,
    /// A cell magic whose body is not Python (`%%bash`, `%%writefile`): the whole cell.
    NonPythonCell,
    /// A cell (or script) that does not parse even without its IPython lines.
    SyntaxError,
}

/// Everything read from one notebook or script, in source order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PythonFacts {
    pub calls: Vec<Call>,
    pub imports: Vec<Import>,
    pub assignments: Vec<Assignment>,
    pub secrets: Vec<Secret>,
    pub absolute_paths: Vec<AbsolutePath>,
    pub notes: Vec<Note>,
    /// Cells (or the script) that were parsed and read; the others have a note.
    pub parsed: usize,
}

impl PythonFacts {
    /// Reads notebook code cells in execution order, each with the caller's cell index;
    /// names bound in one cell are known in the next, as in the kernel.
    pub fn from_cells<'a>(cells: impl IntoIterator<Item = (usize, &'a str)>) -> Self {
        let mut reader = walk::Reader::new();
        for (index, source) in cells {
            reader.read(Some(index), source);
        }
        reader.finish()
    }

    /// Reads a `.py` script (or any single piece of Python); locations have no cell.
    pub fn from_script(source: &str) -> Self {
        let mut reader = walk::Reader::new();
        reader.read(None, source);
        reader.finish()
    }

    /// Calls whose callee matches `name` (see [`Call::matches`]), in source order.
    pub fn calls_named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Call> {
        self.calls.iter().filter(move |c| c.matches(name))
    }

    /// Whether `module` or one of its submodules is imported (`mlflow` is by `import mlflow.sklearn`).
    pub fn imports_module(&self, module: &str) -> bool {
        self.imports.iter().any(|i| {
            i.module
                .strip_prefix(module)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    }

    /// The last constant assigned to `name` anywhere, e.g. to report `TEST_SIZE = 0.3`.
    pub fn constant(&self, name: &str) -> Option<&Value> {
        self.assignments
            .iter()
            .rev()
            .find(|a| a.name == name)
            .map(|a| &a.value)
    }
}

#[cfg(test)]
mod tests;
