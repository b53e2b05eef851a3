//! `harness serve MODEL_URI`: load the model, listen, follow the alias, stop on SIGINT/SIGTERM.

use std::io::Write;
use std::process::ExitCode;

use crate::error::Error;
use crate::progress::Progress;
use crate::serve::{self, AppState, ServeError};
use crate::server;
use crate::settings::{ModelSource, ServeSettings};

/// Serves until a signal; prints the URL and the version on `out` once it listens.
pub(crate) fn serve(
    settings: &ServeSettings,
    quiet: bool,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let progress = Progress::spinner(quiet);
    // The tracking server handle lives while serving: an embedded server it started stops
    // when it is dropped, and the follower asks it where the alias points.
    let loaded = load(settings, &progress);
    progress.finish();
    let (model, registry) = loaded?;
    let uri = model.uri().to_owned();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Io)?;
    let addr = format!("{}:{}", settings.host, settings.port);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(&addr))
        .map_err(|source| ServeError::Bind {
            addr: addr.clone(),
            source,
        })?;
    let local = listener.local_addr().map_err(ServeError::Io)?;
    let version = match model.version() {
        "" => String::new(),
        v => format!("version {v}, "),
    };
    writeln!(
        out,
        "serving {uri} ({version}flavor {}) at http://{local}",
        model.flavor()
    )?;
    out.flush()?;
    let state = AppState::new(model, settings.limits);
    let follower = registry.map(|(tracking, client)| {
        let follower = settings
            .poll_interval
            .filter(|_| serve::follows(&uri))
            .map(|every| serve::follow(client, uri.clone(), state.clone(), every));
        (tracking, follower)
    });
    let served = runtime.block_on(serve::run(listener, state, serve::shutdown_signal()));
    drop(follower);
    served?;
    writeln!(out, "stopped")?;
    Ok(ExitCode::SUCCESS)
}

type Registry = (server::TrackingServer, crate::mlflow::MlflowClient);

/// The model, and for registry models the server and client the follower keeps using.
fn load(
    settings: &ServeSettings,
    progress: &Progress,
) -> Result<(serve::ServedModel, Option<Registry>), Error> {
    match &settings.model {
        ModelSource::Folder(dir) => {
            progress.set_message(format!("loading {}", dir.display()));
            Ok((serve::load_dir(dir, &dir.display().to_string())?, None))
        }
        ModelSource::Registry { uri, server } => {
            progress.set_message("connecting to MLflow");
            let tracking = server::connect(server, progress)?;
            let client = tracking.client()?;
            progress.set_message(format!("loading {uri}"));
            let model = serve::load_from_registry(&client, uri)?;
            Ok((model, Some((tracking, client))))
        }
    }
}
