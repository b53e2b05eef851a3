//! Request bodies → a batch of rows, checked against the model's signature: MLflow's scoring
//! formats (`dataframe_split`, `dataframe_records`, `instances`, `inputs`, CSV) and the seed's
//! `/predict` body. Pure: bytes in, rows or a message naming the problem out.

use serde_json::{Map, Value};

/// What the model takes: named columns (a column-based signature, or the feature names of our
/// tree file) or one float tensor `[-1, width]` (MNIST, or an ONNX file without a signature).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum InputSchema {
    Columns(Vec<Column>),
    Tensor { width: usize },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) kind: ColumnKind,
}

/// The MLflow column types a classifier over numbers can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnKind {
    Double,
    Float,
    Long,
    Integer,
    Boolean,
}

impl ColumnKind {
    /// The kind of an MLflow `ColSpec` type; `None` for types no numeric model takes.
    pub(crate) fn parse(mlflow_type: &str) -> Option<ColumnKind> {
        Some(match mlflow_type {
            "double" => ColumnKind::Double,
            "float" => ColumnKind::Float,
            "long" => ColumnKind::Long,
            "integer" => ColumnKind::Integer,
            "boolean" => ColumnKind::Boolean,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            ColumnKind::Double => "double",
            ColumnKind::Float => "float",
            ColumnKind::Long => "long",
            ColumnKind::Integer => "integer",
            ColumnKind::Boolean => "boolean",
        }
    }
}

impl InputSchema {
    pub(crate) fn width(&self) -> usize {
        match self {
            InputSchema::Columns(c) => c.len(),
            InputSchema::Tensor { width } => *width,
        }
    }

    fn kind(&self, i: usize) -> ColumnKind {
        match self {
            InputSchema::Columns(c) => c[i].kind,
            InputSchema::Tensor { .. } => ColumnKind::Float,
        }
    }

    /// How a value's position is named in messages.
    fn column_label(&self, i: usize) -> String {
        match self {
            InputSchema::Columns(c) => format!("column `{}`", c[i].name),
            InputSchema::Tensor { .. } => format!("element {i}"),
        }
    }

    fn names(&self) -> String {
        match self {
            InputSchema::Columns(c) => c
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            InputSchema::Tensor { width } => format!("a tensor of {width} floats per row"),
        }
    }

    /// For each given column name, its position in the schema; every schema column must be
    /// named exactly once.
    fn positions(&self, given: &[&str]) -> Result<Vec<usize>, InputError> {
        let InputSchema::Columns(columns) = self else {
            if given.len() != self.width() {
                return Err(InputError::new(format!(
                    "{} columns given; the model takes {}",
                    given.len(),
                    self.names()
                )));
            }
            return Ok((0..given.len()).collect());
        };
        let mut seen = vec![false; columns.len()];
        let mut positions = Vec::with_capacity(given.len());
        for name in given {
            let Some(at) = columns.iter().position(|c| c.name == *name) else {
                let hint = if name.is_empty() || name.starts_with("Unnamed: ") {
                    " (a pandas index? write the frame with index=False)"
                } else {
                    ""
                };
                return Err(InputError::new(format!(
                    "unknown column `{name}`{hint}; the model takes: {}",
                    self.names()
                )));
            };
            if std::mem::replace(&mut seen[at], true) {
                return Err(InputError::new(format!("column `{name}` is given twice")));
            }
            positions.push(at);
        }
        let missing: Vec<&str> = columns
            .iter()
            .zip(&seen)
            .filter(|(_, s)| !**s)
            .map(|(c, _)| c.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(InputError::new(format!(
                "missing column{} `{}`; the model takes: {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join("`, `"),
                self.names()
            )));
        }
        Ok(positions)
    }
}

/// Rows of `width` finite values, row-major.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Batch {
    pub(crate) rows: usize,
    pub(crate) values: Vec<f64>,
}

/// Why a request body is not a batch the model can score (answered as `BAD_REQUEST`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct InputError(pub(crate) String);

impl InputError {
    fn new(message: impl Into<String>) -> Self {
        InputError(message.into())
    }
}

