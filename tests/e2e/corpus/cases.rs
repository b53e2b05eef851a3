//! The corpus: every case as (name, expected phrase, how to build it). Bases are copies of the
//! real fixture stores (`perfect`: mlflow.db + mlartifacts/; `mlflow2-mlruns`: a file store);
//! each mutation is applied to a copy in the case's own folder.
//!
//! Expected phrases are the product's messages for each kind of refusal, kept in the constants
//! below so they are easy to adjust: `None` where the wording is not settled (then any
//! non-empty message will do, and the other invariants still hold).

use std::ffi::{CString, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use harness_e2e::copy_tree;

use super::servers::{self, Behaviour};
use super::{Case, Ctx, Plan, Row, Want};

type Expect = Option<&'static [&'static str]>;

/// A FIFO or a device where a file belongs.
const NOT_REGULAR: Expect = Some(&["not a regular file"]);
/// A link to a device is refused either as a device or as leaving the hand-in.
const DEVICE: Expect = Some(&["not a regular file", "outside the hand-in"]);
/// A file over the size caps.
const TOO_LARGE: Expect = Some(&["too large"]);
/// YAML nested past the depth cap.
const NESTED: Expect = Some(&["nested"]);
/// A symlink that leaves the hand-in.
const OUTSIDE: Expect = Some(&["outside the hand-in"]);
/// `--out` inside a graded folder.
const INSIDE: Expect = Some(&["inside", "the graded folder itself"]);
/// A class folder's linked sub-folder: listed, never followed (whatever it points to).
const LINK_NOT_FOLLOWED: Expect = Some(&["not followed"]);
/// An endless or oversized HTTP body.
const LARGER: Expect = Some(&["larger than"]);
/// A NaN accuracy.
const NAN: Expect = Some(&["NaN"]);
/// The perfect store's points: the store graded normally.
const GRADED_NORMALLY: Expect = Some(&["104/170"]);
/// The mlruns base's points: the store graded normally.
const GRADED_NORMALLY_MLRUNS: Expect = Some(&["52/170"]);
const MLRUNS_POINTS: u32 = 52;
/// Not settled: alias bombs (the YAML library's limit message), broken SQLite files, odd
/// metric values, servers that answer nonsense or never: only a non-empty message required.
const UNSETTLED: Expect = None;

const DEPTH: usize = 200_000;
const HUGE: u64 = 300 << 20;
const PERFECT_POINTS: u32 = 104;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    /// `perfect`: mlflow.db + mlartifacts/ + homework.py.
    Sqlite,
    /// `mlflow2-mlruns`: mlruns/ + homework.py.
    Mlruns,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `harness check --store|--mlruns` on the hand-in.
    Check,
    /// `harness grade --submissions` on a class folder with the hand-in and an untouched one.
    Class,
}

use Base::{Mlruns, Sqlite};
use Mode::{Check, Class};

const SC: (Base, Mode) = (Sqlite, Check);
const SG: (Base, Mode) = (Sqlite, Class);
const MC: (Base, Mode) = (Mlruns, Check);
const MG: (Base, Mode) = (Mlruns, Class);

type Mutation = Arc<dyn Fn(&Ctx, &Path) + Send + Sync>;

/// Plants the canaries outside every hand-in and starts the fake servers.
pub(super) fn context(root: &Path) -> Ctx {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/submissions");
    let uuid = harness_e2e::unique("c").replace('-', "");
    let canary_name = format!("CANARY-{uuid}");
    let canary_content = format!("CANARY-CONTENT-{uuid}");
    let outside = root.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let plant = |dir: &Path| {
        std::fs::write(dir.join(format!("{canary_name}.txt")), &canary_content).unwrap();
    };
    plant(&outside);

    // An MLflow store whose names are the canary: a product that reads it shows them.
    let db = outside.join(format!("{canary_name}.db"));
    std::fs::copy(fixtures.join("perfect/mlflow.db"), &db).unwrap();
    canary_db(&db, &canary_content);

    let handin = outside.join(format!("{canary_name}-handin"));
    copy_tree(&fixtures.join("perfect"), &handin);
    std::fs::copy(&db, handin.join("mlflow.db")).unwrap();
    plant(&handin);

    let artifacts = outside.join(format!("{canary_name}-artifacts"));
    copy_tree(&fixtures.join("perfect/mlartifacts"), &artifacts);
    plant(&artifacts);
    for mlmodel in select(&artifacts, |c| c.last().is_some_and(|l| l == "MLmodel")) {
        plant(mlmodel.parent().unwrap());
    }
    for exp in ["1", "2"] {
        plant(&artifacts.join(exp));
    }

    let mlruns = outside.join(format!("{canary_name}-mlruns"));
    copy_tree(&fixtures.join("mlflow2-mlruns/mlruns"), &mlruns);
    plant(&mlruns);
    for meta in select(&mlruns, |c| c.len() == 2 && c[1] == "meta.yaml") {
        let text = std::fs::read_to_string(&meta).unwrap();
        let text = text.replace("name: ", &format!("name: {canary_content}-"));
        std::fs::write(&meta, text).unwrap();
    }

    let dir = outside.join(format!("{canary_name}-dir"));
    std::fs::create_dir_all(&dir).unwrap();
    plant(&dir);
    std::fs::write(
        dir.join("MLmodel"),
        format!("artifact_path: {canary_content}\nflavors:\n  python_function:\n    loader_module: {canary_content}\n"),
    )
    .unwrap();

    let ports = [
        ("endless-chunked", Behaviour::EndlessChunked),
        ("endless-unsized", Behaviour::EndlessUnsized),
        ("gigabyte-length", Behaviour::GigabyteLength),
        ("invalid-json", Behaviour::InvalidJson),
        ("html", Behaviour::Html),
        ("never-answers", Behaviour::NeverAnswers),
        ("drip", Behaviour::Drip),
        ("redirect-loop", Behaviour::RedirectLoop),
        ("unauthorized", Behaviour::Unauthorized),
    ]
    .into_iter()
    .map(|(n, b)| (n, servers::start(b)))
    .collect();

    let venv = dirs_home().join(".cache/harness/mlflow-3.17.2/venv/bin/python");
    let python = if venv.exists() {
        venv.display().to_string()
    } else {
        harness_e2e::python()
    };
    Ctx {
        repo,
        fixtures,
        outside,
        uuid,
        canary_name,
        canary_content,
        ports,
        python,
    }
}

fn dirs_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"))
}

fn canary_db(db: &Path, canary: &str) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(&format!(
        "UPDATE experiments SET name = '{canary}-' || name; \
         UPDATE runs SET name = '{canary}-' || name; \
         UPDATE registered_models SET description = '{canary}';"
    ))
    .unwrap();
}

