use proptest::prelude::*;

use super::*;

fn cells(sources: &[&str]) -> PythonFacts {
    PythonFacts::from_cells(sources.iter().copied().enumerate())
}

fn one<'a>(facts: &'a PythonFacts, name: &str) -> &'a Call {
    let found: Vec<&Call> = facts.calls_named(name).collect();
    assert_eq!(found.len(), 1, "calls named {name}: {found:#?}");
    found[0]
}

fn s(v: &str) -> Value {
    Value::Str(v.into())
}

const WINE: &[&str] = &[
    "# ชื่อ-นามสกุล: สมชาย ใจดี\n# รหัสนักศึกษา: 6512345678\n%pip install mlflow scikit-learn\n",
    "import mlflow\nimport mlflow.sklearn\nfrom mlflow.tracking import MlflowClient\nfrom sklearn import datasets\nfrom sklearn.model_selection import train_test_split\nfrom sklearn.ensemble import RandomForestClassifier, GradientBoostingClassifier\n",
    "%%time\nSEED = 42\nTEST_SIZE = 0.2\nMODEL_NAME = \"wine-quality-classifier\"\nmlflow.set_tracking_uri(\"http://127.0.0.1:5000\")\nmlflow.set_experiment(\"wine-quality-homework\")\n",
    "wine = datasets.load_wine()\nX, y = wine.data, wine.target\nX_train, X_test, y_train, y_test = train_test_split(\n    X, y, test_size=TEST_SIZE, random_state=SEED\n)\nprint(f\"Train: {X_train.shape}, Test: {X_test.shape}\")\n",
    "params = {\"n_estimators\": 100, \"random_state\": SEED}\nwith mlflow.start_run(run_name=\"random-forest\"):\n    model = RandomForestClassifier(**params)\n    model.fit(X_train, y_train)\n    acc = accuracy_score(y_test, model.predict(X_test))\n    mlflow.log_params(params)\n    mlflow.log_metric(\"accuracy\", acc)\n    mlflow.sklearn.log_model(model, name=\"model\", registered_model_name=MODEL_NAME)\n",
    "!mlflow ui --port 5000\n",
    "client = MlflowClient()\nclient.set_registered_model_alias(MODEL_NAME, \"champion\", 2)\nchampion = mlflow.sklearn.load_model(f\"models:/{MODEL_NAME}@champion\")\npreds = champion.predict(X_test[:10])\n",
];

#[test]
fn wine_notebook() {
    let facts = cells(WINE);
    assert_eq!(facts.parsed, WINE.len());

    let split = one(&facts, "train_test_split");
    assert_eq!(split.kwarg("test_size"), Some(&Value::Float(0.2)));
    assert_eq!(split.kwarg("random_state"), Some(&Value::Int(42)));
    assert_eq!(split.args, vec![Value::Unknown, Value::Unknown]);
    assert_eq!(split.resolved, "sklearn.model_selection.train_test_split");
    assert_eq!(
        split.loc,
        Loc {
            cell: Some(3),
            line: 3
        }
    );

    assert_eq!(one(&facts, "datasets.load_wine").loc.line, 1);
    assert!(facts.calls_named("load_wine").next().is_some());

    let rf = one(&facts, "RandomForestClassifier");
    assert_eq!(rf.kwarg("n_estimators"), Some(&Value::Int(100)));
    assert_eq!(rf.kwarg("random_state"), Some(&Value::Int(42)));
    assert!(!rf.unpacked_unknown);

    let metric = one(&facts, "mlflow.log_metric");
    assert_eq!(metric.param(0, "key"), Some(&s("accuracy")));
    assert_eq!(metric.param(1, "value"), Some(&Value::Unknown));

    let log = one(&facts, "mlflow.sklearn.log_model");
    assert_eq!(
        log.kwarg("registered_model_name"),
        Some(&s("wine-quality-classifier"))
    );

    let load = one(&facts, "mlflow.sklearn.load_model");
    assert_eq!(
        load.arg(0),
        Some(&s("models:/wine-quality-classifier@champion"))
    );
    assert_eq!(
        load.loc,
        Loc {
            cell: Some(6),
            line: 3
        }
    );

    let alias = one(&facts, "set_registered_model_alias");
    assert_eq!(alias.callee, "client.set_registered_model_alias");
    assert_eq!(
        alias.args,
        vec![s("wine-quality-classifier"), s("champion"), Value::Int(2)]
    );

    assert!(facts.imports_module("mlflow"));
    assert!(facts.imports_module("sklearn"));
    assert!(!facts.imports_module("torch"));
    assert_eq!(facts.constant("SEED"), Some(&Value::Int(42)));
    assert_eq!(facts.constant("X"), None);

    let notes: Vec<(Option<usize>, NoteKind, &str)> = facts
        .notes
        .iter()
        .map(|n| (n.loc.cell, n.kind, n.detail.as_str()))
        .collect();
    assert_eq!(
        notes,
        vec![
            (Some(0), NoteKind::IpythonLine, "%pip"),
            (Some(2), NoteKind::IpythonLine, "%%time"),
            (Some(5), NoteKind::IpythonLine, "!mlflow"),
        ]
    );
    assert!(facts.secrets.is_empty());
    assert!(facts.absolute_paths.is_empty());
}

