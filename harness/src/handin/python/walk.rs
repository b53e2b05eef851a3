//! One pass over each cell's tree in source order, following names bound to constants the
//! way the kernel would run the cells top to bottom.

use std::collections::HashMap;

use tree_sitter::{Node, Parser};

use super::cells::{Parsed, parse_cell};
use super::scan::{is_absolute_path, is_secret_name, secret_in};
use super::value::{MAX_ITEMS, Value, binary, capped_str, parse_float, parse_int, unary};
use super::{AbsolutePath, Assignment, Call, Import, Loc, Note, NoteKind, PythonFacts, Secret};

/// Deepest expression nesting evaluated; deeper values are unknown (and the stack stays small).
const MAX_DEPTH: u32 = 32;
/// Nodes one evaluation may visit before giving up, so a call with huge literal arguments
/// costs the same as a small one.
const EVAL_BUDGET: usize = 10_000;
/// Longest callee name or path kept.
const MAX_NAME: usize = 200;

/// A scope of names: the module, a function or lambda, a comprehension, or a class body (whose
/// constants are also reachable as `Class.NAME` from outside).
struct Scope {
    names: HashMap<String, Value>,
    class: Option<String>,
}

pub(super) struct Reader {
    parser: Option<Parser>,
    facts: PythonFacts,
    scopes: Vec<Scope>,
    /// Local name → what it was imported as (`tts` → `sklearn.model_selection.train_test_split`).
    imports: HashMap<String, String>,
}

impl Reader {
    pub(super) fn new() -> Self {
        let mut parser = Parser::new();
        // Only fails when the grammar and the library disagree on ABI, a build problem; every
        // cell then gets a note instead of a panic.
        let parser = parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .is_ok()
            .then_some(parser);
        Reader {
            parser,
            facts: PythonFacts::default(),
            scopes: vec![Scope {
                names: HashMap::new(),
                class: None,
            }],
            imports: HashMap::new(),
        }
    }

    pub(super) fn read(&mut self, cell: Option<usize>, source: &str) {
        let Some(parser) = self.parser.as_mut() else {
            self.facts.notes.push(Note {
                loc: Loc { cell, line: 1 },
                kind: NoteKind::SyntaxError,
                detail: "the Python grammar could not be loaded".into(),
            });
            return;
        };
        let Some(Parsed { text, tree }) = parse_cell(
            parser,
            cell,
            source,
            &mut self.facts.notes,
            &mut self.facts.secrets,
        ) else {
            return;
        };
        self.facts.parsed += 1;
        self.walk(tree.root_node(), &text, cell);
        // A function or class cut short by the end of a cell cannot leak its scope.
        self.scopes.truncate(1);
    }

    pub(super) fn finish(self) -> PythonFacts {
        self.facts
    }