/// The whole corpus.
pub(super) fn all(_ctx: &Ctx) -> Vec<Case> {
    let mut v = Vec::new();
    // Controls: the untouched bases grade normally and trip no invariant.
    variants(
        &mut v,
        "control/untouched",
        GRADED_NORMALLY,
        &[SC, SG],
        |_, _| {},
    );
    variants(
        &mut v,
        "control/untouched",
        GRADED_NORMALLY_MLRUNS,
        &[MC, MG],
        |_, _| {},
    );
    fifo_cases(&mut v);
    device_cases(&mut v);
    huge_cases(&mut v);
    deep_cases(&mut v);
    alias_bomb_cases(&mut v);
    symlink_cases(&mut v);
    out_inside_cases(&mut v);
    class_cases(&mut v);
    sqlite_cases(&mut v);
    metric_cases(&mut v);
    server_cases(&mut v);
    secret_cases(&mut v);
    v
}

// ---------------------------------------------------------------------------------------------
// Families

fn fifo_cases(v: &mut Vec<Case>) {
    let fifo_all = |pick: Pick| move |_: &Ctx, h: &Path| each(h, pick, fifo);
    variants(
        v,
        "fifo/mlmodel",
        NOT_REGULAR,
        &[SC, SG, MC, MG],
        fifo_all(mlmodel),
    );
    variants(
        v,
        "fifo/run-meta",
        NOT_REGULAR,
        &[MC, MG],
        fifo_all(run_meta),
    );
    variants(
        v,
        "fifo/experiment-meta",
        NOT_REGULAR,
        &[MC],
        fifo_all(experiment_meta),
    );
    variants(
        v,
        "fifo/input-meta",
        NOT_REGULAR,
        &[MC, MG],
        fifo_all(input_meta),
    );
    variants(
        v,
        "fifo/model-version-meta",
        NOT_REGULAR,
        &[MC],
        fifo_all(version_meta),
    );
    variants(
        v,
        "fifo/metric-file",
        NOT_REGULAR,
        &[MC],
        fifo_all(metric_files),
    );
    variants(
        v,
        "fifo/tag-file",
        NOT_REGULAR,
        &[MC],
        fifo_all(run_name_tags),
    );
    variants(
        v,
        "fifo/param-file",
        NOT_REGULAR,
        &[MC],
        fifo_all(param_files),
    );
    variants(v, "fifo/notebook", NOT_REGULAR, &[SG], |_, h| {
        fifo(&notebook(h))
    });
    variants(v, "fifo/script", NOT_REGULAR, &[SG], |_, h| {
        fifo(&h.join("homework.py"))
    });
    variants(v, "fifo/mlflow-db", NOT_REGULAR, &[SC, SG], |_, h| {
        fifo(&h.join("mlflow.db"))
    });
}

fn device_cases(v: &mut Vec<Case>) {
    let zero = |pick: Pick| move |_: &Ctx, h: &Path| each(h, pick, |p| link(p, "/dev/zero"));
    variants(v, "dev-zero/mlmodel", DEVICE, &[SC, SG, MC], zero(mlmodel));
    variants(
        v,
        "dev-zero/tag-file",
        DEVICE,
        &[MC, MG],
        zero(run_name_tags),
    );
    variants(v, "dev-zero/metric-file", DEVICE, &[MC], zero(metric_files));
    variants(v, "dev-zero/run-meta", DEVICE, &[MC], zero(run_meta));
    variants(v, "dev-zero/notebook", DEVICE, &[SG], |_, h| {
        link(&notebook(h), "/dev/zero")
    });
    variants(v, "dev-zero/script", DEVICE, &[SG], |_, h| {
        link(&h.join("homework.py"), "/dev/zero")
    });
    variants(v, "dev-zero/mlflow-db", DEVICE, &[SC, SG], |_, h| {
        link(&h.join("mlflow.db"), "/dev/zero")
    });
    variants(v, "dev-urandom/mlmodel", DEVICE, &[SC], |_, h| {
        each(h, mlmodel, |p| link(p, "/dev/urandom"))
    });
    variants(v, "dev-urandom/notebook", DEVICE, &[SG], |_, h| {
        link(&notebook(h), "/dev/urandom")
    });
}

fn huge_cases(v: &mut Vec<Case>) {
    let sparse_all = |pick: Pick| move |_: &Ctx, h: &Path| each(h, pick, |p| sparse(p, b"", HUGE));
    variants(
        v,
        "huge/mlmodel-300mb",
        TOO_LARGE,
        &[SC, SG, MC],
        sparse_all(mlmodel),
    );
    variants(
        v,
        "huge/run-meta-300mb",
        TOO_LARGE,
        &[MC],
        sparse_all(run_meta),
    );
    variants(
        v,
        "huge/metric-file-300mb",
        TOO_LARGE,
        &[MC],
        sparse_all(metric_files),
    );
    variants(v, "huge/notebook-300mb", TOO_LARGE, &[SG], |_, h| {
        sparse(
            &notebook(h),
            br#"{"cells": [{"cell_type": "code", "source": [""#,
            HUGE,
        )
    });
    variants(v, "huge/script-300mb", TOO_LARGE, &[SG], |_, h| {
        sparse(&h.join("homework.py"), "# ชื่อ: ".as_bytes(), HUGE)
    });
    // 1 MB of Thai in a tag is big but legal: graded, with the text not necessarily shown.
    variants(
        v,
        "huge/description-1mb-thai",
        UNSETTLED,
        &[MC, MG],
        |_, h| {
            for run in runs(h) {
                write(
                    &run.join("tags/mlflow.note.content"),
                    thai(1 << 20).as_bytes(),
                );
            }
        },
    );
    variants(v, "huge/run-name-tag-1mb", UNSETTLED, &[MC], |_, h| {
        each(h, run_name_tags, |p| write(p, thai(1 << 20).as_bytes()))
    });
    variants(v, "huge/registry-tag-1mb", UNSETTLED, &[MC], |_, h| {
        for p in select(h, |c| c.len() == 5 && c[1] == "models" && c[3] == "tags") {
            write(&p, "\u{1F600}é".repeat(1 << 18).as_bytes());
        }
    });
}

