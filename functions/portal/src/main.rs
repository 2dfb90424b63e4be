//! `portal`: the local server and the back office's command line. Wiring only.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use portal::config::{Config, terminal_lang};
use portal::import::{self, What};
use portal::stores;
use portal::{audit, backoffice, calc, demo, serve, wiring};
use portal_core::accounts::dispatch_letters;
use portal_core::{Clock, SystemClock};
use portal_mail_outbox::OutboxMailer;

#[derive(Parser)]
#[command(
    version,
    about = "Serviceportal für Leistungserbringer: local server and back-office tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The benefits calculators: one JSON object on stdin, one on stdout.
    Calc {
        #[command(subcommand)]
        calc: calc::Calc,
    },
    #[command(flatten)]
    WithStore(StoreCommand),
}

/// The commands that work on the store (PORTAL_STORE, PORTAL_DATA_DIR).
#[derive(Subcommand)]
enum StoreCommand {
    /// Serve the API and the app on PORTAL_ADDR with the data in PORTAL_DATA_DIR.
    Serve {
        /// Load the demo providers and exemptions when the store is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Load one of the insurer's files (UTF-8, `;`-separated, with a header line).
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Who asked about whom: `--kvnr K` or `--ik I`, optionally `--from`/`--to`; or `verify`.
    Audit(audit::AuditArgs),
    /// Back-office help for a provider's account.
    Accounts {
        #[command(subcommand)]
        action: backoffice::Action,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// The provider directory: ik;name;email;strasse;plz;ort;berufsfeld
    Providers { file: PathBuf },
    /// Co-payment exemptions: kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis
    Exemptions {
        file: PathBuf,
        /// Remove the exemptions of this year that are absent from the file.
        #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(i32).range(2000..=2100))]
        replace_year: Option<i32>,
    },
}

/// Exit codes: 0 done; 1 failed (nothing or only part imported, see the message); 2 wrong usage;
/// 3 imported, but not all as asked: rows were rejected, or the year was not replaced.
const INCOMPLETE: u8 = 3;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("portal: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Calc { calc } => calculate(calc),
        Command::WithStore(command) => run_with_store(command).await,
    }
}

fn calculate(calc: calc::Calc) -> anyhow::Result<ExitCode> {
    let mut input = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)?;
    match calc::run(calc, &input, terminal_lang()) {
        Ok(answer) => {
            println!("{answer}");
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            eprintln!("portal: {problem}");
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn run_with_store(command: StoreCommand) -> anyhow::Result<ExitCode> {
    let config = Config::from_env()?;
    let (stores, embedded) = stores::open(&config).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match command {
        StoreCommand::Serve { demo } => {
            if demo && demo::load_if_empty(&stores, clock.as_ref()).await? {
                tracing::info!("demo data loaded");
            }
            let portal = wiring::portal(&config, &stores, clock.clone())?;
            let key = wiring::AnchorKey::MakeIfMissing;
            let anchoring = wiring::anchoring(&config, &stores, clock.clone(), key)?;
            let outbox = Arc::new(OutboxMailer::new(config.data_dir.join("outbox")));
            wiring::spawn_background(
                &stores,
                embedded,
                outbox,
                portal.letters_queued,
                clock,
                Some(anchoring),
            );
            let listener = tokio::net::TcpListener::bind(config.addr)
                .await
                .with_context(|| format!("cannot listen on {}", config.addr))?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, "portal listening");
            eprintln!("Portal: http://{addr}/  (Strg+C beendet / Ctrl+C stops)");
            let app = serve::app(portal.state, &config.static_dir);
            serve::run(listener, app, serve::shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        StoreCommand::Import { what } => {
            let lang = terminal_lang();
            let (what, file) = match what {
                ImportCommand::Providers { file } => (What::Providers, file),
                ImportCommand::Exemptions { file, replace_year } => {
                    (What::Exemptions { replace_year }, file)
                }
            };
            let report = import::run(&stores, what, &file, lang).await?;
            println!("{}", report.summary(lang));
            Ok(if report.is_complete() { ExitCode::SUCCESS } else { ExitCode::from(INCOMPLETE) })
        }
        StoreCommand::Audit(args) => {
            let lang = terminal_lang();
            let portal = wiring::portal(&config, &stores, clock.clone())?;
            let anchoring = |key| wiring::anchoring(&config, &stores, clock.clone(), key);
            match args.command {
                Some(audit::AuditCommand::Verify) => {
                    let anchoring = anchoring(wiring::AnchorKey::MustExist)?;
                    let (report, intact) =
                        audit::verify(&portal.state.oha, &anchoring, lang).await?;
                    println!("{report}");
                    Ok(if intact { ExitCode::SUCCESS } else { ExitCode::FAILURE })
                }
                Some(audit::AuditCommand::Anchor) => {
                    let anchoring = anchoring(wiring::AnchorKey::MakeIfMissing)?;
                    println!("{}", audit::anchor(&anchoring, lang).await?);
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    println!("{}", audit::list(&portal.state.oha, &args, lang).await?);
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        StoreCommand::Accounts { action } => {
            let lang = terminal_lang();
            let portal = wiring::portal(&config, &stores, clock.clone())?;
            let message = backoffice::run(&portal.state.accounts, action, lang).await?;
            println!("{message}");
            // Locally, send resent letters right away rather than when the server next looks.
            if embedded.is_some() {
                let outbox = OutboxMailer::new(config.data_dir.join("outbox"));
                let (letters, accounts) = (stores.letters.as_ref(), stores.accounts.as_ref());
                dispatch_letters(letters, accounts, &outbox, clock.as_ref()).await?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Logs go to stderr; `PORTAL_LOG` filters (default `info`), `PORTAL_LOG_FORMAT=json` for machines.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PORTAL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if std::env::var("PORTAL_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
