//! `portal stats`: the figures per day for the back office (unmasked), with the top providers,
//! those close to their quota, and the anomaly list; `portal stats rollup` rolls the days up
//! from the audit log (`portal serve` does so at start and hourly).

use std::time::Duration as StdDuration;

use anyhow::anyhow;
use clap::{Args, Subcommand};
use portal_core::figures::{Anomaly, BASELINE_DAYS, Figures, Month, MonthFigures, anomalies};
use portal_core::model::DayFigures;
use portal_domain::{Lang, UserFacing, parse_date};
use serde_json::{Value, json};
use time::{Date, Duration};

/// Providers listed per day, by queries.
pub const TOP_PROVIDERS: usize = 20;
/// A provider with at least this share of its daily quota used is "close to its quota".
pub const NEAR_QUOTA: f64 = 0.8;
/// How often `portal serve` rolls up (today so far, and any day missed).
pub const ROLLUP_EVERY: StdDuration = StdDuration::from_secs(3600);

#[derive(Debug, Clone, Args)]
#[command(subcommand_negates_reqs = true)]
pub struct StatsArgs {
    #[command(subcommand)]
    pub command: Option<StatsCommand>,
    /// First day (YYYY-MM-DD, German calendar day), inclusive; by default six days before `--to`.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, inclusive; by default today.
    #[arg(long)]
    pub to: Option<String>,
    /// One JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum StatsCommand {
    /// Roll the days up from the audit log (again): `--from`/`--to`, or else today and every
    /// day of the last 35 not rolled up since it ended.
    Rollup {
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
    },
}

fn day(arg: &Option<String>, name: &str, lang: Lang) -> anyhow::Result<Option<Date>> {
    arg.as_deref()
        .map(|d| parse_date(d).map_err(|e| anyhow!("--{name}: {}", e.message(lang))))
        .transpose()
}

/// The days asked for: `--to` defaults to today, `--from` to six days before it.
fn range(args: &StatsArgs, today: Date, lang: Lang) -> anyhow::Result<(Date, Date)> {
    let to = day(&args.to, "to", lang)?.unwrap_or(today);
    let from = day(&args.from, "from", lang)?.unwrap_or(to - Duration::days(6));
    if from > to {
        return Err(anyhow!("--from is after --to"));
    }
    Ok((from, to))
}

/// `portal stats rollup`: what it rolled up, in a line.
pub async fn rollup(
    figures: &Figures,
    from: &Option<String>,
    to: &Option<String>,
    lang: Lang,
) -> anyhow::Result<String> {
    let days = match (day(from, "from", lang)?, day(to, "to", lang)?) {
        (None, None) => figures.roll_up_due().await?,
        (from, to) => {
            let to = to.unwrap_or(figures.clock.today());
            let from = from.unwrap_or(to);
            if from > to {
                return Err(anyhow!("--from is after --to"));
            }
            figures.roll_up(from, to).await?.len()
        }
    };
    Ok(match lang {
        Lang::De => format!("{days} Tage zusammengefasst"),
        Lang::En => format!("{days} days rolled up"),
    })
}

/// The report of `portal stats`, as JSON: the days, the months they touch (the public figures,
/// unmasked), and the anomalies.
pub async fn report(
    figures: &Figures,
    args: &StatsArgs,
    quota_per_day: u32,
    lang: Lang,
) -> anyhow::Result<Value> {
    let (from, to) = range(args, figures.clock.today(), lang)?;
    // The jump rule compares with the four weeks before.
    let with_baseline = figures.days(from - Duration::days(BASELINE_DAYS), to).await?;
    let found = anomalies(&with_baseline, from, to);
    let days: Vec<Value> = with_baseline
        .iter()
        .filter(|d| d.day >= from)
        .map(|d| day_json(d, quota_per_day))
        .collect();
    let months = figures.months(Month::of(from), Month::of(to)).await?;
    Ok(json!({
        "tenant": figures.tenant.slug.as_str(),
        "from": from.to_string(),
        "to": to.to_string(),
        "days": days,
        "months": months.iter().map(month_json).collect::<Vec<_>>(),
        "anomalies": found.iter().map(anomaly_json).collect::<Vec<_>>(),
    }))
}

