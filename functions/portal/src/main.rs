//! `portal`: the local server and the back office's command line. Wiring only.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use portal::config::{Config, terminal_lang};
use portal::import::{self, What};
use portal::stores::{self, TenantStores};
use portal::{
    audit, backoffice, backoffice_users, calc, clients, demo, proof, serve, stats, wiring,
};
use portal_core::accounts::dispatch_letters_counting;
use portal_core::{Clock, SystemClock};
use portal_mail_outbox::OutboxMailer;

// Many small allocations per request (the router's, hyper's, SQLite's rows): glibc's malloc
// and free took 14 % of the query path, mimalloc about a third of that (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    version,
    about = "Serviceportal für Leistungserbringer: local server and back-office tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    tenant: TenantArg,
}

#[derive(Subcommand)]
enum Command {
    /// The benefits calculators: one JSON object on stdin, one on stdout.
    Calc {
        #[command(subcommand)]
        calc: calc::Calc,
    },
    /// The proofs of answered queries: check one offline with the published keys.
    Proof {
        #[command(subcommand)]
        action: proof::Action,
    },
    /// The information pages: check a content folder before it is served or deployed.
    Content {
        #[command(subcommand)]
        action: ContentAction,
    },
    #[command(flatten)]
    WithStore(StoreCommand),
}

#[derive(Subcommand)]
enum ContentAction {
    /// Front matter, Berufsfeld, duplicate pages, links to pages that do not exist: every
    /// problem listed, exit 1 if there is one.
    Check {
        /// The content folder (`pages/*.md`, `tenants/<slug>/*.md`); default PORTAL_CONTENT_DIR
        /// or `content`.
        dir: Option<PathBuf>,
    },
}

