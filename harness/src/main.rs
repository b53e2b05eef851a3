use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = harness::cli::Cli::parse();
    match harness::settings::Settings::from_cli(cli).and_then(harness::run) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", harness::error::report(&err));
            std::process::ExitCode::from(err.exit_code())
        }
    }
}