fn deep_cases(v: &mut Vec<Case>) {
    type Shape = (&'static str, fn() -> String);
    let shapes: [Shape; 3] = [
        ("flow-seq", || {
            format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH))
        }),
        ("block-seq", || format!("{}a\n", "- ".repeat(DEPTH))),
        ("flow-map", || {
            format!("{}1{}", "{a: ".repeat(DEPTH), "}".repeat(DEPTH))
        }),
    ];
    for (shape, make) in shapes {
        let whole = move |pick: Pick| {
            move |_: &Ctx, h: &Path| each(h, pick, |p| write(p, make().as_bytes()))
        };
        variants(
            v,
            &format!("deep/{shape}/run-meta"),
            NESTED,
            &[MC],
            whole(run_meta),
        );
        variants(
            v,
            &format!("deep/{shape}/experiment-meta"),
            NESTED,
            &[MC],
            whole(experiment_meta),
        );
        variants(
            v,
            &format!("deep/{shape}/mlmodel"),
            NESTED,
            &[SC, MC],
            whole(mlmodel),
        );
    }
    let flow = || format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    variants(v, "deep/flow-seq/input-meta", NESTED, &[MC], move |_, h| {
        each(h, input_meta, |p| write(p, flow().as_bytes()))
    });
    variants(
        v,
        "deep/flow-seq/model-version-meta",
        NESTED,
        &[MC],
        move |_, h| each(h, version_meta, |p| write(p, flow().as_bytes())),
    );
    variants(
        v,
        "deep/flow-seq/mlmodel-class",
        NESTED,
        &[SG],
        move |_, h| each(h, mlmodel, |p| write(p, flow().as_bytes())),
    );
    variants(v, "deep/flow-map/run-meta-class", NESTED, &[MG], |_, h| {
        let m = format!("{}1{}", "{a: ".repeat(DEPTH), "}".repeat(DEPTH));
        each(h, run_meta, |p| write(p, m.as_bytes()))
    });
    // Deep under a key the reader wants, after the real content.
    variants(
        v,
        "deep/flow-seq-under-key/run-meta",
        NESTED,
        &[MC],
        move |_, h| each(h, run_meta, |p| append(p, &format!("tags: {}\n", flow()))),
    );
    variants(
        v,
        "deep/flow-seq-under-key/mlmodel",
        NESTED,
        &[SC],
        move |_, h| {
            each(h, mlmodel, |p| {
                append(p, &format!("signature: {}\n", flow()))
            })
        },
    );
}

/// Billion laughs, appended to the real content (unknown keys, so a lenient reader that
/// expands aliases still does all the work).
fn laughs() -> String {
    let mut s = String::from(
        "lol0: &l0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..10 {
        let p = i - 1;
        s.push_str(&format!(
            "lol{i}: &l{i} [*l{p},*l{p},*l{p},*l{p},*l{p},*l{p},*l{p},*l{p},*l{p}]\n"
        ));
    }
    s
}

fn alias_bomb_cases(v: &mut Vec<Case>) {
    let bomb = |pick: Pick| move |_: &Ctx, h: &Path| each(h, pick, |p| append(p, &laughs()));
    variants(v, "alias-bomb/run-meta", UNSETTLED, &[MC], bomb(run_meta));
    variants(
        v,
        "alias-bomb/experiment-meta",
        UNSETTLED,
        &[MC],
        bomb(experiment_meta),
    );
    variants(
        v,
        "alias-bomb/input-meta",
        UNSETTLED,
        &[MC],
        bomb(input_meta),
    );
    variants(
        v,
        "alias-bomb/model-version-meta",
        UNSETTLED,
        &[MC],
        bomb(version_meta),
    );
    variants(
        v,
        "alias-bomb/mlmodel",
        UNSETTLED,
        &[SC, SG, MC],
        bomb(mlmodel),
    );
    // The whole file a bomb, the last key under the name a reader looks up.
    variants(v, "alias-bomb/whole-run-meta", UNSETTLED, &[MC], |_, h| {
        each(h, run_meta, |p| {
            write(p, format!("{}tags: *l9\n", laughs()).as_bytes())
        })
    });
}

fn symlink_cases(v: &mut Vec<Case>) {
    // Artefact folders of the SQLite store.
    variants(
        v,
        "artifacts-link/experiment-to-etc",
        OUTSIDE,
        &[SC, SG],
        |_, h| link(&h.join("mlartifacts/1"), "/etc"),
    );
    variants(
        v,
        "artifacts-link/experiment-to-root",
        OUTSIDE,
        &[SC, SG],
        |_, h| link(&h.join("mlartifacts/1"), "/"),
    );
    variants(
        v,
        "artifacts-link/experiment-to-canary",
        OUTSIDE,
        &[SC],
        |c, h| {
            link(
                &h.join("mlartifacts/1"),
                c.outside.join(format!("{}-artifacts/1", c.canary_name)),
            )
        },
    );
    variants(
        v,
        "artifacts-link/mlartifacts-to-canary",
        OUTSIDE,
        &[SC, SG],
        |c, h| {
            link(
                &h.join("mlartifacts"),
                c.outside.join(format!("{}-artifacts", c.canary_name)),
            )
        },
    );
    variants(
        v,
        "artifacts-link/model-to-canary",
        OUTSIDE,
        &[SC],
        |c, h| {
            let dir = c.outside.join(format!("{}-dir", c.canary_name));
            each(h, mlmodel, |p| link(p.parent().unwrap(), &dir))
        },
    );
    variants(
        v,
        "artifacts-link/relative-escape-to-etc",
        OUTSIDE,
        &[SC],
        |_, h| link(&h.join("mlartifacts/1"), "../".repeat(40) + "etc"),
    );
    // Artefact folders of the file store.
    let run_art = |target: fn(&Ctx) -> PathBuf| {
        move |c: &Ctx, h: &Path| {
            for run in runs(h) {
                link(&run.join("artifacts"), target(c));
            }
        }
    };
    variants(
        v,
        "artifacts-link/run-to-etc",
        OUTSIDE,
        &[MC],
        run_art(|_| "/etc".into()),
    );
    variants(
        v,
        "artifacts-link/run-to-root",
        OUTSIDE,
        &[MC, MG],
        run_art(|_| "/".into()),
    );
    variants(
        v,
        "artifacts-link/run-to-canary",
        OUTSIDE,
        &[MC],
        run_art(|c| c.outside.join(format!("{}-dir", c.canary_name))),
    );
    variants(
        v,
        "mlruns-link/to-canary-store",
        OUTSIDE,
        &[MC, MG],
        |c, h| {
            link(
                &h.join("mlruns"),
                c.outside.join(format!("{}-mlruns", c.canary_name)),
            )
        },
    );
    // Single files.
    let mlmodel_to = |target: fn(&Ctx) -> PathBuf| {
        move |c: &Ctx, h: &Path| each(h, mlmodel, |p| link(p, target(c)))
    };
    variants(
        v,
        "mlmodel-link/etc-passwd",
        OUTSIDE,
        &[SC, SG, MC],
        mlmodel_to(|_| "/etc/passwd".into()),
    );
    variants(
        v,
        "mlmodel-link/canary",
        OUTSIDE,
        &[SC, SG, MC],
        mlmodel_to(|c| c.outside.join(format!("{}.txt", c.canary_name))),
    );
    variants(
        v,
        "mlmodel-link/relative-etc-passwd",
        OUTSIDE,
        &[SC],
        |_, h| each(h, mlmodel, |p| link(p, "../".repeat(40) + "etc/passwd")),
    );
    variants(v, "db-link/canary-store", OUTSIDE, &[SC, SG], |c, h| {
        link(
            &h.join("mlflow.db"),
            c.outside.join(format!("{}.db", c.canary_name)),
        )
    });
    variants(v, "db-link/etc-passwd", OUTSIDE, &[SC], |_, h| {
        link(&h.join("mlflow.db"), "/etc/passwd")
    });
    variants(v, "script-link/canary", OUTSIDE, &[SG], |c, h| {
        link(
            &h.join("homework.py"),
            c.outside.join(format!("{}.txt", c.canary_name)),
        )
    });
    variants(v, "script-link/etc-passwd", OUTSIDE, &[SG], |_, h| {
        link(&h.join("homework.py"), "/etc/passwd")
    });
    variants(v, "notebook-link/canary", OUTSIDE, &[SG], |c, h| {
        link(
            &notebook(h),
            c.outside.join(format!("{}.txt", c.canary_name)),
        )
    });
    variants(v, "tag-link/canary", OUTSIDE, &[MC], |c, h| {
        each(h, run_name_tags, |p| {
            link(p, c.outside.join(format!("{}.txt", c.canary_name)))
        })
    });
    variants(v, "metric-link/canary", OUTSIDE, &[MC], |c, h| {
        each(h, metric_files, |p| {
            link(p, c.outside.join(format!("{}.txt", c.canary_name)))
        })
    });
    variants(v, "meta-link/canary", OUTSIDE, &[MC], |c, h| {
        each(h, run_meta, |p| {
            link(p, c.outside.join(format!("{}.txt", c.canary_name)))
        })
    });
}