    /// Visits every node without recursion, calling `enter` before a node's children and
    /// `exit` after them (a cell may nest thousands of brackets deep).
    fn walk(&mut self, root: Node<'_>, src: &str, cell: Option<usize>) {
        let mut cursor = root.walk();
        // Ancestors kept here: tree-sitter finds a node's parent by descending from the root,
        // which made a long script quadratic.
        let mut parents: Vec<Node<'_>> = Vec::new();
        loop {
            let node = cursor.node();
            self.enter(node, parents.last().copied(), src, cell);
            if cursor.goto_first_child() {
                parents.push(node);
                continue;
            }
            loop {
                self.exit(cursor.node(), src, cell);
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return;
                }
                parents.pop();
            }
        }
    }

    fn enter(&mut self, node: Node<'_>, parent: Option<Node<'_>>, src: &str, cell: Option<usize>) {
        let loc = loc(node, cell);
        match node.kind() {
            "call" => self.record_call(node, src, loc),
            "import_statement" | "import_from_statement" => self.record_import(node, src, loc),
            "function_definition" | "class_definition" => {
                let name = node
                    .child_by_field_name("name")
                    .map(|n| text(n, src).to_string());
                if let Some(name) = &name {
                    self.bind(name, Value::Unknown, None);
                }
                let class = if node.kind() == "class_definition" {
                    name
                } else {
                    None
                };
                self.scopes.push(Scope {
                    names: HashMap::new(),
                    class,
                });
                if let Some(params) = node.child_by_field_name("parameters") {
                    self.bind_parameters(params, src);
                }
            }
            "lambda" => {
                self.scopes.push(Scope {
                    names: HashMap::new(),
                    class: None,
                });
                if let Some(params) = node.child_by_field_name("parameters") {
                    self.bind_parameters(params, src);
                }
            }
            "list_comprehension"
            | "set_comprehension"
            | "dictionary_comprehension"
            | "generator_expression" => {
                self.scopes.push(Scope {
                    names: HashMap::new(),
                    class: None,
                });
            }
            "for_statement" | "for_in_clause" => {
                if let Some(left) = node.child_by_field_name("left") {
                    self.bind_target(left, Value::Unknown, src, None);
                }
            }
            "as_pattern" => {
                if let Some(alias) = node.child_by_field_name("alias") {
                    self.bind_target(alias, Value::Unknown, src, None);
                }
            }
            "string" if parent.is_none_or(|p| p.kind() != "concatenated_string") => {
                self.scan_literal(node, parent, src, loc);
            }
            "concatenated_string" => self.scan_literal(node, parent, src, loc),
            "comment" => {
                if let Some(kind) = secret_in(text(node, src)) {
                    self.facts.secrets.push(Secret {
                        name: None,
                        kind,
                        loc,
                    });
                }
            }
            _ => {}
        }
    }

    fn exit(&mut self, node: Node<'_>, src: &str, cell: Option<usize>) {
        let loc = loc(node, cell);
        match node.kind() {
            "assignment" => {
                if let (Some(left), Some(right)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                ) {
                    let value = self.eval(right, src);
                    self.bind_target(left, value, src, Some(loc));
                }
            }
            "augmented_assignment" => {
                let (Some(left), Some(right), Some(op)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                    node.child_by_field_name("operator"),
                ) else {
                    return;
                };
                let current = self.eval(left, src);
                let value = binary(
                    text(op, src).trim_end_matches('='),
                    current,
                    self.eval(right, src),
                );
                self.bind_target(left, value, src, Some(loc));
            }
            "named_expression" => {
                if let (Some(name), Some(value)) = (
                    node.child_by_field_name("name"),
                    node.child_by_field_name("value"),
                ) {
                    let value = self.eval(value, src);
                    self.bind_target(name, value, src, Some(loc));
                }
            }
            "function_definition"
            | "class_definition"
            | "lambda"
            | "list_comprehension"
            | "set_comprehension"
            | "dictionary_comprehension"
            | "generator_expression"
                if self.scopes.len() > 1 =>
            {
                self.scopes.pop();
            }
            _ => {}
        }
    }

    fn record_call(&mut self, node: Node<'_>, src: &str, loc: Loc) {
        let Some(function) = node.child_by_field_name("function") else {
            return;
        };
        let callee = dotted(function, src);
        let resolved = self.resolve(&callee);
        let mut call = Call {
            callee,
            resolved,
            args: Vec::new(),
            kwargs: Vec::new(),
            unpacked_unknown: false,
            loc,
        };
        match node.child_by_field_name("arguments") {
            Some(args) if args.kind() == "argument_list" => {
                for arg in named_children(args) {
                    match arg.kind() {
                        "keyword_argument" => {
                            let name = arg
                                .child_by_field_name("name")
                                .map_or("", |n| text(n, src))
                                .to_string();
                            let value = match arg.child_by_field_name("value") {
                                Some(_) if is_secret_name(&name) => Value::Unknown,
                                Some(v) => self.eval(v, src),
                                None => Value::Unknown,
                            };
                            call.kwargs.push((name, value));
                        }
                        "list_splat" => match first_named(arg).map(|v| self.eval(v, src)) {
                            Some(Value::List(items)) => call.args.extend(items),
                            _ => {
                                call.args.push(Value::Unknown);
                                call.unpacked_unknown = true;
                            }
                        },
                        "dictionary_splat" => match first_named(arg).map(|v| self.eval(v, src)) {
                            Some(Value::Dict(pairs)) => call.kwargs.extend(pairs),
                            _ => call.unpacked_unknown = true,
                        },
                        _ => call.args.push(self.eval(arg, src)),
                    }
                }
            }
            // `sum(x for x in xs)`: the generator is the one argument.
            Some(_) => call.args.push(Value::Unknown),
            None => {}
        }
        // `params.update(...)`, `layers.append(...)`: the constant no longer holds.
        if let Some((object, method)) = call.callee.rsplit_once('.')
            && is_identifier(object)
            && MUTATORS.contains(&method)
            && matches!(self.lookup(object), Value::List(_) | Value::Dict(_))
        {
            self.bind(object, Value::Unknown, None);
        }
        self.facts.calls.push(call);
    }

    fn record_import(&mut self, node: Node<'_>, src: &str, loc: Loc) {
        let mut cursor = node.walk();
        let names: Vec<Node<'_>> = node.children_by_field_name("name", &mut cursor).collect();
        let split = |n: Node<'_>| -> (String, Option<String>) {
            if n.kind() == "aliased_import" {
                let name = n
                    .child_by_field_name("name")
                    .map_or(String::new(), |m| compact(text(m, src)));
                let alias = n
                    .child_by_field_name("alias")
                    .map(|a| text(a, src).to_string());
                (name, alias)
            } else {
                (compact(text(n, src)), None)
            }
        };
        if node.kind() == "import_statement" {
            for n in names {
                let (module, alias) = split(n);
                let local = alias
                    .clone()
                    .unwrap_or_else(|| module.split('.').next().unwrap_or("").to_string());
                if let Some(alias) = &alias {
                    self.imports.insert(alias.clone(), module.clone());
                }
                self.bind(&local, Value::Unknown, None);
                self.facts.imports.push(Import {
                    module,
                    alias,
                    names: Vec::new(),
                    loc,
                });
            }
            return;
        }
        let module = node
            .child_by_field_name("module_name")
            .map_or(String::new(), |m| compact(text(m, src)));
        let mut imported: Vec<(String, Option<String>)> = names.into_iter().map(split).collect();
        if named_children(node).any(|c| c.kind() == "wildcard_import") {
            imported.push(("*".into(), None));
        }
        for (name, alias) in &imported {
            if name == "*" {
                continue;
            }
            let local = alias.as_deref().unwrap_or(name);
            let full = if module.ends_with('.') {
                format!("{module}{name}")
            } else {
                format!("{module}.{name}")
            };
            self.imports.insert(local.to_string(), full);
            self.bind(local, Value::Unknown, None);
        }
        self.facts.imports.push(Import {
            module,
            alias: None,
            names: imported,
            loc,
        });
    }

    /// Credentials and absolute paths in one literal (a string, or adjacent strings joined).
    fn scan_literal(&mut self, node: Node<'_>, parent: Option<Node<'_>>, src: &str, loc: Loc) {
        let literal = literal_text(node, src);
        let name = parent.and_then(|p| context_name(node, p, src, |n| self.eval(n, src)));
        if let Some(kind) = secret_in(&literal) {
            self.facts.secrets.push(Secret { name, kind, loc });
            return;
        }
        if let Some(name) = name.filter(|n| is_secret_name(n) && !literal.is_empty()) {
            self.facts.secrets.push(Secret {
                name: Some(name),
                kind: super::SecretKind::NamedSecret,
                loc,
            });
            return;
        }
        // A docstring that mentions a path is not code that depends on it.
        let docstring = parent.is_some_and(|p| p.kind() == "expression_statement");
        if !docstring && is_absolute_path(&literal) {
            self.facts.absolute_paths.push(AbsolutePath {
                path: shorten(&literal),
                loc,
            });
        }
    }

    fn bind_parameters(&mut self, params: Node<'_>, src: &str) {
        for p in named_children(params) {
            let name = if p.kind() == "identifier" {
                Some(p)
            } else {
                p.child_by_field_name("name")
                    .or_else(|| named_children(p).find(|c| c.kind() == "identifier"))
            };
            if let Some(name) = name {
                let name = text(name, src).to_string();
                self.bind(&name, Value::Unknown, None);
            }
        }
    }

    /// Binds an assignment target: names, tuples of them (`a, b = 1, 2`), `*rest`, and keys of
    /// a dict constant (`params["lr"] = 0.01`). Attributes are left alone.
    fn bind_target(&mut self, target: Node<'_>, value: Value, src: &str, loc: Option<Loc>) {
        match target.kind() {
            "identifier" => {
                let name = text(target, src).to_string();
                self.bind(&name, value, loc);
            }
            "pattern_list" | "tuple_pattern" | "list_pattern" | "tuple" | "list"
            | "expression_list" => {
                let targets: Vec<Node<'_>> = named_children(target).collect();
                let starred = targets
                    .iter()
                    .any(|t| matches!(t.kind(), "list_splat_pattern" | "list_splat"));
                match value {
                    Value::List(items) if !starred && items.len() == targets.len() => {
                        for (t, v) in targets.into_iter().zip(items) {
                            self.bind_target(t, v, src, loc);
                        }
                    }
                    _ => {
                        for t in targets {
                            self.bind_target(t, Value::Unknown, src, None);
                        }
                    }
                }
            }
            "list_splat_pattern" | "list_splat" | "parenthesized_expression" => {
                if let Some(inner) = first_named(target) {
                    self.bind_target(inner, Value::Unknown, src, None);
                }
            }
            "subscript" => {
                let (Some(object), Some(key)) = (
                    target.child_by_field_name("value"),
                    target.child_by_field_name("subscript"),
                ) else {
                    return;
                };
                if object.kind() != "identifier" {
                    return;
                }
                let object = text(object, src).to_string();
                let updated = match (self.lookup(&object), self.eval(key, src)) {
                    (Value::Dict(mut pairs), Value::Str(key)) if pairs.len() < MAX_ITEMS => {
                        let value = if is_secret_name(&key) {
                            Value::Unknown
                        } else {
                            value
                        };
                        pairs.retain(|(k, _)| *k != key);
                        pairs.push((key, value));
                        Value::Dict(pairs)
                    }
                    (Value::Unknown, _) => return,
                    _ => Value::Unknown,
                };
                self.bind(&object, updated, None);
            }
            _ => {}
        }
    }

    /// Binds a name in the innermost scope; a known constant (and not a credential) is also
    /// recorded as an assignment when `loc` is given.
    fn bind(&mut self, name: &str, value: Value, loc: Option<Loc>) {
        let value = if is_secret_name(name) {
            Value::Unknown
        } else {
            value
        };
        if let Some(loc) = loc
            && value.is_known()
        {
            self.facts.assignments.push(Assignment {
                name: name.to_string(),
                value: value.clone(),
                loc,
            });
        }
        let depth = self.scopes.len();
        if let Some(class) = self.scopes.last().and_then(|s| s.class.clone())
            && depth >= 2
        {
            self.scopes[depth - 2]
                .names
                .insert(format!("{class}.{name}"), value.clone());
        }
        if let Some(scope) = self.scopes.last_mut() {
            scope.names.insert(name.to_string(), value);
        }
    }

    fn lookup(&self, name: &str) -> Value {
        self.scopes
            .iter()
            .rev()
            .find_map(|s| s.names.get(name))
            .cloned()
            .unwrap_or(Value::Unknown)
    }

    fn resolve(&self, callee: &str) -> String {
        let end = callee.find(['.', '(', '[']).unwrap_or(callee.len());
        match self.imports.get(&callee[..end]) {
            Some(full) => format!("{full}{}", &callee[end..]),
            None => callee.to_string(),
        }
    }

    fn eval(&self, node: Node<'_>, src: &str) -> Value {
        let mut budget = EVAL_BUDGET;
        self.eval_in(node, src, 0, &mut budget)
    }

    fn eval_in(&self, node: Node<'_>, src: &str, depth: u32, budget: &mut usize) -> Value {
        if depth > MAX_DEPTH || *budget == 0 {
            return Value::Unknown;
        }
        *budget -= 1;
        let sub = |n: Option<Node<'_>>, budget: &mut usize| {
            n.map_or(Value::Unknown, |n| self.eval_in(n, src, depth + 1, budget))
        };
        match node.kind() {
            "integer" => parse_int(text(node, src)),
            "float" => parse_float(text(node, src)),
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "none" => Value::None,
            "string" => self.eval_string(node, src, depth, budget),
            "concatenated_string" => {
                let mut out = String::new();
                for part in named_children(node) {
                    match self.eval_string(part, src, depth, budget) {
                        Value::Str(s) if out.len() + s.len() <= super::value::MAX_STR => {
                            out.push_str(&s)
                        }
                        _ => return Value::Unknown,
                    }
                }
                Value::Str(out)
            }
            "parenthesized_expression" => sub(first_named(node), budget),
            "unary_operator" => {
                let op = node
                    .child_by_field_name("operator")
                    .map_or("", |o| text(o, src));
                unary(op, sub(node.child_by_field_name("argument"), budget))
            }
            "not_operator" => unary("not", sub(node.child_by_field_name("argument"), budget)),
            "binary_operator" => {
                let op = node
                    .child_by_field_name("operator")
                    .map_or("", |o| text(o, src));
                let left = sub(node.child_by_field_name("left"), budget);
                if !left.is_known() {
                    return Value::Unknown;
                }
                binary(op, left, sub(node.child_by_field_name("right"), budget))
            }
            "tuple" | "list" | "expression_list" => {
                let mut items = Vec::new();
                for item in named_children(node) {
                    if items.len() >= MAX_ITEMS {
                        return Value::Unknown;
                    }
                    if item.kind() == "list_splat" {
                        match sub(first_named(item), budget) {
                            Value::List(more) if items.len() + more.len() <= MAX_ITEMS => {
                                items.extend(more)
                            }
                            _ => return Value::Unknown,
                        }
                    } else {
                        items.push(self.eval_in(item, src, depth + 1, budget));
                    }
                }
                Value::List(items)
            }
            "dictionary" => {
                let mut pairs: Vec<(String, Value)> = Vec::new();
                for item in named_children(node) {
                    if pairs.len() >= MAX_ITEMS {
                        return Value::Unknown;
                    }
                    match item.kind() {
                        "pair" => {
                            let Value::Str(key) = sub(item.child_by_field_name("key"), budget)
                            else {
                                return Value::Unknown;
                            };
                            let value = if is_secret_name(&key) {
                                Value::Unknown
                            } else {
                                sub(item.child_by_field_name("value"), budget)
                            };
                            pairs.retain(|(k, _)| *k != key);
                            pairs.push((key, value));
                        }
                        "dictionary_splat" => match sub(first_named(item), budget) {
                            Value::Dict(more) => {
                                for (k, v) in more {
                                    pairs.retain(|(old, _)| *old != k);
                                    pairs.push((k, v));
                                }
                            }
                            _ => return Value::Unknown,
                        },
                        _ => return Value::Unknown,
                    }
                }
                Value::Dict(pairs)
            }
            "identifier" => self.lookup(text(node, src)),
            "attribute" => {
                let dotted = text(node, src);
                if is_dotted_identifier(dotted) {
                    self.lookup(dotted)
                } else {
                    Value::Unknown
                }
            }
            "subscript" => {
                let value = sub(node.child_by_field_name("value"), budget);
                let mut cursor = node.walk();
                let keys: Vec<Node<'_>> = node
                    .children_by_field_name("subscript", &mut cursor)
                    .collect();
                let [key] = keys.as_slice() else {
                    return Value::Unknown;
                };
                match (value, sub(Some(*key), budget)) {
                    (Value::Dict(pairs), Value::Str(k)) => pairs
                        .into_iter()
                        .rev()
                        .find(|(p, _)| *p == k)
                        .map_or(Value::Unknown, |(_, v)| v),
                    (Value::List(items), Value::Int(i)) => {
                        let len = items.len() as i64;
                        let i = if i < 0 { i + len } else { i };
                        usize::try_from(i)
                            .ok()
                            .and_then(|i| items.into_iter().nth(i))
                            .unwrap_or(Value::Unknown)
                    }
                    _ => Value::Unknown,
                }
            }
            // `dict(lr=0.01, epochs=5)` is as constant as a dict display.
            "call" => {
                let is_dict = node
                    .child_by_field_name("function")
                    .is_some_and(|f| text(f, src) == "dict");
                let Some(args) = node.child_by_field_name("arguments").filter(|_| is_dict) else {
                    return Value::Unknown;
                };
                let mut pairs = Vec::new();
                for arg in named_children(args) {
                    if arg.kind() != "keyword_argument" || pairs.len() >= MAX_ITEMS {
                        return Value::Unknown;
                    }
                    let key = arg
                        .child_by_field_name("name")
                        .map_or("", |n| text(n, src))
                        .to_string();
                    let value = if is_secret_name(&key) {
                        Value::Unknown
                    } else {
                        sub(arg.child_by_field_name("value"), budget)
                    };
                    pairs.push((key, value));
                }
                Value::Dict(pairs)
            }
            "assignment" => sub(node.child_by_field_name("right"), budget),
            "named_expression" => sub(node.child_by_field_name("value"), budget),
            _ => Value::Unknown,
        }
    }

    /// A string literal, f-strings included when every replacement field is a known value
    /// without a format spec or conversion. Bytes are unknown; so is a literal holding a
    /// credential, which must never be copied into the facts.
    fn eval_string(&self, node: Node<'_>, src: &str, depth: u32, budget: &mut usize) -> Value {
        if node.kind() != "string" {
            return Value::Unknown;
        }
        let Some(prefix) = string_prefix(node, src) else {
            return Value::Unknown;
        };
        if prefix.contains(['b', 't']) {
            return Value::Unknown;
        }
        let (raw, fstring) = (prefix.contains('r'), prefix.contains('f'));
        let mut out = String::new();
        for part in named_children(node) {
            match part.kind() {
                "string_start" | "string_end" => {}
                "string_content" => match content(part, src, raw, fstring) {
                    Some(s) => out.push_str(&s),
                    None => return Value::Unknown,
                },
                "interpolation" if fstring => {
                    let plain = part.child_by_field_name("type_conversion").is_none()
                        && part.child_by_field_name("format_specifier").is_none()
                        && !unnamed_children(part).any(|c| c.kind() == "=");
                    let value = match part.child_by_field_name("expression") {
                        Some(e) if plain => self.eval_in(e, src, depth + 1, budget),
                        _ => Value::Unknown,
                    };
                    match value.py_str() {
                        Some(s) => out.push_str(&s),
                        None => return Value::Unknown,
                    }
                }
                _ => return Value::Unknown,
            }
            if out.len() > super::value::MAX_STR {
                return Value::Unknown;
            }
        }
        if secret_in(&out).is_some() {
            return Value::Unknown;
        }
        capped_str(out)
    }
}

