//! The fuzz targets: each feeds machine-made input to a parser that takes outside input, through
//! the same public function the portal calls, and asserts that it does not panic (and, where it
//! is cheap, that what parses reads back the same). The libFuzzer binaries in `fuzz_targets/`
//! call them; `tests/corpus.rs` replays the corpus and the regressions through them in a plain
//! `cargo test`.

mod fixtures;

use std::sync::{Mutex, OnceLock};

use async_trait::async_trait;
use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::{HeaderValue, Request, header};
use portal_core::clients::{Clients, JWT_BEARER, TokenRequest};
use portal_core::content::{ContentFile, parse_page};
use portal_core::import::{ImportObserver, RejectedRow};
use portal_core::model::{Client, ClientId, Jwks};
use portal_core::ports::{
    ClientRegistry, Clock, ExemptionStore, PhysicianDirectory, ProviderDirectory, SeenTokenIds,
    StoreError,
};
use portal_core::{Settings, Tenants};
use portal_domain::benefits::{CopayKind, Euro, Household, belastungsgrenze, zuzahlung};
use portal_domain::therapy::{
    Bsnr, DiagnosisGroup, Icd10Code, KimAddress, Lanr, Physician, PhysicianQuery,
};
use portal_domain::{Exemption, Ik, Kvnr, Provider, parse_date};
use portal_http::{ApiJson, REPORT_BODY_BYTES};
use time::OffsetDateTime;

pub use fixtures::{NOW, seed_assertion, seed_proof};

/// A fuzz target: one input, no panic.
pub type Target = fn(&[u8]);

/// Every target by name: the binaries' names and the corpus folders' too.
pub const TARGETS: &[(&str, Target)] = &[
    ("kvnr", kvnr),
    ("ik", ik),
    ("lanr_bsnr", lanr_bsnr),
    ("icd10", icd10),
    ("dates", dates),
    ("money", money),
    ("import_providers", import_providers),
    ("import_physicians", import_physicians),
    ("import_exemptions", import_exemptions),
    ("json_bodies", json_bodies),
    ("session_cookie", session_cookie),
    ("tenants_toml", tenants_toml),
    ("content_page", content_page),
    ("proof", proof),
    ("client_assertion", client_assertion),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// One runtime for the async entry points (imports, request bodies, token requests).
fn block_on<F: Future>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime")
        })
        .block_on(future)
}

pub fn kvnr(data: &[u8]) {
    let Some(input) = text(data) else { return };
    if let Ok(kvnr) = Kvnr::parse(input) {
        assert_eq!(Kvnr::parse(kvnr.as_str()).as_ref(), Ok(&kvnr));
        assert_eq!(kvnr.to_string(), kvnr.as_str());
    }
}

pub fn ik(data: &[u8]) {
    let Some(input) = text(data) else { return };
    if let Ok(ik) = Ik::parse(input) {
        assert_eq!(Ik::parse(ik.as_str()), Ok(ik));
        let _ = ik.classification();
    }
}

pub fn lanr_bsnr(data: &[u8]) {
    let Some(input) = text(data) else { return };
    if let Ok(lanr) = Lanr::parse(input) {
        assert_eq!(Lanr::parse(lanr.as_str()).as_ref(), Ok(&lanr));
        let _ = lanr.fachgruppe();
    }
    if let Ok(bsnr) = Bsnr::parse(input) {
        assert_eq!(Bsnr::parse(bsnr.as_str()).as_ref(), Ok(&bsnr));
    }
    if let Ok(kim) = KimAddress::parse(input) {
        assert_eq!(KimAddress::parse(kim.as_str()).as_ref(), Ok(&kim));
    }
    // The physician search box, which takes names, LANRs and BSNRs alike.
    let _ = PhysicianQuery::parse(input);
}

pub fn icd10(data: &[u8]) {
    let Some(input) = text(data) else { return };
    if let Ok(code) = Icd10Code::parse(input) {
        assert_eq!(Icd10Code::parse(&code.to_text()).as_ref(), Ok(&code));
        let _ = (code.code(), code.certainty(), code.side());
    }
    if let Ok(group) = DiagnosisGroup::parse(input) {
        assert_eq!(DiagnosisGroup::parse(group.as_str()).as_ref(), Ok(&group));
    }
}