#[test]
fn split_written_other_ways() {
    let facts = PythonFacts::from_script(
        "from sklearn.model_selection import train_test_split as tts\nimport sklearn.model_selection as ms\n\
         a = tts(X, y, test_size=1/5, random_state=40 + 2)\n\
         b = ms.train_test_split(*arrays, test_size=.2, shuffle=True)\n\
         arrays = [X, y]\nc = train_test_split(*arrays, **{'test_size': 0.25})\n\
         cfg = dict(test_size=0.3, seed=7)\nd = train_test_split(X, y, test_size=cfg['test_size'], random_state=cfg['seed'])\n",
    );
    let calls: Vec<&Call> = facts.calls_named("train_test_split").collect();
    assert_eq!(calls.len(), 4, "{calls:#?}");
    assert_eq!(calls[0].callee, "tts");
    assert_eq!(calls[0].kwarg("test_size"), Some(&Value::Float(0.2)));
    assert_eq!(calls[0].kwarg("random_state"), Some(&Value::Int(42)));
    assert_eq!(
        calls[1].resolved,
        "sklearn.model_selection.train_test_split"
    );
    assert!(calls[1].unpacked_unknown);
    assert_eq!(calls[1].kwarg("shuffle"), Some(&Value::Bool(true)));
    // `[X, y]` is a list of unknowns: spread out into two positional arguments.
    assert_eq!(calls[2].args, vec![Value::Unknown, Value::Unknown]);
    assert_eq!(calls[2].kwarg("test_size"), Some(&Value::Float(0.25)));
    assert_eq!(calls[3].kwarg("test_size"), Some(&Value::Float(0.3)));
    assert_eq!(calls[3].kwarg("random_state"), Some(&Value::Int(7)));
    assert_eq!(
        calls[3].loc,
        Loc {
            cell: None,
            line: 8
        }
    );
}

const MNIST: &[&str] = &[
    "import torch\nimport torch.nn as nn\nfrom torchvision import datasets, transforms\nfrom torch.utils.data import DataLoader\nimport mlflow.pytorch\nfrom mlflow import MlflowClient\n",
    "transform = transforms.Compose([\n    transforms.ToTensor(),\n    transforms.Normalize((0.1307,), (0.3081,)),\n])\ntrain_ds = datasets.MNIST('./data', train=True, download=True, transform=transform)\n",
    "class Config:\n    BATCH_SIZE = 64\n    LR = 1e-3\n    HIDDEN = [512, 256, 128]\n\ntrain_loader = DataLoader(train_ds, batch_size=Config.BATCH_SIZE, shuffle=True)\ntest_loader = DataLoader(test_ds, batch_size=1000)\n",
    "def train(model, epochs=50, lr=0.001):\n    opt = torch.optim.Adam(model.parameters(), lr=lr)\n    for epoch in range(epochs):\n        if epoch % 5 == 0:\n            mlflow.log_metric('test_accuracy', acc, step=epoch)\n    return model\n",
    "model_name = \"mnist-digit-classifier\"\nclient = MlflowClient()\nmv = client.get_model_version_by_alias(model_name, \"champion\")\nmodel = mlflow.pyfunc.load_model(f\"models:/{model_name}@champion\")\nprobs = torch.softmax(model(x), dim=1)\n",
];