/// The formats of MLflow's JSON scoring protocol.
const FORMATS: [&str; 4] = [
    "dataframe_split",
    "dataframe_records",
    "instances",
    "inputs",
];

/// Builds a batch row by row, refusing what the schema does not take.
struct Builder<'a> {
    schema: &'a InputSchema,
    max_rows: usize,
    rows: usize,
    values: Vec<f64>,
}

impl<'a> Builder<'a> {
    fn new(schema: &'a InputSchema, max_rows: usize) -> Self {
        Builder {
            schema,
            max_rows,
            rows: 0,
            values: Vec::new(),
        }
    }

    /// Room for one more row, or the message that the batch is too big.
    fn start_row(&mut self) -> Result<(), InputError> {
        if self.rows == self.max_rows {
            return Err(InputError::new(format!(
                "the batch has more than {} rows, the server's limit (--max-batch-rows); send it in smaller batches",
                self.max_rows
            )));
        }
        self.rows += 1;
        self.values
            .resize(self.values.len() + self.schema.width(), f64::NAN);
        Ok(())
    }

    fn set(&mut self, column: usize, value: f64) {
        let at = self.values.len() - self.schema.width() + column;
        self.values[at] = value;
    }

    fn set_json(&mut self, column: usize, value: &Value) -> Result<(), InputError> {
        let v = json_number(value, self.schema.kind(column)).map_err(|why| {
            InputError::new(format!(
                "row {}, {}: {why}",
                self.rows - 1,
                self.schema.column_label(column)
            ))
        })?;
        self.set(column, v);
        Ok(())
    }

    /// One positional row: exactly `width` values (nested arrays flattened, for images).
    fn positional_row(&mut self, row: &Value) -> Result<(), InputError> {
        self.start_row()?;
        let mut flat = Vec::new();
        flatten(row, &mut flat);
        if flat.len() != self.schema.width() {
            return Err(InputError::new(format!(
                "row {} has {} values; the model takes {} ({})",
                self.rows - 1,
                flat.len(),
                self.schema.width(),
                self.schema.names()
            )));
        }
        for (i, v) in flat.into_iter().enumerate() {
            self.set_json(i, v)?;
        }
        Ok(())
    }

    /// One `{column: value}` record.
    fn named_row(&mut self, record: &Map<String, Value>) -> Result<(), InputError> {
        if matches!(self.schema, InputSchema::Tensor { .. }) {
            return Err(InputError::new(format!(
                "records with named columns were given; the model takes {} (send `instances` or `inputs` as lists of numbers)",
                self.schema.names()
            )));
        }
        let names: Vec<&str> = record.keys().map(String::as_str).collect();
        let positions = self
            .schema
            .positions(&names)
            .map_err(|e| InputError::new(format!("row {}: {}", self.rows, e.0)))?;
        self.start_row()?;
        for (value, at) in record.values().zip(positions) {
            self.set_json(at, value)?;
        }
        Ok(())
    }

    fn finish(self) -> Result<Batch, InputError> {
        if self.rows == 0 {
            return Err(InputError::new(
                "the batch has no rows; send at least one row",
            ));
        }
        Ok(Batch {
            rows: self.rows,
            values: self.values,
        })
    }
}

fn flatten<'v>(value: &'v Value, out: &mut Vec<&'v Value>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| flatten(v, out)),
        other => out.push(other),
    }
}

/// A JSON value as a finite number of `kind`, or why not.
fn json_number(value: &Value, kind: ColumnKind) -> Result<f64, String> {
    let v = match value {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| format!("{n} is not a number this model can take"))?,
        Value::Bool(b) if kind == ColumnKind::Boolean => f64::from(u8::from(*b)),
        Value::Null => return Err("missing value (null)".into()),
        Value::String(s) => {
            let shown: String = s.chars().take(40).collect();
            return Err(format!(
                "expected a number ({}), got the string {shown:?}",
                kind.name()
            ));
        }
        other => {
            return Err(format!(
                "expected a number ({}), got {}",
                kind.name(),
                json_kind(other)
            ));
        }
    };
    check_number(v, kind)
}