fn out_inside_cases(v: &mut Vec<Case>) {
    // `--out` somewhere inside what is graded: refused, and nothing written there.
    let check_out = |name: &str, base: Base, out: fn(&Path) -> PathBuf| {
        case(format!("out-inside/{name}"), INSIDE, move |ctx, dir| {
            let h = dir.join("handin");
            copy_base(ctx, base, &h);
            let out = out(&h);
            let store = match base {
                Sqlite => ["--store".into(), h.join("mlflow.db").into_os_string()],
                Mlruns => ["--mlruns".into(), h.join("mlruns").into_os_string()],
            };
            Plan {
                args: check_args(ctx, &store, &out),
                inputs: vec![h],
                out,
                ..Plan::default()
            }
        })
    };
    v.push(check_out("store-folder/sqlite-check", Sqlite, |h| {
        h.join("reports")
    }));
    v.push(check_out("store-folder-itself/sqlite-check", Sqlite, |h| {
        h.to_path_buf()
    }));
    v.push(check_out("mlruns-folder/mlruns-check", Mlruns, |h| {
        h.join("mlruns/reports")
    }));
    v.push(check_out("artifacts-folder/sqlite-check", Sqlite, |h| {
        h.join("mlartifacts/1")
    }));
    v.push(case(
        "out-inside/symlink-to-store-folder/sqlite-check",
        INSIDE,
        |ctx, dir| {
            let h = dir.join("handin");
            copy_base(ctx, Sqlite, &h);
            let out = dir.join("outlink");
            symlink(&h, &out).unwrap();
            Plan {
                args: check_args(
                    ctx,
                    &["--store".into(), h.join("mlflow.db").into_os_string()],
                    &out,
                ),
                inputs: vec![h],
                out,
                ..Plan::default()
            }
        },
    ));
    let class_out = |name: &str, cmd: &'static str, out: fn(&Path) -> PathBuf| {
        case(format!("out-inside/{name}"), INSIDE, move |ctx, dir| {
            let class = dir.join("class");
            copy_base(ctx, Sqlite, &class.join("ok"));
            let out = out(&class);
            let args = if cmd == "grade" {
                grade_args(ctx, &class, &out)
            } else {
                let mut a = check_args(ctx, &[], &out);
                a.extend(["--submissions".into(), class.clone().into_os_string()]);
                a
            };
            Plan {
                args,
                inputs: vec![class],
                out,
                ..Plan::default()
            }
        })
    };
    v.push(class_out("class-folder/grade", "grade", |c| {
        c.join("reports")
    }));
    v.push(class_out("student-folder/grade", "grade", |c| {
        c.join("ok/reports")
    }));
    v.push(class_out("class-folder/check", "check", |c| {
        c.join("reports")
    }));
}