#[test]
fn mnist_notebook() {
    let facts = cells(MNIST);
    assert!(facts.notes.is_empty(), "{:?}", facts.notes);

    let norm = one(&facts, "transforms.Normalize");
    assert_eq!(
        norm.args,
        vec![
            Value::List(vec![Value::Float(0.1307)]),
            Value::List(vec![Value::Float(0.3081)])
        ]
    );
    assert_eq!(
        norm.loc,
        Loc {
            cell: Some(1),
            line: 3
        }
    );
    assert_eq!(norm.resolved, "torchvision.transforms.Normalize");
    assert!(facts.calls_named("ToTensor").next().is_some());

    let loaders: Vec<&Call> = facts.calls_named("DataLoader").collect();
    assert_eq!(loaders[0].kwarg("batch_size"), Some(&Value::Int(64)));
    assert_eq!(loaders[0].kwarg("shuffle"), Some(&Value::Bool(true)));
    assert_eq!(loaders[1].kwarg("batch_size"), Some(&Value::Int(1000)));
    assert_eq!(loaders[0].resolved, "torch.utils.data.DataLoader");

    // A parameter is not its default: `lr` inside `train` is whatever the caller passes.
    let adam = one(&facts, "torch.optim.Adam");
    assert_eq!(adam.kwarg("lr"), Some(&Value::Unknown));
    let metric = one(&facts, "log_metric");
    assert_eq!(metric.args[0], s("test_accuracy"));

    let by_alias = one(&facts, "client.get_model_version_by_alias");
    assert_eq!(
        by_alias.args,
        vec![s("mnist-digit-classifier"), s("champion")]
    );
    assert!(by_alias.matches("get_model_version_by_alias"));
    let load = one(&facts, "mlflow.pyfunc.load_model");
    assert_eq!(
        load.arg(0),
        Some(&s("models:/mnist-digit-classifier@champion"))
    );
    assert!(
        facts
            .calls_named("mlflow.sklearn.load_model")
            .next()
            .is_none()
    );
    assert!(facts.calls_named("load_model").next().is_some());
    assert!(!load.matches("fc.load_model"), "segments, not substrings");
    assert_eq!(
        one(&facts, "torch.softmax").kwarg("dim"),
        Some(&Value::Int(1))
    );

    assert_eq!(
        facts.constant("Config.BATCH_SIZE"),
        None,
        "class attributes are not module assignments"
    );
    assert_eq!(facts.constant("BATCH_SIZE"), Some(&Value::Int(64)));
}

#[test]
fn constants_follow_the_notebook() {
    let facts = cells(&[
        "LR = 0.001\nEPOCHS = [50, 100, 150]\nname = 'mnist' + '-' + 'digit'\nn = -3\nn += 10\nbig = 2 ** 10 * 3",
        "run = f\"{name}-lr{LR}-e{EPOCHS[-1]}\"\nmlflow.set_tag('run', run)\nmlflow.log_param('n', n)\nmlflow.log_param('big', big)",
        "LR = compute()\nmlflow.log_param('lr', LR)\nfor EPOCHS in range(3):\n    mlflow.log_param('e', EPOCHS)\n",
        "layers = [128]\nlayers.append(64)\nmlflow.log_param('layers', layers)\nmlflow.log_param('w', (w := 3))\nmlflow.log_param('w2', f'{w}x{w}')",
    ]);
    let params: Vec<Value> = facts
        .calls_named("log_param")
        .map(|c| c.args[1].clone())
        .collect();
    assert_eq!(
        params,
        vec![
            Value::Int(7),
            Value::Int(3072),
            Value::Unknown,
            Value::Unknown,
            Value::Unknown,
            Value::Int(3),
            s("3x3")
        ]
    );
    assert_eq!(
        one(&facts, "set_tag").args[1],
        s("mnist-digit-lr0.001-e150")
    );
    assert_eq!(facts.constant("name"), Some(&s("mnist-digit")));
}

#[test]
fn fstrings_and_strings() {
    let facts = PythonFacts::from_script(
        "d = {'k': 'v'}\nx = 1e-5\n\
         p(f\"{d[\"k\"]}\")\np(f'{x}')\np(f'{x:.2f}')\np(f'{x!r}')\np(f'{{lit}} {x}')\n\
         p(r'\\d+' 'a\\tb')\np(b'bytes')\np('''tri\nple''')\np(f'{unknown}')\np('\\N{BULLET}')\n",
    );
    let args: Vec<Value> = facts.calls_named("p").map(|c| c.args[0].clone()).collect();
    assert_eq!(
        args,
        vec![
            s("v"),
            s("1e-05"),
            Value::Unknown,
            Value::Unknown,
            s("{lit} 1e-05"),
            s("\\d+a\tb"),
            Value::Unknown,
            s("tri\nple"),
            Value::Unknown,
            Value::Unknown,
        ]
    );
}

