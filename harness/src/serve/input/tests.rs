use super::*;

fn wine_like() -> InputSchema {
    InputSchema::Columns(
        ["alcohol", "malic_acid", "ash"]
            .iter()
            .map(|n| Column {
                name: (*n).to_owned(),
                kind: ColumnKind::Double,
            })
            .collect(),
    )
}

fn json(body: &str) -> Result<Batch, InputError> {
    parse_json(body.as_bytes(), &wine_like(), 100)
}

const ROWS: [f64; 6] = [13.2, 1.8, 2.1, 12.0, 3.1, 2.5];

#[test]
fn every_json_format_gives_the_same_rows_in_signature_order() {
    let bodies = [
        r#"{"dataframe_split": {"columns": ["alcohol", "malic_acid", "ash"], "data": [[13.2, 1.8, 2.1], [12.0, 3.1, 2.5]]}}"#,
        // Columns in another order are put back in the signature's order.
        r#"{"dataframe_split": {"index": [0, 1], "columns": ["ash", "alcohol", "malic_acid"], "data": [[2.1, 13.2, 1.8], [2.5, 12.0, 3.1]]}}"#,
        r#"{"dataframe_split": {"data": [[13.2, 1.8, 2.1], [12.0, 3.1, 2.5]]}}"#,
        r#"{"dataframe_records": [{"alcohol": 13.2, "malic_acid": 1.8, "ash": 2.1}, {"ash": 2.5, "alcohol": 12.0, "malic_acid": 3.1}]}"#,
        r#"{"instances": [[13.2, 1.8, 2.1], [12.0, 3.1, 2.5]]}"#,
        r#"{"instances": [{"alcohol": 13.2, "malic_acid": 1.8, "ash": 2.1}, {"alcohol": 12.0, "malic_acid": 3.1, "ash": 2.5}]}"#,
        r#"{"inputs": {"alcohol": [13.2, 12.0], "malic_acid": [1.8, 3.1], "ash": [2.1, 2.5]}}"#,
        r#"{"inputs": [[13.2, 1.8, 2.1], [12.0, 3.1, 2.5]], "params": {}}"#,
    ];
    for body in bodies {
        let batch = json(body).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(batch.rows, 2, "{body}");
        assert_eq!(batch.values, ROWS, "{body}");
    }
    let csv = "alcohol,malic_acid,ash\n13.2,1.8,2.1\n12.0,3.1,2.5\n";
    let batch = parse_csv(csv.as_bytes(), &wine_like(), 100).unwrap();
    assert_eq!(batch.values, ROWS);
    let csv = "\"ash\",alcohol,malic_acid\n2.1,13.2,1.8\n2.5,12.0,3.1\n";
    assert_eq!(
        parse_csv(csv.as_bytes(), &wine_like(), 100).unwrap().values,
        ROWS
    );
}