fn class_cases(v: &mut Vec<Case>) {
    // Every sub-folder gets a gradebook row; where nothing could be graded, a reason.
    let class = |name: &str, expect: Expect, rows: Vec<Row>, build: fn(&Ctx, &Path)| {
        case(format!("class/{name}"), expect, move |ctx, dir| {
            // Two untouched neighbours: a class run with one visible hand-in writes the
            // single-student layout (no gradebook.csv).
            let class = dir.join("class");
            copy_base(ctx, Sqlite, &class.join("ok"));
            copy_base(ctx, Mlruns, &class.join("ok2"));
            build(ctx, &class);
            let out = dir.join("out");
            let mut want = vec![row("ok", Want::Points(PERFECT_POINTS))];
            want.extend(rows.iter().cloned());
            Plan {
                args: grade_args(ctx, &class, &out),
                inputs: vec![class],
                out,
                rows: want,
                ..Plan::default()
            }
        })
    };
    v.push(class(
        "symlinked-subfolder-to-canary-handin",
        LINK_NOT_FOLLOWED,
        vec![row("linked", Want::Reason)],
        |c, cl| {
            symlink(
                c.outside.join(format!("{}-handin", c.canary_name)),
                cl.join("linked"),
            )
            .unwrap()
        },
    ));
    v.push(class(
        "symlinked-subfolder-to-etc",
        LINK_NOT_FOLLOWED,
        vec![row("linked", Want::Reason)],
        |_, cl| symlink("/etc", cl.join("linked")).unwrap(),
    ));
    v.push(class(
        "symlinked-subfolder-to-root",
        LINK_NOT_FOLLOWED,
        vec![row("linked", Want::Reason)],
        |_, cl| symlink("/", cl.join("linked")).unwrap(),
    ));
    // A dot-folder is still somebody's hand-in: it must show up, graded or with a reason.
    v.push(class(
        "dot-subfolder",
        UNSETTLED,
        vec![row(".hidden", Want::Present)],
        |c, cl| copy_base(c, Sqlite, &cl.join(".hidden")),
    ));
    v.push(class(
        "empty-subfolder",
        UNSETTLED,
        vec![row("empty", Want::Reason)],
        |_, cl| std::fs::create_dir_all(cl.join("empty")).unwrap(),
    ));
    // A stray non-MLflow SQLite file must not hide the valid store beside it.
    v.push(class(
        "optuna-db-beside-valid-mlruns",
        UNSETTLED,
        vec![row("student", Want::Graded)],
        |c, cl| {
            let s = cl.join("student");
            copy_base(c, Mlruns, &s);
            let db = rusqlite::Connection::open(s.join("optuna.db")).unwrap();
            db.execute_batch(
                "CREATE TABLE studies (study_id INTEGER PRIMARY KEY, study_name TEXT); \
             CREATE TABLE trials (trial_id INTEGER PRIMARY KEY, study_id INTEGER, state TEXT); \
             INSERT INTO studies VALUES (1, 'wine'); INSERT INTO trials VALUES (1, 1, 'COMPLETE');",
            )
            .unwrap();
        },
    ));
    v.push(class(
        "empty-mlflow-db-beside-valid-homework-db",
        UNSETTLED,
        vec![row("student", Want::Graded)],
        |c, cl| {
            let s = cl.join("student");
            copy_base(c, Sqlite, &s);
            std::fs::rename(s.join("mlflow.db"), s.join("homework.db")).unwrap();
            std::fs::write(s.join("mlflow.db"), b"").unwrap();
        },
    ));
    v.push(class(
        "artifacts-only-mlruns",
        UNSETTLED,
        vec![row("student", Want::Reason)],
        |c, cl| {
            // Only each run's artifacts/ is left: no meta.yaml, metrics, params, tags or registry.
            let s = cl.join("student");
            copy_base(c, Mlruns, &s);
            let runs = runs(&s);
            let exps = experiment_meta(&s);
            for run in &runs {
                for e in std::fs::read_dir(run).unwrap().flatten() {
                    if e.file_name() != "artifacts" {
                        remove(&e.path());
                    }
                }
            }
            for meta in exps {
                remove(&meta.parent().unwrap().join("datasets"));
                remove(&meta);
            }
            remove(&s.join("mlruns/models"));
        },
    ));
    v.push(class(
        "only-mlartifacts",
        UNSETTLED,
        vec![row("student", Want::Reason)],
        |c, cl| {
            let s = cl.join("student");
            copy_base(c, Sqlite, &s);
            std::fs::remove_file(s.join("mlflow.db")).unwrap();
        },
    ));
    v.push(class(
        "mlflow-db-is-a-folder",
        UNSETTLED,
        vec![row("student", Want::Reason)],
        |_, cl| std::fs::create_dir_all(cl.join("student/mlflow.db/inner")).unwrap(),
    ));
    v.push(class(
        "mlruns-is-a-file",
        UNSETTLED,
        vec![row("student", Want::Reason)],
        |_, cl| {
            std::fs::create_dir_all(cl.join("student")).unwrap();
            std::fs::write(cl.join("student/mlruns"), b"not a folder").unwrap();
        },
    ));
    v.push(class(
        "non-utf8-subfolder-name",
        UNSETTLED,
        vec![prefix_row("bad-", Want::Present)],
        |c, cl| {
            let name = OsString::from_vec(b"bad-\xff\xfe-name".to_vec());
            copy_base(c, Sqlite, &cl.join(name));
        },
    ));
    // Not folders: a stray file and a FIFO beside the hand-ins are no students, and no hang.
    v.push(class(
        "stray-file-in-class-folder",
        UNSETTLED,
        vec![],
        |_, cl| std::fs::write(cl.join("README.txt"), b"grades due friday").unwrap(),
    ));
    v.push(class("fifo-in-class-folder", UNSETTLED, vec![], |_, cl| {
        fifo(&cl.join("pipe"))
    }));
    v.push(class(
        "fifo-named-mlflow-db-in-subfolder",
        NOT_REGULAR,
        vec![row("student", Want::Reason)],
        |_, cl| {
            std::fs::create_dir_all(cl.join("student")).unwrap();
            fifo(&cl.join("student/mlflow.db"));
        },
    ));
    // As root, mode 000 does not stop reads; elsewhere the folder must get a reason.
    let mut unreadable = class(
        "unreadable-subfolder",
        UNSETTLED,
        vec![row("locked", Want::Reason)],
        |c, cl| {
            use std::os::unix::fs::PermissionsExt;
            let s = cl.join("locked");
            copy_base(c, Sqlite, &s);
            std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o000)).unwrap();
        },
    );
    // SAFETY: plain syscall.
    if unsafe { libc::geteuid() } == 0 {
        unreadable.skip = Some("runs as root: mode 000 does not make a folder unreadable".into());
    }
    v.push(unreadable);
}

fn sqlite_cases(v: &mut Vec<Case>) {
    // A crash mid-transaction leaves a hot rollback journal: the committed state must grade.
    variants(
        v,
        "sqlite/hot-journal",
        GRADED_NORMALLY,
        &[SC, SG],
        |c, h| hot_journal(c, &h.join("mlflow.db")),
    );
    for v_ in v
        .iter_mut()
        .filter(|c| c.name.starts_with("sqlite/hot-journal"))
    {
        let build = std::mem::replace(&mut v_.build, Box::new(|_, _| Plan::default()));
        v_.build = Box::new(move |c, d| {
            let mut p = build(c, d);
            p.forbid.push("malformed".into());
            p
        });
    }
    variants(v, "sqlite/truncated-half", UNSETTLED, &[SC, SG], |_, h| {
        truncate(&h.join("mlflow.db"), None)
    });
    variants(v, "sqlite/truncated-4k", UNSETTLED, &[SC], |_, h| {
        truncate(&h.join("mlflow.db"), Some(4096))
    });
    variants(v, "sqlite/truncated-100b", UNSETTLED, &[SC], |_, h| {
        truncate(&h.join("mlflow.db"), Some(100))
    });
    variants(v, "sqlite/empty-file", UNSETTLED, &[SC], |_, h| {
        write(&h.join("mlflow.db"), b"")
    });
    variants(v, "sqlite/random-bytes", UNSETTLED, &[SC, SG], |_, h| {
        write(&h.join("mlflow.db"), &random_bytes(1 << 20, 7))
    });
    variants(v, "sqlite/header-then-garbage", UNSETTLED, &[SC], |_, h| {
        let db = h.join("mlflow.db");
        let mut bytes = std::fs::read(&db).unwrap();
        let noise = random_bytes(bytes.len() - 100, 11);
        bytes[100..].copy_from_slice(&noise);
        write(&db, &bytes);
    });
    variants(v, "sqlite/page-count-lie", UNSETTLED, &[SC], |_, h| {
        let db = h.join("mlflow.db");
        let mut bytes = std::fs::read(&db).unwrap();
        bytes[28..32].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
        write(&db, &bytes);
    });
    variants(v, "sqlite/garbage-wal", UNSETTLED, &[SC], |_, h| {
        write(&h.join("mlflow.db-wal"), &random_bytes(64 << 10, 13))
    });
    variants(v, "sqlite/text-file", UNSETTLED, &[SC], |_, h| {
        write(&h.join("mlflow.db"), b"this is not a database\n")
    });
}