#[test]
fn python_312_syntax_parses() {
    let facts = PythonFacts::from_script(
        "match cmd:\n    case {'alias': a}:\n        f(a)\n    case _:\n        pass\n\
         type Vec = list[float]\n\
         def first[T](xs: list[T]) -> T:\n    return xs[0]\n\
         if (n := len(a)) > 10:\n    g(n)\n\
         try:\n    pass\nexcept* ValueError:\n    pass\n\
         h(f\"{'nested ' + f'{n!r}'}\")\n",
    );
    assert!(facts.notes.is_empty(), "{:?}", facts.notes);
    assert_eq!(facts.parsed, 1);
    assert!(facts.calls_named("f").next().is_some());
    assert!(facts.calls_named("h").next().is_some());
}

#[test]
fn ipython_lines_and_broken_cells() {
    let facts = cells(&[
        "import mlflow\n!pip install -q mlflow\n%matplotlib inline\nfiles = !ls data\nmlflow.log_metric?\n?mlflow\nprint('ok?')\n",
        "for i in range(3):\n    %time f(i)\n",
        "%%bash\nmlflow server --port 5000\n",
        "def broken(:\n    pass\n",
        "%%writefile train.py\nimport mlflow\n",
        "x = (1 +\n  2)\nmlflow.log_param('x', x)\n",
        "%%capture\nmlflow.log_param('y', 1)\n",
    ]);
    let notes: Vec<(Option<usize>, usize, NoteKind, &str)> = facts
        .notes
        .iter()
        .map(|n| (n.loc.cell, n.loc.line, n.kind, n.detail.as_str()))
        .collect();
    assert_eq!(
        notes,
        vec![
            (Some(0), 2, NoteKind::IpythonLine, "!pip"),
            (Some(0), 3, NoteKind::IpythonLine, "%matplotlib"),
            (Some(0), 4, NoteKind::IpythonLine, "!ls"),
            (Some(0), 5, NoteKind::IpythonLine, "mlflow.log_metric?"),
            (Some(0), 6, NoteKind::IpythonLine, "?mlflow"),
            (Some(1), 2, NoteKind::IpythonLine, "%time"),
            (Some(2), 1, NoteKind::NonPythonCell, "%%bash"),
            (Some(3), 1, NoteKind::SyntaxError, "missing `)`"),
            (Some(4), 1, NoteKind::NonPythonCell, "%%writefile"),
            (Some(6), 1, NoteKind::IpythonLine, "%%capture"),
        ]
    );
    assert_eq!(facts.parsed, 4);
    let params: Vec<(Value, usize)> = facts
        .calls_named("log_param")
        .map(|c| (c.args[1].clone(), c.loc.line))
        .collect();
    assert_eq!(params, vec![(Value::Int(3), 3), (Value::Int(1), 2)]);
    assert!(facts.calls_named("print").next().is_some());
    assert!(
        facts.calls_named("f").next().is_none(),
        "the magic's argument is not read"
    );
}

#[test]
fn secrets_are_named_never_copied() {
    let token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    let hf = "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH";
    let src = format!(
        "HF_TOKEN = '{hf}'\nMLFLOW_TRACKING_PASSWORD = \"hunter2\"\nos.environ['MLFLOW_TRACKING_TOKEN'] = 'abc123'\n\
         login(token='{token}')\nclient = Client(api_key='not-empty')\ncfg = {{'password': 'pw'}}\n\
         uri = 'http://alice:s3cret@mlflow.example.com'\npassword = ''\ntokenizer = 'bert-base'\n\
         login2(token=HF_TOKEN)\nlog(f'{{HF_TOKEN}}')\nmsg = f'{{\"{hf}\"}}'\n"
    );
    let facts = PythonFacts::from_script(&src);
    let found: Vec<(Option<&str>, SecretKind, usize)> = facts
        .secrets
        .iter()
        .map(|s| (s.name.as_deref(), s.kind, s.loc.line))
        .collect();
    assert_eq!(
        found,
        vec![
            (Some("HF_TOKEN"), SecretKind::HuggingFaceToken, 1),
            (Some("MLFLOW_TRACKING_PASSWORD"), SecretKind::NamedSecret, 2),
            (Some("MLFLOW_TRACKING_TOKEN"), SecretKind::NamedSecret, 3),
            (Some("token"), SecretKind::GitHubToken, 4),
            (Some("api_key"), SecretKind::NamedSecret, 5),
            (Some("password"), SecretKind::NamedSecret, 6),
            (Some("uri"), SecretKind::UrlCredentials, 7),
            (None, SecretKind::HuggingFaceToken, 12),
        ]
    );
    let everything = format!("{facts:?}");
    for secret in [
        token,
        hf,
        "hunter2",
        "abc123",
        "not-empty",
        "'pw'",
        "s3cret",
    ] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked into the facts"
        );
    }
    assert_eq!(one(&facts, "login2").kwarg("token"), Some(&Value::Unknown));
    assert_eq!(one(&facts, "log").args, vec![Value::Unknown]);
}