/// `v` if it is finite and fits `kind`.
fn check_number(v: f64, kind: ColumnKind) -> Result<f64, String> {
    if !v.is_finite() {
        return Err(format!("{v} is not a finite number"));
    }
    match kind {
        ColumnKind::Long | ColumnKind::Integer if v.fract() != 0.0 => {
            Err(format!("{v} is not a whole number ({})", kind.name()))
        }
        ColumnKind::Boolean if v != 0.0 && v != 1.0 => {
            Err(format!("{v} is not a boolean (0/1, true/false)"))
        }
        _ => Ok(v),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, InputError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        InputError::new(format!(
            "the body is not valid JSON: {e} (NaN and Infinity are not JSON)"
        ))
    })?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(InputError::new(format!(
            "the body must be a JSON object with one of the keys {}; got {}",
            FORMATS.join(", "),
            json_kind(&other)
        ))),
    }
}

/// A JSON body of MLflow's scoring protocol.
pub(crate) fn parse_json(
    body: &[u8],
    schema: &InputSchema,
    max_rows: usize,
) -> Result<Batch, InputError> {
    let object = parse_object(body)?;
    let given: Vec<&str> = FORMATS
        .iter()
        .copied()
        .filter(|k| object.contains_key(*k))
        .collect();
    let [format] = given[..] else {
        let keys: Vec<&str> = object.keys().map(String::as_str).collect();
        return Err(InputError::new(format!(
            "the body needs exactly one of the keys {}; it has {keys:?}",
            FORMATS.join(", ")
        )));
    };
    let data = &object[format];
    let mut batch = Builder::new(schema, max_rows);
    match (format, data) {
        ("dataframe_split", Value::Object(split)) => dataframe_split(split, &mut batch)?,
        ("dataframe_split", other) => {
            return Err(InputError::new(format!(
                "dataframe_split must be an object with `columns` and `data`; got {}",
                json_kind(other)
            )));
        }
        ("dataframe_records", Value::Array(records)) => {
            for record in records {
                match record {
                    Value::Object(r) => batch.named_row(r)?,
                    other => {
                        return Err(InputError::new(format!(
                            "dataframe_records must be a list of objects; row {} is {}",
                            batch.rows,
                            json_kind(other)
                        )));
                    }
                }
            }
        }
        ("inputs", Value::Object(columns)) => column_lists(columns, &mut batch)?,
        ("instances" | "inputs", Value::Array(rows)) => {
            for row in rows {
                match row {
                    Value::Object(r) => batch.named_row(r)?,
                    // A single row given flat: `{"inputs": [1.0, 2.0, …]}`.
                    Value::Number(_) if rows.len() == schema.width() => {
                        batch.positional_row(data)?;
                        break;
                    }
                    other => batch.positional_row(other)?,
                }
            }
        }
        (format, other) => {
            return Err(InputError::new(format!(
                "{format} must be a list of rows; got {}",
                json_kind(other)
            )));
        }
    }
    batch.finish()
}

/// `{"columns": [...], "data": [[...], ...]}` (pandas' `split` orient; `index` ignored).
fn dataframe_split(split: &Map<String, Value>, batch: &mut Builder<'_>) -> Result<(), InputError> {
    let Some(Value::Array(data)) = split.get("data") else {
        return Err(InputError::new(
            "dataframe_split needs `data`: a list of rows",
        ));
    };
    let positions = match split.get("columns") {
        None => None,
        Some(Value::Array(columns)) => {
            let names = columns
                .iter()
                .map(|c| {
                    c.as_str()
                        .ok_or_else(|| InputError::new("dataframe_split `columns` must be strings"))
                })
                .collect::<Result<Vec<&str>, _>>()?;
            Some(batch.schema.positions(&names)?)
        }
        Some(other) => {
            return Err(InputError::new(format!(
                "dataframe_split `columns` must be a list of names; got {}",
                json_kind(other)
            )));
        }
    };
    for row in data {
        let Some(positions) = &positions else {
            batch.positional_row(row)?;
            continue;
        };
        let Value::Array(values) = row else {
            return Err(InputError::new(format!(
                "dataframe_split row {} must be a list; got {}",
                batch.rows,
                json_kind(row)
            )));
        };
        if values.len() != positions.len() {
            return Err(InputError::new(format!(
                "dataframe_split row {} has {} values for {} columns",
                batch.rows,
                values.len(),
                positions.len()
            )));
        }
        batch.start_row()?;
        for (value, &at) in values.iter().zip(positions) {
            batch.set_json(at, value)?;
        }
    }
    Ok(())
}