fn metric_cases(v: &mut Vec<Case>) {
    let set = |value: &'static str| {
        move |_: &Ctx, h: &Path| {
            sql(
                &h.join("mlflow.db"),
                &format!(
                    "UPDATE OR REPLACE metrics SET value = {value} WHERE key = 'accuracy'; \
                     UPDATE OR REPLACE latest_metrics SET value = {value} WHERE key = 'accuracy'; \
                     UPDATE OR REPLACE logged_model_metrics SET metric_value = {value} WHERE metric_name = 'accuracy';"
                ),
            )
        }
    };
    // MLflow's own NaN: value 0 with is_nan set (SQLite has no NaN; it would store NULL).
    variants(v, "metric/nan-accuracy", NAN, &[SC, SG], |_, h| {
        sql(
            &h.join("mlflow.db"),
            "UPDATE OR REPLACE metrics SET value = 0, is_nan = 1 WHERE key = 'accuracy'; \
             UPDATE OR REPLACE latest_metrics SET value = 0, is_nan = 1 WHERE key = 'accuracy'; \
             UPDATE OR REPLACE logged_model_metrics SET metric_value = NULL WHERE metric_name = 'accuracy';",
        )
    });
    variants(v, "metric/nan-as-text", UNSETTLED, &[SC], set("'NaN'"));
    variants(v, "metric/inf-accuracy", UNSETTLED, &[SC], set("9e999"));
    variants(
        v,
        "metric/neg-inf-accuracy",
        UNSETTLED,
        &[SC],
        set("-9e999"),
    );
    variants(
        v,
        "metric/1e308-accuracy",
        UNSETTLED,
        &[SC, SG],
        set("1e308"),
    );
    variants(v, "metric/accuracy-above-one", UNSETTLED, &[SC], set("1.5"));
    variants(v, "metric/negative-accuracy", UNSETTLED, &[SC], set("-0.5"));
    variants(v, "metric/text-accuracy", UNSETTLED, &[SC], set("'abc'"));
    variants(
        v,
        "metric/blob-accuracy",
        UNSETTLED,
        &[SC],
        set("x'00ff00ff'"),
    );
    let file = |value: &'static str| {
        move |_: &Ctx, h: &Path| {
            for p in select(h, |c| {
                c.len() >= 2 && c[c.len() - 2] == "metrics" && c.last().unwrap() == "accuracy"
            }) {
                write(&p, value.as_bytes());
            }
        }
    };
    variants(
        v,
        "metric-file/nan",
        NAN,
        &[MC, MG],
        file("1795594474545 nan 0\n"),
    );
    variants(
        v,
        "metric-file/inf",
        UNSETTLED,
        &[MC],
        file("1795594474545 inf 0\n"),
    );
    variants(
        v,
        "metric-file/1e999",
        UNSETTLED,
        &[MC],
        file("1795594474545 1e999 0\n"),
    );
    variants(
        v,
        "metric-file/garbage",
        UNSETTLED,
        &[MC],
        file("\u{0}\u{1}garbage \u{FFFD}\n"),
    );
    variants(v, "metric-file/empty", UNSETTLED, &[MC], file(""));
    variants(
        v,
        "metric-file/many-columns",
        UNSETTLED,
        &[MC],
        file("1 0.5 0 9 9 9 9\n"),
    );
}

fn server_cases(v: &mut Vec<Case>) {
    let server = |name: &'static str, expect: Expect, cmd: &'static str| {
        case(format!("server/{name}/{cmd}"), expect, move |ctx, dir| {
            let uri = format!("http://127.0.0.1:{}/", ctx.ports[name]);
            // The client's own timeout (60 s by default) must end before the corpus's 30 s.
            let env = vec![("HARNESS_HTTP_TIMEOUT_S".to_string(), "5".to_string())];
            tracking_plan(ctx, dir, cmd, Some(&uri), env)
        })
    };
    v.push(server("endless-chunked", LARGER, "check"));
    v.push(server("endless-chunked", LARGER, "grade"));
    v.push(server("endless-unsized", LARGER, "check"));
    v.push(server("gigabyte-length", LARGER, "check"));
    v.push(server("invalid-json", UNSETTLED, "check"));
    v.push(server("html", UNSETTLED, "check"));
    // Bounded by the client's timeouts, which must end before the corpus's.
    v.push(server("never-answers", UNSETTLED, "check"));
    v.push(server("drip", UNSETTLED, "check"));
    v.push(server("redirect-loop", UNSETTLED, "check"));
    v.push(server("unauthorized", UNSETTLED, "check"));
}