#[test]
fn secrets_outside_parsed_python() {
    let hf = "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH";
    let cells_src = [
        format!("!huggingface-cli login --token {hf}\nimport mlflow\n"),
        "%env MLFLOW_TRACKING_PASSWORD=hunter2\n%env MLFLOW_TRACKING_URI=http://127.0.0.1:5000\n"
            .to_string(),
        format!("# my token: {hf}\nx = 1\n"),
        "%%bash\nexport HF_TOKEN=abc123\nexport HOME_DIR=$HOME\n".to_string(),
        "API_KEY = 'xyz987'\ndef broken(:\n".to_string(),
        "TOKEN = os.getenv('TOKEN')\ndef broken(:\n".to_string(),
    ];
    let facts = PythonFacts::from_cells(cells_src.iter().map(String::as_str).enumerate());
    let found: Vec<(Option<usize>, usize, Option<&str>, SecretKind)> = facts
        .secrets
        .iter()
        .map(|s| (s.loc.cell, s.loc.line, s.name.as_deref(), s.kind))
        .collect();
    assert_eq!(
        found,
        vec![
            (Some(0), 1, None, SecretKind::HuggingFaceToken),
            (
                Some(1),
                1,
                Some("MLFLOW_TRACKING_PASSWORD"),
                SecretKind::NamedSecret
            ),
            (Some(2), 1, None, SecretKind::HuggingFaceToken),
            (Some(3), 2, Some("HF_TOKEN"), SecretKind::NamedSecret),
            (Some(4), 1, Some("API_KEY"), SecretKind::NamedSecret),
        ]
    );
    let everything = format!("{facts:?}");
    for secret in [hf, "hunter2", "abc123", "xyz987"] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked into the facts"
        );
    }
}

#[test]
fn absolute_paths() {
    let facts = cells(&[
        "\"\"\"Data lives in /home/somchai/data.\"\"\"\ndf = pd.read_csv('/home/somchai/hw/wine.csv')\n",
        "mlflow.set_tracking_uri('file:///C:/Users/somchai/mlruns')\nroot = r'C:\\Users\\somchai\\hw'\np = f'/content/drive/{user}/x'\nok = './data'\n",
    ]);
    let paths: Vec<(&str, Loc)> = facts
        .absolute_paths
        .iter()
        .map(|p| (p.path.as_str(), p.loc))
        .collect();
    assert_eq!(
        paths,
        vec![
            (
                "/home/somchai/hw/wine.csv",
                Loc {
                    cell: Some(0),
                    line: 2
                }
            ),
            (
                "file:///C:/Users/somchai/mlruns",
                Loc {
                    cell: Some(1),
                    line: 1
                }
            ),
            (
                "C:\\Users\\somchai\\hw",
                Loc {
                    cell: Some(1),
                    line: 2
                }
            ),
            (
                "/content/drive/{}/x",
                Loc {
                    cell: Some(1),
                    line: 3
                }
            ),
        ]
    );
}

#[test]
fn imports_recorded() {
    let facts = PythonFacts::from_script(
        "import numpy as np, os\nfrom sklearn.metrics import (accuracy_score,\n    f1_score as f1)\nfrom . import utils\nfrom torch.nn import *\n",
    );
    type Row<'a> = (&'a str, Option<&'a str>, Vec<(String, Option<String>)>);
    let got: Vec<Row<'_>> = facts
        .imports
        .iter()
        .map(|i| (i.module.as_str(), i.alias.as_deref(), i.names.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("numpy", Some("np"), vec![]),
            ("os", None, vec![]),
            (
                "sklearn.metrics",
                None,
                vec![
                    ("accuracy_score".into(), None),
                    ("f1_score".into(), Some("f1".into()))
                ]
            ),
            (".", None, vec![("utils".into(), None)]),
            ("torch.nn", None, vec![("*".into(), None)]),
        ]
    );
    assert!(facts.imports_module("sklearn"));
    assert!(!facts.imports_module("sk"));
}