/// The API's and the files' days (`YYYY-MM-DD`) and the wire's times (RFC 3339, UTC).
pub fn dates(data: &[u8]) {
    let Some(input) = text(data) else { return };
    if let Ok(day) = parse_date(input) {
        let written = format!("{:04}-{:02}-{:02}", day.year(), u8::from(day.month()), day.day());
        assert_eq!(parse_date(&written), Ok(day));
        assert_eq!(portal_wire::dates::parse_day(&written), Some(day));
        let _ = portal_domain::german_day(day);
        let _ = portal_domain::german_midnight(day);
    }
    if let Some(at) = portal_wire::dates::parse_time(input) {
        let _ = portal_domain::german_day_and_clock(at);
    }
}

/// Amounts as typed (`695,21`) and as JSON numbers, through the co-payment calculators.
pub fn money(data: &[u8]) {
    let Some(input) = text(data) else { return };
    let mut fields = input.split(';');
    let typed = fields.next().unwrap_or_default();
    let price = Euro::parse_decimal(typed).ok();
    if let Some(price) = price {
        let cents = price.as_cents();
        let written = format!("{},{:02}", cents / 100, cents % 100);
        assert_eq!(Euro::parse_decimal(&written), Ok(price));
    }
    let number = fields.next().and_then(|n| n.trim().parse::<f64>().ok()).unwrap_or(0.0);
    let income = Euro::parse(number).ok();
    let small = |field: Option<&str>| field.and_then(|n| n.trim().parse::<u32>().ok());
    let (days, paid_days, members, children) =
        (small(fields.next()), small(fields.next()), small(fields.next()), small(fields.next()));
    for kind in [
        CopayKind::Arznei,
        CopayKind::Hilfsmittel,
        CopayKind::Heilmittel,
        CopayKind::HaeuslicheKrankenpflege,
        CopayKind::Krankenhaus,
    ] {
        let _ = zuzahlung(kind, price, days, paid_days.unwrap_or(0));
    }
    let paid: Vec<Euro> = fields.filter_map(|f| Euro::parse_decimal(f).ok()).collect();
    for year in [2024, 2026, 2030] {
        let household = Household {
            year,
            gross_income: income.unwrap_or(Euro::ZERO),
            partner: days.is_some_and(|d| d % 2 == 0),
            other_members: members.unwrap_or(0),
            children: children.unwrap_or(0),
            chronically_ill: paid_days.is_some_and(|d| d % 2 == 1),
            buergergeld: year == 2024,
            paid: paid.clone(),
        };
        let _ = belastungsgrenze(&household);
    }
}

/// Keeps what an import writes, so that the report can be checked against it.
#[derive(Default)]
struct Recorder {
    providers: Mutex<Vec<Provider>>,
    physicians: Mutex<Vec<Physician>>,
    exemptions: Mutex<Vec<Exemption>>,
}

#[async_trait]
impl ProviderDirectory for Recorder {
    async fn put_providers(&self, providers: &[Provider]) -> Result<(), StoreError> {
        self.providers.lock().unwrap().extend_from_slice(providers);
        Ok(())
    }
    async fn provider(&self, _: &Ik) -> Result<Option<Provider>, StoreError> {
        Ok(None)
    }
    async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.providers.lock().unwrap().is_empty())
    }
}

#[async_trait]
impl PhysicianDirectory for Recorder {
    async fn put_physicians(&self, physicians: &[Physician]) -> Result<(), StoreError> {
        self.physicians.lock().unwrap().extend_from_slice(physicians);
        Ok(())
    }
    async fn physician(&self, _: &Lanr, _: &Bsnr) -> Result<Option<Physician>, StoreError> {
        Ok(None)
    }
    async fn search_physicians(
        &self,
        _: &PhysicianQuery,
        _: usize,
    ) -> Result<Vec<Physician>, StoreError> {
        Ok(Vec::new())
    }
}