fn secret_cases(v: &mut Vec<Case>) {
    // `user:top@secret@host`: the password is `top@secret` (the last `@` ends the userinfo).
    let uri =
        |ctx: &Ctx, host: &str| format!("http://user:top@secret@{host}/?token=s3cr3t-{}", ctx.uuid);
    let secrets = |ctx: &Ctx| {
        vec![
            "top@secret".to_string(),
            "top%40secret".to_string(),
            format!("s3cr3t-{}", ctx.uuid),
        ]
    };
    let at = |server: &'static str, cmd: &'static str| {
        case(
            format!("secret/userinfo-and-token/{server}/{cmd}"),
            UNSETTLED,
            move |ctx, dir| {
                let host = match server {
                    "refused" => "127.0.0.1:1".to_string(),
                    s => format!("127.0.0.1:{}", ctx.ports[s]),
                };
                let mut p = tracking_plan(ctx, dir, cmd, Some(&uri(ctx, &host)), vec![]);
                p.forbid = secrets(ctx);
                p
            },
        )
    };
    v.push(at("refused", "check"));
    v.push(at("refused", "grade"));
    v.push(at("invalid-json", "check"));
    v.push(at("html", "check"));
    v.push(at("endless-chunked", "check"));
    v.push(at("redirect-loop", "check"));
    v.push(at("unauthorized", "check"));
    v.push(case(
        "secret/env-tracking-uri/check",
        UNSETTLED,
        move |ctx, dir| {
            let env = vec![(
                "MLFLOW_TRACKING_URI".into(),
                uri(ctx, &format!("127.0.0.1:{}", ctx.ports["invalid-json"])),
            )];
            let mut p = tracking_plan(ctx, dir, "check", None, env);
            p.forbid = secrets(ctx);
            p
        },
    ));
    v.push(case(
        "secret/percent-encoded-password/check",
        UNSETTLED,
        move |ctx, dir| {
            let u = format!(
                "http://user:top%40secret@127.0.0.1:{}/?token=s3cr3t-{}",
                ctx.ports["unauthorized"], ctx.uuid
            );
            let mut p = tracking_plan(ctx, dir, "check", Some(&u), vec![]);
            p.forbid = secrets(ctx);
            p
        },
    ));
    v.push(case(
        "secret/malformed-uri/check",
        UNSETTLED,
        move |ctx, dir| {
            let u = format!("http://user:top@secret@[::1/?token=s3cr3t-{}", ctx.uuid);
            let mut p = tracking_plan(ctx, dir, "check", Some(&u), vec![]);
            p.forbid = secrets(ctx);
            p
        },
    ));
    v.push(case(
        "secret/fragment-and-path/check",
        UNSETTLED,
        move |ctx, dir| {
            let u = format!(
                "http://user:top@secret@127.0.0.1:{}/mlflow/?token=s3cr3t-{}#s3cr3t-{}",
                ctx.ports["invalid-json"], ctx.uuid, ctx.uuid
            );
            let mut p = tracking_plan(ctx, dir, "check", Some(&u), vec![]);
            p.forbid = secrets(ctx);
            p
        },
    ));
    v.push(case(
        "secret/env-basic-password/check",
        UNSETTLED,
        move |ctx, dir| {
            let u = format!("http://127.0.0.1:{}/", ctx.ports["unauthorized"]);
            let env = vec![
                ("MLFLOW_TRACKING_USERNAME".into(), "ta".into()),
                (
                    "MLFLOW_TRACKING_PASSWORD".into(),
                    format!("pw-{}", ctx.uuid),
                ),
            ];
            let mut p = tracking_plan(ctx, dir, "check", Some(&u), env);
            p.forbid = vec![format!("pw-{}", ctx.uuid)];
            p
        },
    ));
    v.push(case(
        "secret/env-token/check",
        UNSETTLED,
        move |ctx, dir| {
            let u = format!("http://127.0.0.1:{}/", ctx.ports["invalid-json"]);
            let env = vec![("MLFLOW_TRACKING_TOKEN".into(), format!("tok-{}", ctx.uuid))];
            let mut p = tracking_plan(ctx, dir, "check", Some(&u), env);
            p.forbid = vec![format!("tok-{}", ctx.uuid)];
            p
        },
    ));
}

// ---------------------------------------------------------------------------------------------
// Building blocks

fn case(
    name: impl Into<String>,
    expect: Expect,
    build: impl Fn(&Ctx, &Path) -> Plan + Send + Sync + 'static,
) -> Case {
    Case {
        name: name.into(),
        expect,
        skip: None,
        build: Box::new(build),
    }
}

fn row(name: &str, want: Want) -> Row {
    Row {
        name: name.into(),
        prefix: false,
        want,
    }
}

fn prefix_row(name: &str, want: Want) -> Row {
    Row {
        name: name.into(),
        prefix: true,
        want,
    }
}

/// One case per (base, mode): `name/sqlite-check`, `name/mlruns-class`, …
fn variants(
    v: &mut Vec<Case>,
    name: &str,
    expect: Expect,
    combos: &[(Base, Mode)],
    mutate: impl Fn(&Ctx, &Path) + Send + Sync + 'static,
) {
    let mutate: Mutation = Arc::new(mutate);
    for &(base, mode) in combos {
        let m = mutate.clone();
        let tag = format!(
            "{}-{}",
            if base == Sqlite { "sqlite" } else { "mlruns" },
            if mode == Check { "check" } else { "class" }
        );
        v.push(case(format!("{name}/{tag}"), expect, move |ctx, dir| {
            handin_plan(ctx, dir, base, mode, expect, &*m)
        }));
    }
}

fn handin_plan(
    ctx: &Ctx,
    dir: &Path,
    base: Base,
    mode: Mode,
    expect: Expect,
    m: &dyn Fn(&Ctx, &Path),
) -> Plan {
    let out = dir.join("out");
    match mode {
        Check => {
            let h = dir.join("handin");
            copy_base(ctx, base, &h);
            m(ctx, &h);
            let store = match base {
                Sqlite => ["--store".into(), h.join("mlflow.db").into_os_string()],
                Mlruns => ["--mlruns".into(), h.join("mlruns").into_os_string()],
            };
            Plan {
                args: check_args(ctx, &store, &out),
                inputs: vec![h],
                out,
                ..Plan::default()
            }
        }
        Class => {
            let class = dir.join("class");
            copy_base(ctx, Sqlite, &class.join("ok"));
            let s = class.join("student");
            copy_base(ctx, base, &s);
            m(ctx, &s);
            Plan {
                args: grade_args(ctx, &class, &out),
                inputs: vec![class],
                out,
                rows: vec![
                    row("ok", Want::Points(PERFECT_POINTS)),
                    // Where the store must grade normally, the hand-in's own row says so
                    // (the phrase alone could come from the neighbour).
                    row(
                        "student",
                        if base == Sqlite && expect == GRADED_NORMALLY {
                            Want::Points(PERFECT_POINTS)
                        } else if base == Mlruns && expect == GRADED_NORMALLY_MLRUNS {
                            Want::Points(MLRUNS_POINTS)
                        } else {
                            Want::Present
                        },
                    ),
                ],
                ..Plan::default()
            }
        }
    }
}

fn tracking_plan(
    ctx: &Ctx,
    dir: &Path,
    cmd: &str,
    uri: Option<&str>,
    env: Vec<(String, String)>,
) -> Plan {
    let out = dir.join("out");
    let mut args: Vec<OsString> = if cmd == "grade" {
        ["grade", "--quiet", "--no-screenshots", "--tasks-dir"]
            .map(OsString::from)
            .into_iter()
            .chain([ctx.repo.join("tasks").into_os_string()])
            .collect()
    } else {
        check_args(ctx, &[], &out)
    };
    if cmd == "grade" {
        args.extend(["--out".into(), out.clone().into_os_string()]);
    }
    if let Some(u) = uri {
        args.extend(["--tracking-uri".into(), u.into()]);
    }
    Plan {
        args,
        env,
        out,
        ..Plan::default()
    }
}

fn check_args(ctx: &Ctx, store: &[OsString], out: &Path) -> Vec<OsString> {
    let mut a: Vec<OsString> = ["check", "--quiet", "--task", "all", "--tasks-dir"]
        .map(OsString::from)
        .into();
    a.push(ctx.repo.join("tasks").into_os_string());
    a.extend(store.iter().cloned());
    a.extend(["--out".into(), out.as_os_str().to_owned()]);
    a
}