/// Which tenant a back-office command is for.
#[derive(clap::Args, Clone, Debug)]
struct TenantArg {
    /// The insurer (its short name in the tenants file); needed when there are several.
    #[arg(long, value_name = "SLUG", global = true)]
    tenant: Option<String>,
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
    Audit {
        #[command(flatten)]
        args: audit::AuditArgs,
    },
    /// The figures per day (queries, providers, top providers, anomalies): `--from`/`--to`,
    /// `--json`; or `rollup` to roll days up from the audit log.
    Stats {
        #[command(flatten)]
        args: stats::StatsArgs,
    },
    /// After upgrading to a release with tenants, with traffic stopped: the DynamoDB items written
    /// before become the named insurer's (`--tenant`). It can be stopped and run again. The local
    /// store file is taken over on start.
    Upgrade,
    /// A practice's therapy reports: what was sent when, where it stands. Never their contents
    /// (sealed with a key the back office does not use).
    Reports {
        /// The practice's IK.
        ik: String,
    },
    /// The back office's own users for the figures page (`/backoffice`): `add NAME` prints a
    /// generated password once, `remove NAME`.
    Backoffice {
        #[command(subcommand)]
        action: backoffice_users::Action,
    },
    /// Back-office help for a provider's account.
    Accounts {
        #[command(subcommand)]
        action: backoffice::Action,
    },
    /// The machine API's clients (a provider's software): register, list, revoke.
    Clients {
        #[command(subcommand)]
        action: clients::Action,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// The provider directory: ik;name;email;strasse;plz;ort;berufsfeld
    Providers { file: PathBuf },
    /// The physician directory (eTherapiebericht): lanr;bsnr;name;strasse;plz;ort;kim_address;earztbrief
    Physicians { file: PathBuf },
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
        Command::Proof { action } => {
            let (report, genuine) = proof::run(action, &Config::from_env()?, terminal_lang())?;
            println!("{report}");
            Ok(if genuine { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Content { action: ContentAction::Check { dir } } => {
            let dir = dir
                .or_else(|| std::env::var_os("PORTAL_CONTENT_DIR").map(PathBuf::from))
                .unwrap_or_else(|| PathBuf::from("content"));
            let (report, fine) = portal::content::check(&dir, terminal_lang())?;
            match fine {
                true => println!("{report}"),
                false => eprintln!("{report}"),
            }
            Ok(if fine { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::WithStore(command) => run_with_store(command, &cli.tenant).await,
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

async fn run_with_store(command: StoreCommand, tenant: &TenantArg) -> anyhow::Result<ExitCode> {
    let config = Config::from_env()?;
    if matches!(command, StoreCommand::Serve { demo: true }) {
        demo::write_tenants_file_if_missing(&config)?;
    }
    let tenants = config.tenants()?;
    let all = stores::open(&config, &tenants).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let lang = terminal_lang();
    match command {
        StoreCommand::Serve { demo } => {
            for tenant in &all {
                if demo && demo::load_if_empty(tenant, clock.as_ref()).await? {
                    tracing::info!(tenant = %tenant.tenant.slug, "demo data loaded");
                }
            }
            let portal = wiring::portal(&config, &tenants, &all, clock.clone())?;
            let key = wiring::AnchorKey::MakeIfMissing;
            let work = all
                .iter()
                .map(|tenant| {
                    let anchoring = wiring::anchoring(&config, tenant, clock.clone(), key)?;
                    let reports = portal
                        .state
                        .app(tenant.tenant.slug.as_str())
                        .context("every tenant has its use cases")?
                        .reports
                        .clone();
                    Ok(wiring::Background {
                        tenant: tenant.clone(),
                        reports,
                        anchoring: Some(anchoring),
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let outbox = Arc::new(OutboxMailer::new(config.data_dir.join("outbox")));
            let delivery = wiring::report_delivery(&config)?;
            wiring::spawn_background(work, outbox, delivery, portal.work_queued, clock);
            stats::spawn_rollups(portal.state.apps().to_vec());
            let listener = tokio::net::TcpListener::bind(config.addr)
                .await
                .with_context(|| format!("cannot listen on {}", config.addr))?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, tenants = tenants.len(), "portal listening");
            for tenant in tenants.iter() {
                let host = tenant
                    .hosts
                    .first()
                    .map_or_else(|| addr.to_string(), |host| format!("{host}:{}", addr.port()));
                eprintln!("Portal {}: http://{host}/", tenant.name);
            }
            eprintln!("(Strg+C beendet / Ctrl+C stops)");
            let app = serve::app(portal.state, &config.static_dir);
            serve::run(listener, app, serve::shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        StoreCommand::Import { what } => {
            let tenant = pick(&all, tenant)?;
            let (what, file) = match what {
                ImportCommand::Providers { file } => (What::Providers, file),
                ImportCommand::Physicians { file } => (What::Physicians, file),
                ImportCommand::Exemptions { file, replace_year } => {
                    (What::Exemptions { replace_year }, file)
                }
            };
            let report = import::run(&tenant.stores, what, &file, lang).await?;
            println!("{}", report.summary(lang));
            Ok(if report.is_complete() { ExitCode::SUCCESS } else { ExitCode::from(INCOMPLETE) })
        }
        StoreCommand::Audit { args } => {
            args.check()?;
            let tenant = pick(&all, tenant)?;
            let portal = wiring::portal(&config, &tenants, &all, clock.clone())?;
            let oha = &portal.state.app(tenant.tenant.slug.as_str()).context("the tenant")?.oha;
            let anchoring = |key| wiring::anchoring(&config, tenant, clock.clone(), key);
            match args.command {
                Some(audit::AuditCommand::Verify) => {
                    let anchoring = anchoring(wiring::AnchorKey::MustExist)?;
                    let (report, intact) = audit::verify(oha, &anchoring, lang).await?;
                    println!("{report}");
                    Ok(if intact { ExitCode::SUCCESS } else { ExitCode::FAILURE })
                }
                Some(audit::AuditCommand::Anchor) => {
                    let anchoring = anchoring(wiring::AnchorKey::MakeIfMissing)?;
                    println!("{}", audit::anchor(&anchoring, lang).await?);
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    println!("{}", audit::list(oha, &args, lang).await?);
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        StoreCommand::Stats { args } => {
            let tenant = pick(&all, tenant)?;
            let portal = wiring::portal(&config, &tenants, &all, clock.clone())?;
            let app = portal.state.app(tenant.tenant.slug.as_str()).context("the tenant")?;
            match &args.command {
                Some(stats::StatsCommand::Rollup { from, to }) => {
                    println!("{}", stats::rollup(&app.figures, from, to, lang).await?);
                }
                None => {
                    let quota = app.oha.settings.quota_per_day;
                    let report = stats::report(&app.figures, &args, quota, lang).await?;
                    if args.json {
                        println!("{}", serde_json::to_string_pretty(&report)?);
                    } else {
                        print!("{}", stats::table(&report, lang));
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        StoreCommand::Upgrade => {
            let tenant = pick(&all, tenant)?;
            if config.store == portal::config::StoreKind::Embedded {
                println!(
                    "{}",
                    match lang {
                        portal_domain::Lang::De =>
                            "Die lokale Datenbank wurde beim Start übernommen; nichts zu tun.",
                        portal_domain::Lang::En =>
                            "The local store was taken over on start; nothing to do.",
                    }
                );
                return Ok(ExitCode::SUCCESS);
            }
            let aws = aws_config::load_from_env().await;
            let store = portal_store_dynamodb::DynamoStore::new(
                aws_sdk_dynamodb::Client::new(&aws),
                portal_store_dynamodb::Tables::from_env(),
                &tenant.tenant.ik,
            );
            // Progress on stderr: a table of millions of exemptions takes a while.
            let adopted =
                store.adopt_unscoped_items(|table, moved| eprint!("\r{table}: {moved}   ")).await?;
            eprintln!();
            for (table, moved) in &adopted.per_table {
                println!("{table}: {moved}");
            }
            println!("{} → {}", adopted.total(), tenant.tenant.name);
            Ok(ExitCode::SUCCESS)
        }
        StoreCommand::Reports { ik } => {
            let tenant = pick(&all, tenant)?;
            let ik = portal_domain::Ik::parse(&ik)
                .map_err(|e| anyhow::anyhow!(portal_domain::UserFacing::message(&e, lang)))?;
            let reports = tenant.stores.reports.reports_of(&ik).await?;
            println!("{}", backoffice::reports_table(&reports, lang));
            Ok(ExitCode::SUCCESS)
        }
        StoreCommand::Backoffice { action } => {
            let tenant = pick(&all, tenant)?;
            let portal = wiring::portal(&config, &tenants, &all, clock.clone())?;
            let app = portal.state.app(tenant.tenant.slug.as_str()).context("the tenant")?;
            println!("{}", backoffice_users::run(&app.backoffice, action, lang).await?);
            Ok(ExitCode::SUCCESS)
        }
        StoreCommand::Clients { action } => {
            let tenant = pick(&all, tenant)?;
            let portal = wiring::portal(&config, &tenants, &all, clock.clone())?;
            let app = portal.state.app(tenant.tenant.slug.as_str()).context("the tenant")?;
            println!("{}", clients::run(&app.clients, action, lang).await?);
            Ok(ExitCode::SUCCESS)
        }
        StoreCommand::Accounts { action } => {
            let tenant = pick(&all, tenant)?;
            let portal = wiring::portal(&config, &tenants, &all, clock.clone())?;
            let app = portal.state.app(tenant.tenant.slug.as_str()).context("the tenant")?;
            let message = backoffice::run(&app.accounts, action, lang).await?;
            println!("{message}");
            // Locally, send resent letters right away rather than when the server next looks.
            if tenant.embedded.is_some() {
                let outbox = OutboxMailer::new(config.data_dir.join("outbox"));
                let stores = &tenant.stores;
                let (letters, accounts) = (stores.letters.as_ref(), stores.accounts.as_ref());
                let figures = Some(stores.limits.as_ref());
                dispatch_letters_counting(letters, accounts, &outbox, clock.as_ref(), figures)
                    .await?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The tenant a back-office command names with `--tenant`; with one tenant, that one.
fn pick<'a>(all: &'a [TenantStores], arg: &TenantArg) -> anyhow::Result<&'a TenantStores> {
    let slugs = || all.iter().map(|t| t.tenant.slug.to_string()).collect::<Vec<_>>().join(", ");
    match (&arg.tenant, all) {
        (None, [only]) => Ok(only),
        (None, _) => anyhow::bail!(
            "this portal serves several insurers: name one with --tenant ({})",
            slugs()
        ),
        (Some(slug), _) => all
            .iter()
            .find(|t| t.tenant.slug.as_str() == slug)
            .with_context(|| format!("there is no tenant `{slug}`; the tenants are: {}", slugs())),
    }
}

/// Logs go to stderr; `PORTAL_LOG` filters (default `info`), `PORTAL_LOG_FORMAT=json` for machines.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PORTAL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // With PORTAL_LOG=debug every span (the request, each store call, each letter sent) says
    // when it closes and how long it took, as X-Ray shows them in AWS.
    let spans = match filter.max_level_hint() {
        Some(level) if level >= tracing_subscriber::filter::LevelFilter::DEBUG => {
            tracing_subscriber::fmt::format::FmtSpan::CLOSE
        }
        _ => tracing_subscriber::fmt::format::FmtSpan::NONE,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(spans)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if std::env::var("PORTAL_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