#[async_trait]
impl ExemptionStore for Recorder {
    async fn put_exemptions(&self, exemptions: &[Exemption]) -> Result<(), StoreError> {
        self.exemptions.lock().unwrap().extend_from_slice(exemptions);
        Ok(())
    }
    async fn exemptions_of(&self, _: &Kvnr) -> Result<Vec<Exemption>, StoreError> {
        Ok(Vec::new())
    }
    async fn exempt_in(&self, year: i32) -> Result<Vec<Kvnr>, StoreError> {
        let exemptions = self.exemptions.lock().unwrap();
        Ok(exemptions.iter().filter(|e| e.year() == year).map(|e| e.kvnr().clone()).collect())
    }
    async fn remove_exemptions(&self, _: i32, _: &[Kvnr]) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The rejected rows' lines, which must lie within the file and come in order.
#[derive(Default)]
struct Lines(Vec<u64>);

impl ImportObserver for Lines {
    fn rejected(&mut self, row: &RejectedRow) {
        let _ = row.problem.message(portal_domain::Lang::De);
        self.0.push(row.line);
    }
}

/// Line breaks are `\n`, `\r\n` and a `\r` alone; the header is line 1.
fn check_lines(data: &[u8], lines: &Lines) {
    let lone_crs = data.windows(2).filter(|w| w[0] == b'\r' && w[1] != b'\n').count();
    let in_file = (data.iter().filter(|b| **b == b'\n').count() + lone_crs) as u64 + 1;
    assert!(lines.0.iter().all(|&line| (2..=in_file).contains(&line)), "{:?}", lines.0);
    assert!(lines.0.is_sorted(), "{:?}", lines.0);
}

pub fn import_providers(data: &[u8]) {
    let (store, mut lines) = (Recorder::default(), Lines::default());
    let result = block_on(portal_core::import::import_providers(&store, data, &mut lines));
    if let Ok(report) = result {
        assert_eq!(report.imported, store.providers.lock().unwrap().len() as u64);
        assert_eq!(report.rejected, lines.0.len() as u64);
        check_lines(data, &lines);
    }
}

pub fn import_physicians(data: &[u8]) {
    let (store, mut lines) = (Recorder::default(), Lines::default());
    let result = block_on(portal_core::import::import_physicians(&store, data, &mut lines));
    if let Ok(report) = result {
        assert_eq!(report.imported, store.physicians.lock().unwrap().len() as u64);
        assert_eq!(report.rejected, lines.0.len() as u64);
        check_lines(data, &lines);
    }
}

pub fn import_exemptions(data: &[u8]) {
    let (store, mut lines) = (Recorder::default(), Lines::default());
    let result =
        block_on(portal_core::import::import_exemptions(&store, data, Some(2026), &mut lines));
    match result {
        Ok(report) => {
            assert_eq!(report.imported, store.exemptions.lock().unwrap().len() as u64);
            assert_eq!(report.rejected, lines.0.len() as u64);
            check_lines(data, &lines);
            let _ = report.summary(portal_domain::Lang::En);
        }
        Err(error) => {
            let _ = error.describe(portal_domain::Lang::De);
        }
    }
}

/// A JSON body as the handlers read it (`ApiJson`): the first byte picks the request type.
pub fn json_bodies(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else { return };
    let request = || {
        Request::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_vec()))
            .expect("a request")
    };
    macro_rules! read {
        ($type:ty) => {{
            let _ = block_on(ApiJson::<$type>::from_request(request(), &())).map(|json| json.0);
        }};
        ($type:ty, $limit:expr) => {{
            let _ =
                block_on(ApiJson::<$type, $limit>::from_request(request(), &())).map(|json| json.0);
        }};
    }
    use portal_wire::*;
    match which % 13 {
        0 => read!(LoginBody),
        1 => read!(RegistrationBody),
        2 => read!(QueryBody),
        3 => read!(ReportDraftBody, REPORT_BODY_BYTES),
        4 => read!(PasswordRequest),
        5 => read!(ResetBody),
        6 => read!(SecondFactorBody),
        7 => read!(TotpConfirmBody),
        8 => read!(TotpRemoveBody),
        9 => read!(BlockRequest),
        10 => read!(UploadCompleteBody),
        11 => read!(VerifyProofBody),
        _ => read!(serde_json::Value),
    }
}

/// The `Cookie` headers of a request (one per line of the input) read for the session id.
pub fn session_cookie(data: &[u8]) {
    let mut builder = Request::builder();
    for line in data.split(|b| *b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            builder = builder.header(header::COOKIE, value);
        }
    }
    let Ok(request) = builder.body(()) else { return };
    let (parts, ()) = request.into_parts();
    if let Some(id) = portal_http::session_id(&parts) {
        assert!(!id.is_empty() && !id.contains(';'), "{id:?}");
    }
}

fn settings() -> &'static Settings {
    static SETTINGS: OnceLock<Settings> = OnceLock::new();
    SETTINGS.get_or_init(|| {
        Settings::from_vars(|_| None, "https://portal.example").expect("the default settings")
    })
}