/// `{"inputs": {"column": [v0, v1, …], …}}`: one list per column, all as long.
fn column_lists(columns: &Map<String, Value>, batch: &mut Builder<'_>) -> Result<(), InputError> {
    let names: Vec<&str> = columns.keys().map(String::as_str).collect();
    let positions = batch.schema.positions(&names)?;
    let lists: Vec<(&String, &[Value])> = columns
        .iter()
        .map(|(name, v)| match v {
            Value::Array(values) => (name, values.as_slice()),
            // One row: `{"inputs": {"alcohol": 13.2, …}}`.
            other => (name, std::slice::from_ref(other)),
        })
        .collect();
    let n = lists.first().map_or(0, |(_, v)| v.len());
    if let Some((name, values)) = lists.iter().find(|(_, v)| v.len() != n) {
        return Err(InputError::new(format!(
            "column `{name}` has {} values, column `{}` has {n}",
            values.len(),
            lists[0].0
        )));
    }
    for row in 0..n {
        batch.start_row()?;
        for ((_, values), &at) in lists.iter().zip(&positions) {
            batch.set_json(at, &values[row])?;
        }
    }
    Ok(())
}

/// A `text/csv` body: a header of column names, then one row per line.
pub(crate) fn parse_csv(
    body: &[u8],
    schema: &InputSchema,
    max_rows: usize,
) -> Result<Batch, InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| InputError::new(format!("the CSV header cannot be read: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    let positions = schema.positions(&names)?;
    let mut batch = Builder::new(schema, max_rows);
    for record in reader.records() {
        let record = record.map_err(|e| InputError::new(format!("CSV row {}: {e}", batch.rows)))?;
        batch.start_row()?;
        for (field, &at) in record.iter().zip(&positions) {
            let row = batch.rows - 1;
            let kind = schema.kind(at);
            let v = csv_number(field, kind).map_err(|why| {
                InputError::new(format!("row {row}, {}: {why}", schema.column_label(at)))
            })?;
            batch.set(at, v);
        }
    }
    batch.finish()
}

fn csv_number(field: &str, kind: ColumnKind) -> Result<f64, String> {
    if field.is_empty() {
        return Err("missing value".into());
    }
    if kind == ColumnKind::Boolean {
        match field.to_ascii_lowercase().as_str() {
            "true" => return Ok(1.0),
            "false" => return Ok(0.0),
            _ => {}
        }
    }
    let v: f64 = field.parse().map_err(|_| {
        let shown: String = field.chars().take(40).collect();
        format!("expected a number ({}), got {shown:?}", kind.name())
    })?;
    check_number(v, kind)
}

/// The seed's `/predict` body: `{"features": [v, …]}` or `{"features": {"column": v, …}}`
/// (a bare `{"column": v, …}` too) — one row.
pub(crate) fn parse_predict(body: &[u8], schema: &InputSchema) -> Result<Batch, InputError> {
    let object = parse_object(body)?;
    let mut batch = Builder::new(schema, 1);
    match object.get("features") {
        Some(Value::Array(values)) => batch.positional_row(&Value::Array(values.clone()))?,
        Some(Value::Object(record)) => batch.named_row(record)?,
        Some(other) => {
            return Err(InputError::new(format!(
                "`features` must be a list of {} numbers or an object of columns; got {}",
                schema.width(),
                json_kind(other)
            )));
        }
        None if matches!(schema, InputSchema::Columns(_)) => batch.named_row(&object)?,
        None => {
            return Err(InputError::new(format!(
                "the body needs `features`: a list of {} numbers",
                schema.width()
            )));
        }
    }
    batch.finish()
}

#[cfg(test)]
mod tests;