fn grade_args(ctx: &Ctx, class: &Path, out: &Path) -> Vec<OsString> {
    let mut a: Vec<OsString> = ["grade", "--quiet", "--no-screenshots", "--tasks-dir"]
        .map(OsString::from)
        .into();
    a.push(ctx.repo.join("tasks").into_os_string());
    a.extend([
        "--submissions".into(),
        class.as_os_str().to_owned(),
        "--out".into(),
        out.as_os_str().to_owned(),
    ]);
    a
}

/// A fresh copy of a base hand-in, with a notebook beside the script.
fn copy_base(ctx: &Ctx, base: Base, to: &Path) {
    let from = match base {
        Sqlite => "perfect",
        Mlruns => "mlflow2-mlruns",
    };
    copy_tree(&ctx.fixtures.join(from), to);
    std::fs::write(
        to.join("homework.ipynb"),
        r##"{"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# ชื่อ-นามสกุล: นักศึกษา ตัวอย่าง\n", "# รหัสนักศึกษา: 6400000000\n"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"##,
    )
    .unwrap();
}

fn notebook(h: &Path) -> PathBuf {
    h.join("homework.ipynb")
}

/// Paths under `root` (symlinks not followed) whose components relative to `root` satisfy
/// `pred`, sorted.
fn select(root: &Path, pred: impl Fn(&[String]) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let comps: Vec<String> = p
                .strip_prefix(root)
                .unwrap()
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if pred(&comps) {
                out.push(p.clone());
            }
            if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

type Pick = fn(&Path) -> Vec<PathBuf>;

/// Applies `f` to every path `pick` finds; a pick that finds nothing is a broken case.
fn each(h: &Path, pick: Pick, f: impl Fn(&Path)) {
    let paths = pick(h);
    assert!(!paths.is_empty(), "nothing to mutate under {}", h.display());
    for p in &paths {
        f(p);
    }
}

fn is_mlruns_entry(c: &[String]) -> bool {
    c.first().is_some_and(|f| f == "mlruns")
        && c.get(1).is_some_and(|e| e != "models" && e != ".trash")
}

fn mlmodel(h: &Path) -> Vec<PathBuf> {
    select(h, |c| c.last().is_some_and(|l| l == "MLmodel"))
}
fn run_meta(h: &Path) -> Vec<PathBuf> {
    select(h, |c| {
        is_mlruns_entry(c) && c.len() == 4 && c[2] != "datasets" && c[3] == "meta.yaml"
    })
}
fn experiment_meta(h: &Path) -> Vec<PathBuf> {
    select(h, |c| {
        is_mlruns_entry(c) && c.len() == 3 && c[2] == "meta.yaml"
    })
}
fn input_meta(h: &Path) -> Vec<PathBuf> {
    select(h, |c| {
        is_mlruns_entry(c) && c.len() == 6 && c[3] == "inputs" && c[5] == "meta.yaml"
    })
}
fn version_meta(h: &Path) -> Vec<PathBuf> {
    select(h, |c| {
        c.len() == 5 && c[1] == "models" && c[3].starts_with("version-") && c[4] == "meta.yaml"
    })
}
fn metric_files(h: &Path) -> Vec<PathBuf> {
    select(h, |c| {
        is_mlruns_entry(c) && c.len() == 5 && c[3] == "metrics"
    })
}
fn param_files(h: &Path) -> Vec<PathBuf> {
    select(h, |c| {
        is_mlruns_entry(c) && c.len() == 5 && c[3] == "params"
    })
}
fn run_name_tags(h: &Path) -> Vec<PathBuf> {
    select(h, |c| {
        is_mlruns_entry(c) && c.len() == 5 && c[3] == "tags" && c[4] == "mlflow.runName"
    })
}
fn runs(h: &Path) -> Vec<PathBuf> {
    run_meta(h)
        .iter()
        .map(|p| p.parent().unwrap().to_path_buf())
        .collect()
}

fn remove(p: &Path) {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(p).unwrap(),
        Ok(_) => std::fs::remove_file(p).unwrap(),
        Err(_) => {}
    }
}

fn fifo(p: &Path) {
    remove(p);
    let c = CString::new(p.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(
        rc,
        0,
        "mkfifo {}: {}",
        p.display(),
        std::io::Error::last_os_error()
    );
}

fn link(p: &Path, target: impl AsRef<Path>) {
    remove(p);
    symlink(target, p).unwrap();
}

/// `head`, then a hole up to `size` bytes.
fn sparse(p: &Path, head: &[u8], size: u64) {
    remove(p);
    std::fs::write(p, head).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(p)
        .unwrap()
        .set_len(size)
        .unwrap();
}

fn write(p: &Path, bytes: &[u8]) {
    remove(p);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(p, bytes).unwrap();
}

fn append(p: &Path, text: &str) {
    let mut s = std::fs::read_to_string(p).unwrap();
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s.push_str(text);
    std::fs::write(p, s).unwrap();
}

fn truncate(p: &Path, to: Option<u64>) {
    let len = std::fs::metadata(p).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
    f.set_len(to.unwrap_or(len / 2)).unwrap();
}

fn sql(db: &Path, statements: &str) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(statements).unwrap();
}

/// About `bytes` bytes of Thai text.
fn thai(bytes: usize) -> String {
    "ภาษาไทยยาวมาก ".repeat(bytes / "ภาษาไทยยาวมาก ".len() + 1)
}

/// Deterministic noise (xorshift), no RNG crate needed.
fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Leaves a hot rollback journal: a transaction that spilled uncommitted pages into the
/// database file, then a process exit before COMMIT (Python's sqlite3, as a crashed notebook
/// kernel would leave it).
fn hot_journal(ctx: &Ctx, db: &Path) {
    let script = r#"
import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA journal_mode=DELETE")
c.execute("PRAGMA cache_size=2")
c.execute("BEGIN")
c.execute("CREATE TABLE crash_junk (x BLOB)")
for _ in range(400):
    c.execute("INSERT INTO crash_junk VALUES (?)", (os.urandom(3000),))
c.execute("UPDATE metrics SET value = 0.123")
c.execute("UPDATE experiments SET name = name || ' (half-written)'")
os._exit(0)
"#;
    let st = std::process::Command::new(&ctx.python)
        .args(["-c", script])
        .arg(db)
        .status()
        .expect("run python for the hot journal");
    assert!(st.success(), "the hot-journal script failed");
    let journal = PathBuf::from(format!("{}-journal", db.display()));
    let len = std::fs::metadata(&journal).map(|m| m.len()).unwrap_or(0);
    assert!(len > 0, "no hot journal beside {}", db.display());
}