fn day_json(d: &DayFigures, quota_per_day: u32) -> Value {
    let mut providers = d.providers.clone();
    providers.sort_by(|a, b| b.queries.cmp(&a.queries).then(a.ik.cmp(&b.ik)));
    let share = |queries: u32| match quota_per_day {
        0 => 0.0,
        quota => f64::from(queries) / f64::from(quota),
    };
    let top: Vec<Value> = providers
        .iter()
        .take(TOP_PROVIDERS)
        .map(|p| {
            json!({"ik": p.ik.to_string(), "queries": p.queries, "not_found": p.not_found,
                   "night": p.night, "share_of_quota": share(p.queries)})
        })
        .collect();
    let near: Vec<String> = providers
        .iter()
        .filter(|p| share(p.queries) >= NEAR_QUOTA)
        .map(|p| p.ik.to_string())
        .collect();
    json!({
        "day": d.day.to_string(),
        "queries_answered": d.queries_answered,
        "queries_exempt": d.queries_exempt,
        "queries_not_found": d.queries_not_found,
        "queries_night": d.queries_night,
        "providers_active": d.providers_active,
        "providers_registered": d.providers_registered,
        "median_hours_to_letters": d.median_hours_to_letters,
        "reports_sent": d.reports_sent,
        "reports_delivered": d.reports_delivered,
        "refused_unavailable": d.refused_unavailable,
        "login_failures": d.login_failures,
        "blocks": d.blocks,
        "backoffice_login_failures": d.backoffice_failures,
        "top_providers": top,
        "near_quota": near,
        "rolled_up_at": d.rolled_up_at.unix_timestamp(),
    })
}

fn month_json(m: &MonthFigures) -> Value {
    json!({
        "month": m.month.to_string(),
        "queries_answered": m.queries_answered,
        "queries_exempt": m.queries_exempt,
        "share_exempt": (m.queries_answered > 0)
            .then(|| m.queries_exempt as f64 / m.queries_answered as f64),
        "providers_registered": m.providers_registered,
        "providers_active": m.providers_active,
        "median_hours_to_letters": m.median_hours_to_letters,
        "reports_sent": m.reports_sent,
        "reports_delivered": m.reports_delivered,
        "availability": m.availability,
    })
}

fn anomaly_json(a: &Anomaly) -> Value {
    json!({"day": a.day.to_string(), "ik": a.ik.to_string(), "rule": a.rule.as_str(), "detail": a.detail})
}

/// The report as a table for a terminal.
pub fn table(report: &Value, lang: Lang) -> String {
    let (day, answered, exempt, not_found, night, active, anomalies_title, none) = match lang {
        Lang::De => (
            "Tag",
            "Abfragen",
            "befreit",
            "kein Treffer",
            "nachts",
            "aktive LE",
            "Auffälligkeiten",
            "keine",
        ),
        Lang::En => (
            "day",
            "queries",
            "exempt",
            "not found",
            "at night",
            "active providers",
            "anomalies",
            "none",
        ),
    };
    let mut out = format!(
        "{day:<10}  {answered:>9}  {exempt:>9}  {not_found:>12}  {night:>8}  {active:>16}\n"
    );
    for d in report["days"].as_array().into_iter().flatten() {
        out += &format!(
            "{:<10}  {:>9}  {:>9}  {:>12}  {:>8}  {:>16}\n",
            d["day"].as_str().unwrap_or(""),
            d["queries_answered"].to_string(),
            d["queries_exempt"].to_string(),
            d["queries_not_found"].to_string(),
            d["queries_night"].to_string(),
            d["providers_active"].to_string(),
        );
    }
    out += &format!("\n{anomalies_title}:\n");
    let found = report["anomalies"].as_array().cloned().unwrap_or_default();
    if found.is_empty() {
        out += &format!("  {none}\n");
    }
    for a in found {
        out += &format!(
            "  {}  {}  {:<9}  {}\n",
            a["day"].as_str().unwrap_or(""),
            a["ik"].as_str().unwrap_or(""),
            a["rule"].as_str().unwrap_or(""),
            a["detail"].as_str().unwrap_or("")
        );
    }
    out
}

/// `portal serve`'s roll-up: at start, then hourly, each tenant's today so far and any day
/// missed, and once a day the audit chains' verification for the back office. A failure is
/// logged and tried again at the next round.
pub fn spawn_rollups(
    apps: Vec<std::sync::Arc<portal_core::UseCases>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            for app in &apps {
                let figures = &app.figures;
                let tenant = figures.tenant.slug.as_str();
                if let Err(error) = figures.roll_up_due().await {
                    tracing::error!(tenant, error = %portal_core::error_chain(&error), "rolling up the figures failed, will retry");
                }
                if let Err(error) = figures.check_audit(|| app.oha.verify()).await {
                    tracing::error!(tenant, error = %portal_core::error_chain(&error), "verifying the audit chains failed, will retry");
                }
            }
            tokio::time::sleep(ROLLUP_EVERY).await;
        }
    })
}