/// Methods that change a list or dict in place.
const MUTATORS: &[&str] = &[
    "append",
    "extend",
    "insert",
    "pop",
    "remove",
    "clear",
    "update",
    "setdefault",
    "sort",
    "reverse",
    "popitem",
];

fn loc(node: Node<'_>, cell: Option<usize>) -> Loc {
    Loc {
        cell,
        line: node.start_position().row + 1,
    }
}

fn text<'s>(node: Node<'_>, src: &'s str) -> &'s str {
    src.get(node.byte_range()).unwrap_or("")
}

/// Named children other than comments (which tree-sitter attaches anywhere). Through a
/// cursor: `Node::named_child(i)` walks from the first child, quadratic over a long list.
fn named_children<'t>(node: Node<'t>) -> impl Iterator<Item = Node<'t>> {
    let mut cursor = node.walk();
    let children: Vec<Node<'t>> = node
        .named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .collect();
    children.into_iter()
}

fn unnamed_children<'t>(node: Node<'t>) -> impl Iterator<Item = Node<'t>> {
    let mut cursor = node.walk();
    let children: Vec<Node<'t>> = node
        .children(&mut cursor)
        .filter(|c| !c.is_named())
        .collect();
    children.into_iter()
}

fn first_named(node: Node<'_>) -> Option<Node<'_>> {
    named_children(node).next()
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
}

fn is_dotted_identifier(s: &str) -> bool {
    s.split('.').all(is_identifier)
}

/// Strips the spaces Python allows inside dotted names (`import a . b`).
fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn shorten(s: &str) -> String {
    match s.char_indices().nth(MAX_NAME) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The dotted name of a callee, built from the outside in without recursion:
/// `a.b(x).c[0].d` → `a.b().c[].d`; anything that is not a name shows as `?`.
fn dotted(node: Node<'_>, src: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = node;
    let head = loop {
        if parts.len() >= 64 {
            break "…".to_string();
        }
        match cur.kind() {
            "identifier" => break text(cur, src).to_string(),
            "attribute" => {
                let attr = cur
                    .child_by_field_name("attribute")
                    .map_or("?", |a| text(a, src));
                parts.push(format!(".{attr}"));
                match cur.child_by_field_name("object") {
                    Some(o) => cur = o,
                    None => break "?".into(),
                }
            }
            "call" => {
                parts.push("()".into());
                match cur.child_by_field_name("function") {
                    Some(f) => cur = f,
                    None => break "?".into(),
                }
            }
            "subscript" => {
                parts.push("[]".into());
                match cur.child_by_field_name("value") {
                    Some(v) => cur = v,
                    None => break "?".into(),
                }
            }
            "parenthesized_expression" => match first_named(cur) {
                Some(inner) => cur = inner,
                None => break "?".into(),
            },
            "string" | "concatenated_string" => break "''".into(),
            _ => break "?".into(),
        }
    };
    let mut out = head;
    for p in parts.iter().rev() {
        out.push_str(p);
    }
    shorten(&out)
}

/// `f`, `rb`, `` for a string node, lower-cased; `None` when the node has no start token.
fn string_prefix(node: Node<'_>, src: &str) -> Option<String> {
    let start = named_children(node).find(|c| c.kind() == "string_start")?;
    Some(
        text(start, src)
            .trim_end_matches(['"', '\''])
            .to_ascii_lowercase(),
    )
}

/// The characters a piece of string content stands for.
fn content(part: Node<'_>, src: &str, raw: bool, fstring: bool) -> Option<String> {
    let t = text(part, src);
    let t = if fstring {
        t.replace("{{", "{").replace("}}", "}")
    } else {
        t.to_string()
    };
    if raw {
        Some(t)
    } else {
        super::value::unescape(&t)
    }
}

/// What a literal says, for scanning: content decoded where possible, `{}` for each
/// replacement field, adjacent strings joined.
fn literal_text(node: Node<'_>, src: &str) -> String {
    let strings: Vec<Node<'_>> = if node.kind() == "concatenated_string" {
        named_children(node).collect()
    } else {
        vec![node]
    };
    let mut out = String::new();
    for s in strings {
        let prefix = string_prefix(s, src).unwrap_or_default();
        let (raw, fstring) = (prefix.contains('r'), prefix.contains('f'));
        for part in named_children(s) {
            match part.kind() {
                "string_content" => {
                    let decoded = content(part, src, raw, fstring);
                    out.push_str(decoded.as_deref().unwrap_or_else(|| text(part, src)));
                }
                "interpolation" => out.push_str("{}"),
                _ => {}
            }
            if out.len() > 16 * super::value::MAX_STR {
                return out;
            }
        }
    }
    out
}

/// The name a literal is given to: `TOKEN = "…"`, `login(token="…")`, `{"password": "…"}`,
/// `os.environ["HF_TOKEN"] = "…"`, `def f(api_key="…")`.
fn context_name(
    node: Node<'_>,
    parent: Node<'_>,
    src: &str,
    eval: impl Fn(Node<'_>) -> Value,
) -> Option<String> {
    let is = |field: &str| {
        parent
            .child_by_field_name(field)
            .is_some_and(|n| n.id() == node.id())
    };
    match parent.kind() {
        "assignment" if is("right") => {
            let left = parent.child_by_field_name("left")?;
            match left.kind() {
                "identifier" => Some(text(left, src).to_string()),
                "attribute" => left
                    .child_by_field_name("attribute")
                    .map(|a| text(a, src).to_string()),
                "subscript" => match eval(left.child_by_field_name("subscript")?) {
                    Value::Str(key) => Some(key),
                    _ => None,
                },
                _ => None,
            }
        }
        "keyword_argument" | "default_parameter" | "typed_default_parameter" if is("value") => {
            parent
                .child_by_field_name("name")
                .map(|n| text(n, src).to_string())
        }
        "pair" if is("value") => match eval(parent.child_by_field_name("key")?) {
            Value::Str(key) => Some(key),
            _ => None,
        },
        _ => None,
    }
}