/// `tenants.toml`; a logo file it names reads as a small SVG, or not at all.
pub fn tenants_toml(data: &[u8]) {
    let Some(input) = text(data) else { return };
    let read_logo = |name: &str| {
        if name.ends_with(".svg") {
            Ok(r#"<svg xmlns="http://www.w3.org/2000/svg"/>"#.to_string())
        } else {
            Err(format!("{name}: no such file"))
        }
    };
    if let Ok(tenants) = Tenants::parse(input, settings(), read_logo) {
        for tenant in tenants.iter() {
            for host in &tenant.hosts {
                assert!(tenants.for_host(host).is_some(), "{host}");
            }
        }
    }
}

/// An information page: front matter, then Markdown (rendered and sanitised).
pub fn content_page(data: &[u8]) {
    let Some(input) = text(data) else { return };
    let file = ContentFile { path: "seiten/beispiel-seite.md".into(), text: input.into() };
    match parse_page(&file) {
        Ok(page) => {
            let _ = page.matches("Heilmittel");
        }
        Err(errors) => {
            for error in errors {
                let _ = error.message(portal_domain::Lang::De);
            }
        }
    }
}

/// A proof of a query (a JWS of the portal's), checked against the published keys and a KVNR:
/// the proof on the first line, the KVNR as typed on the second.
pub fn proof(data: &[u8]) {
    let Some(input) = text(data) else { return };
    let (proof, kvnr) = input.split_once('\n').unwrap_or((input, "A123456780"));
    let _ = portal_core::proofs::check(proof, kvnr, fixtures::public_keys());
}

/// A client assertion (RFC 7523) at the token endpoint, for a registered client whose key is
/// the fixture's: the assertion on the first line, the scope asked for on the second.
pub fn client_assertion(data: &[u8]) {
    let Some(input) = text(data) else { return };
    let (assertion, scope) = input.split_once('\n').unwrap_or((input, "system/Coverage.rs"));
    let request = TokenRequest {
        grant_type: Some("client_credentials".into()),
        client_assertion_type: Some(JWT_BEARER.into()),
        client_assertion: Some(assertion.into()),
        scope: Some(scope.into()),
    };
    let clients = clients();
    let _ = block_on(clients.issue(&request));
}

fn clients() -> Clients {
    static CLIENTS: OnceLock<Clients> = OnceLock::new();
    CLIENTS
        .get_or_init(|| {
            let tenant = Tenants::single(settings()).first().clone();
            let jwks = Jwks::parse(&fixtures::public_keys_text()).expect("the fixture's JWKS");
            let client = Client {
                id: fixtures::client_id(),
                ik: Ik::parse("301412340").expect("an IK"),
                jwks,
                created_at: NOW,
                revoked_at: None,
            };
            Clients {
                tenant,
                registry: std::sync::Arc::new(OneClient(client)),
                seen: std::sync::Arc::new(NothingSeen),
                clock: std::sync::Arc::new(Fixed),
                signer: Some(std::sync::Arc::new(fixtures::Key)),
            }
        })
        .clone()
}

struct OneClient(Client);

#[async_trait]
impl ClientRegistry for OneClient {
    async fn put_client(&self, _: &Client) -> Result<(), StoreError> {
        Ok(())
    }
    async fn client(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        Ok((*id == self.0.id).then(|| self.0.clone()))
    }
    async fn clients_of(&self, _: Option<&Ik>) -> Result<Vec<Client>, StoreError> {
        Ok(vec![self.0.clone()])
    }
    async fn revoke(&self, _: &ClientId, _: OffsetDateTime) -> Result<bool, StoreError> {
        Ok(false)
    }
}

/// Every `jti` is new: the fuzzer may replay one input many times.
struct NothingSeen;

#[async_trait]
impl SeenTokenIds for NothingSeen {
    async fn remember(&self, _: &str, _: OffsetDateTime) -> Result<bool, StoreError> {
        Ok(true)
    }
}

struct Fixed;

impl Clock for Fixed {
    fn now(&self) -> OffsetDateTime {
        NOW
    }
}

#[cfg(test)]
mod tests {
    use portal_core::proofs::Verdict;

    use super::*;

    /// Else the fuzzer would start from inputs that fail the first check and rarely get past it.
    #[test]
    fn the_signed_seeds_pass_every_check() {
        let request = TokenRequest {
            grant_type: Some("client_credentials".into()),
            client_assertion_type: Some(JWT_BEARER.into()),
            client_assertion: Some(seed_assertion()),
            scope: Some("system/Coverage.rs".into()),
        };
        let issued = block_on(clients().issue(&request));
        assert!(issued.is_ok(), "{issued:?}");
        let checked = portal_core::proofs::check(
            &seed_proof("A123456780"),
            "A123456780",
            fixtures::public_keys(),
        );
        assert_eq!(checked.verdict, Verdict::Genuine);
    }
}
