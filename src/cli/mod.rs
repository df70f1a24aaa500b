//! The `latchkey` command line (contract §1).

use clap::{Parser, Subcommand};

use crate::{
    application::{Application, Services, shutdown_signal},
    configuration::{LogFormat, Settings},
    storage::Store,
};

#[derive(Parser)]
#[command(name = "latchkey", version, about = "A self-hosted account service")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server and the outbox worker.
    Serve,
    /// Run only the outbox worker.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
}

/// Runs the command line; returns the process exit code.
pub fn run() -> i32 {
    let cli = Cli::parse();
    let (settings, warnings) = match Settings::load() {
        Ok(loaded) => loaded,
        Err(e) => return fail(e),
    };
    init_tracing(&settings);
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    let result: Result<(), String> = runtime.block_on(async move {
        match cli.command {
            Command::Serve => {
                let app = Application::build(settings)
                    .await
                    .map_err(|e| e.to_string())?;
                app.run(shutdown_signal()).await.map_err(|e| e.to_string())
            }
            Command::Worker => {
                let services = Services::build(settings).await.map_err(|e| e.to_string())?;
                let (stop, stopped) = tokio::sync::watch::channel(false);
                let worker = tokio::spawn(services.worker().run(stopped));
                shutdown_signal().await;
                let _ = stop.send(true);
                let _ = worker.await;
                Ok(())
            }
            Command::Migrate => {
                let store = Store::open(&settings.database_url)
                    .await
                    .map_err(|e| e.to_string())?;
                store.migrate().await.map_err(|e| e.to_string())?;
                println!("migrations applied");
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => 0,
        Err(e) => fail(e),
    }
}

fn fail(message: impl std::fmt::Display) -> i32 {
    eprintln!("latchkey: {message}");
    1
}

fn init_tracing(settings: &Settings) {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match settings.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