#[test]
fn callee_names() {
    let facts = PythonFacts::from_script(
        "MlflowClient().search_runs(['1'])\nmodels[0].fit(X)\n'-'.join(xs)\n(lambda: 1)()\n",
    );
    let names: Vec<&str> = facts.calls.iter().map(|c| c.callee.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "MlflowClient().search_runs",
            "MlflowClient",
            "models[].fit",
            "''.join",
            "?"
        ]
    );
}

#[test]
fn hostile_input_does_not_hurt() {
    let deep = format!("x = {}1{}\nf(x)\n", "(".repeat(50_000), ")".repeat(50_000));
    let facts = PythonFacts::from_script(&deep);
    assert_eq!(one(&facts, "f").args, vec![Value::Unknown]);

    let nested_calls = format!("{}0{}\n", "f(".repeat(5_000), ")".repeat(5_000));
    assert_eq!(PythonFacts::from_script(&nested_calls).calls.len(), 5_000);

    let doubling = "s = 'ab'\nfor _ in range(1):\n    pass\n".to_string()
        + &"s = s + s\n".repeat(40)
        + "f(s)\n";
    assert_eq!(
        one(&PythonFacts::from_script(&doubling), "f").args,
        vec![Value::Unknown]
    );

    let wide = format!(
        "f([{}])\n",
        "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], ".repeat(3_000)
    );
    assert_eq!(
        one(&PythonFacts::from_script(&wide), "f").args,
        vec![Value::Unknown]
    );

    let chain = format!("a{}()\n", ".b".repeat(10_000));
    assert!(PythonFacts::from_script(&chain).calls[0].callee.len() < 300);

    for weird in [
        "\u{feff}import mlflow\n",
        "\0\0\0",
        "x = '\u{1F600}'\r\nf(x)\r\n",
        "\t\t\u{a0}?",
        "%%",
        "!",
        "?",
    ] {
        let _ = PythonFacts::from_script(weird);
    }
}

#[test]
fn a_5000_line_notebook_is_quick() {
    let cell = WINE.join("\n") + &MNIST.join("\n");
    let mut notebook: Vec<String> = Vec::new();
    let mut lines = 0;
    while lines < 5_000 {
        lines += cell.lines().count();
        notebook.push(cell.clone());
    }
    let start = std::time::Instant::now();
    let facts = PythonFacts::from_cells(notebook.iter().map(String::as_str).enumerate());
    let elapsed = start.elapsed();
    assert!(facts.calls.len() > 1_000);
    // Generous: debug builds on a shared 2-core machine; release takes a fraction of this.
    assert!(elapsed.as_secs_f64() < 5.0, "{elapsed:?}");
}

fn token_soup() -> impl Strategy<Value = String> {
    let tokens = prop::sample::select(vec![
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ":",
        ",",
        "=",
        "+",
        "-",
        "*",
        "**",
        "/",
        "//",
        "%",
        "!",
        "?",
        "@",
        ".",
        ";",
        "'",
        "\"",
        "'''",
        "f'",
        "f\"",
        "r'",
        "b'",
        "\\",
        "#",
        "\n",
        "\n    ",
        " ",
        "\t",
        "def",
        "class",
        "lambda",
        "for",
        "in",
        "if",
        "else",
        "match",
        "case",
        "import",
        "from",
        "as",
        ":=",
        "x",
        "mlflow",
        "train_test_split",
        "test_size",
        "0.2",
        "42",
        "1e-5",
        "0x1F",
        "'models:/{m}@champion'",
        "%pip",
        "!ls",
        "%%time",
        "%%bash",
        "hf_",
        "ghp_abcdefghijklmnopqrstuvwxyz0123",
        "/home/",
        "token",
        "*",
        "{x}",
        "{{",
        "}}",
        "\u{feff}",
        "é",
    ]);
    prop::collection::vec(tokens, 0..200).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_text(cells in prop::collection::vec(any::<String>(), 0..4)) {
        let facts = PythonFacts::from_cells(cells.iter().map(String::as_str).enumerate());
        prop_assert!(facts.parsed <= cells.len());
    }

    #[test]
    fn never_panics_on_python_ish_soup(cells in prop::collection::vec(token_soup(), 1..4)) {
        let facts = PythonFacts::from_cells(cells.iter().map(String::as_str).enumerate());
        prop_assert_eq!(facts.parsed + facts.notes.iter().filter(|n| n.kind != NoteKind::IpythonLine).count(), cells.len());
        for call in &facts.calls {
            prop_assert!(call.loc.line >= 1);
        }
    }
}