#[test]
fn one_flat_row_and_the_predict_body_are_one_row() {
    assert_eq!(json(r#"{"inputs": [13.2, 1.8, 2.1]}"#).unwrap().rows, 1);
    for body in [
        r#"{"features": [13.2, 1.8, 2.1]}"#,
        r#"{"features": {"alcohol": 13.2, "malic_acid": 1.8, "ash": 2.1}}"#,
        r#"{"alcohol": 13.2, "malic_acid": 1.8, "ash": 2.1}"#,
    ] {
        let b = parse_predict(body.as_bytes(), &wine_like()).unwrap();
        assert_eq!(b.values, ROWS[..3], "{body}");
    }
}

/// Each bad body and a piece of the message that must name its problem.
#[test]
fn bad_bodies_get_a_message_naming_the_problem() {
    let cases = [
        (r#"{"dataframe_split": "#, "not valid JSON"),
        (r#"[1, 2, 3]"#, "must be a JSON object"),
        (r#"{"data": [[1, 2, 3]]}"#, "exactly one of the keys"),
        (
            r#"{"instances": [[1, 2, 3]], "inputs": [[1, 2, 3]]}"#,
            "exactly one of the keys",
        ),
        (
            r#"{"instances": [[1, 2]]}"#,
            "row 0 has 2 values; the model takes 3",
        ),
        (
            r#"{"dataframe_split": {"columns": ["alcohol", "malic_acid", "sugar"], "data": [[1, 2, 3]]}}"#,
            "unknown column `sugar`",
        ),
        (
            r#"{"dataframe_split": {"columns": ["alcohol", "malic_acid"], "data": [[1, 2]]}}"#,
            "missing column `ash`",
        ),
        (
            r#"{"dataframe_records": [{"alcohol": "high", "malic_acid": 1, "ash": 2}]}"#,
            "row 0, column `alcohol`: expected a number (double), got the string \"high\"",
        ),
        (
            r#"{"instances": [[1, 2, 3], [1, null, 3]]}"#,
            "row 1, column `malic_acid`: missing value (null)",
        ),
        (
            r#"{"instances": [[1, 2, NaN]]}"#,
            "NaN and Infinity are not JSON",
        ),
        (r#"{"instances": [[1, 2, 1e999]]}"#, "not valid JSON"),
        (r#"{"instances": []}"#, "no rows"),
        (
            r#"{"dataframe_split": {"columns": [], "data": []}}"#,
            "missing columns",
        ),
        (
            r#"{"inputs": {"alcohol": [1, 2], "malic_acid": [1], "ash": [1, 2]}}"#,
            "has 1 values",
        ),
    ];
    for (body, want) in cases {
        let err = json(body).expect_err(body);
        assert!(err.0.contains(want), "{body}: {err}");
    }
    let csv_cases = [
        (
            "alcohol,malic_acid,ash\n1,2,nan\n",
            "row 0, column `ash`: NaN is not a finite number",
        ),
        (
            "alcohol,malic_acid,ash\n1,2,inf\n",
            "inf is not a finite number",
        ),
        (
            "alcohol,malic_acid,ash\n1,x,3\n",
            "column `malic_acid`: expected a number",
        ),
        (",alcohol,malic_acid,ash\n0,1,2,3\n", "pandas index"),
        ("alcohol,malic_acid,ash\n", "no rows"),
        ("alcohol,malic_acid,ash\n1,2\n", "CSV row 0"),
    ];
    for (body, want) in csv_cases {
        let err = parse_csv(body.as_bytes(), &wine_like(), 100).expect_err(body);
        assert!(err.0.contains(want), "{body}: {err}");
    }
}

#[test]
fn batches_over_the_row_limit_are_refused_before_they_are_read_whole() {
    let rows: Vec<String> = (0..10_000).map(|_| "[1, 2, 3]".to_owned()).collect();
    let body = format!(r#"{{"instances": [{}]}}"#, rows.join(","));
    let err = parse_json(body.as_bytes(), &wine_like(), 5000).unwrap_err();
    assert!(err.0.contains("more than 5000 rows"), "{err}");
    assert_eq!(
        parse_json(body.as_bytes(), &wine_like(), 10_000)
            .unwrap()
            .rows,
        10_000
    );
}

#[test]
fn a_tensor_schema_takes_rows_of_its_width_and_flattens_images() {
    let schema = InputSchema::Tensor { width: 4 };
    let b = parse_json(br#"{"instances": [[[0, 1], [2, 3]]]}"#, &schema, 10).unwrap();
    assert_eq!(b.values, [0.0, 1.0, 2.0, 3.0]);
    let err = parse_json(br#"{"dataframe_records": [{"a": 1}]}"#, &schema, 10).unwrap_err();
    assert!(err.0.contains("tensor of 4 floats"), "{err}");
    let err = parse_json(br#"{"inputs": [[1, 2, 3]]}"#, &schema, 10).unwrap_err();
    assert!(err.0.contains("has 3 values; the model takes 4"), "{err}");
}

#[test]
fn integer_columns_refuse_fractions() {
    let schema = InputSchema::Columns(vec![Column {
        name: "n".into(),
        kind: ColumnKind::Long,
    }]);
    assert!(parse_json(br#"{"inputs": [[3]]}"#, &schema, 10).is_ok());
    let err = parse_json(br#"{"inputs": [[3.5]]}"#, &schema, 10).unwrap_err();
    assert!(err.0.contains("not a whole number"), "{err}");
}
