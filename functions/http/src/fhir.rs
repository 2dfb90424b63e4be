//! The machine API's FHIR R4 endpoint: `POST /fhir/Coverage/_search` answers the same question
//! as the web query (the same use case, quota and audit chain, recorded with the channel `api`)
//! for a client with an access token, as a `searchset` Bundle of Coverage resources carrying the
//! German base profiles' co-payment status. `GET /fhir/metadata` and
//! `/fhir/.well-known/smart-configuration` say how to use it; `/fhir/SearchParameter/{id}` defines
//! the two search parameters of our own. Errors are OperationOutcomes with FHIR's issue codes and
//! our own codes in `details`, in the style of gematik's VSDM.

use axum::extract::{Path, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use portal_core::clients::{AccessError, COVERAGE_SCOPE, Clients};
use portal_core::model::{Channel, Service, Tenant};
use portal_core::oha::{Answer, QueryError, Question};
use portal_domain::{Consent, Kvnr, YearStatus, parse_date};
use serde_json::{Value, json};
use time::Duration;

use crate::Tenanted;
use crate::errors::seconds;
use crate::json::{BODY_TIMEOUT, MAX_BODY_BYTES};

pub const FHIR_JSON: &str = "application/fhir+json";
pub const KVID_10: &str = "http://fhir.de/sid/gkv/kvid-10";
pub const IKNR: &str = "http://fhir.de/sid/arge-ik/iknr";
pub const VERSICHERUNGSART: &str = "http://fhir.de/CodeSystem/versicherungsart-de-basis";
pub const ZUZAHLUNGSSTATUS: &str = "http://fhir.de/StructureDefinition/gkv/zuzahlungsstatus";
const SMART_TOKEN_URLS: &str =
    "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

/// The search parameters of our own, by id: the day of dispensing and the consent declared.
const DISPENSING_DATE: &str = "dispensing-date";
const EINWILLIGUNG: &str = "einwilligung";
const BENEFICIARY: &str = "beneficiary:identifier";

/// What can go wrong with a FHIR request: each says its status, FHIR's issue code and our own
/// code (VSDM's style: lower case, stable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FhirError {
    #[error("the KVNR is not valid (one letter, nine digits, the check digit)")]
    InvalidKvnr,
    #[error("beneficiary:identifier must be {KVID_10}|<KVNR>")]
    InvalidIdentifier,
    #[error("beneficiary:identifier is required")]
    BeneficiaryRequired,
    #[error("einwilligung is required: insured_present or representative_present")]
    ConsentRequired,
    #[error("dispensing-date must be a day (YYYY-MM-DD) in a shown year and not in the future")]
    InvalidDispensingDate,
    #[error("this search parameter is not supported: {0}")]
    UnknownParameter(String),
    #[error("the parameter {0} is given more than once")]
    RepeatedParameter(String),
    #[error("a valid access token is required (Authorization: Bearer)")]
    Unauthenticated,
    #[error("the access token lacks the scope {COVERAGE_SCOPE}")]
    Forbidden,
    #[error("too many queries: the minute's burst or the day's quota is used up")]
    RateLimited { retry_after: Duration },
    #[error("this endpoint answers application/fhir+json only")]
    NotAcceptable,
    #[error("the search is sent as application/x-www-form-urlencoded")]
    UnsupportedMediaType,
    #[error("the body is larger than 16 KiB")]
    TooLarge,
    #[error("the body did not arrive in time")]
    TooSlow,
    #[error("no such resource")]
    NotFound,
    #[error("this insurer does not offer the exemption query")]
    ServiceNotOffered,
    #[error("the answer could not be recorded, so it is not given; try again later")]
    AuditUnavailable,
    #[error("the service is unavailable; try again later")]
    Unavailable,
}

impl FhirError {
    pub fn status(&self) -> StatusCode {
        match self {
            FhirError::InvalidKvnr
            | FhirError::InvalidIdentifier
            | FhirError::BeneficiaryRequired
            | FhirError::ConsentRequired
            | FhirError::InvalidDispensingDate
            | FhirError::UnknownParameter(_)
            | FhirError::RepeatedParameter(_) => StatusCode::BAD_REQUEST,
            FhirError::Unauthenticated => StatusCode::UNAUTHORIZED,
            FhirError::Forbidden => StatusCode::FORBIDDEN,
            FhirError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            FhirError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            FhirError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            FhirError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            FhirError::TooSlow => StatusCode::REQUEST_TIMEOUT,
            FhirError::NotFound | FhirError::ServiceNotOffered => StatusCode::NOT_FOUND,
            FhirError::AuditUnavailable | FhirError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// FHIR's `IssueType`.
    pub fn issue_type(&self) -> &'static str {
        match self {
            FhirError::InvalidKvnr
            | FhirError::InvalidIdentifier
            | FhirError::InvalidDispensingDate
            | FhirError::RepeatedParameter(_) => "invalid",
            FhirError::BeneficiaryRequired | FhirError::ConsentRequired => "required",
            FhirError::UnknownParameter(_)
            | FhirError::NotAcceptable
            | FhirError::UnsupportedMediaType
            | FhirError::ServiceNotOffered => "not-supported",
            FhirError::Unauthenticated => "login",
            FhirError::Forbidden => "forbidden",
            FhirError::RateLimited { .. } => "throttled",
            FhirError::TooLarge => "too-long",
            FhirError::TooSlow => "timeout",
            FhirError::NotFound => "not-found",
            FhirError::AuditUnavailable | FhirError::Unavailable => "exception",
        }
    }

    /// Our own code, in `details.coding`.
    pub fn code(&self) -> &'static str {
        match self {
            FhirError::InvalidKvnr => "invalid_kvnr",
            FhirError::InvalidIdentifier => "invalid_identifier",
            FhirError::BeneficiaryRequired => "beneficiary_required",
            FhirError::ConsentRequired => "consent_required",
            FhirError::InvalidDispensingDate => "invalid_dispensing_date",
            FhirError::UnknownParameter(_) => "unknown_parameter",
            FhirError::RepeatedParameter(_) => "repeated_parameter",
            FhirError::Unauthenticated => "invalid_token",
            FhirError::Forbidden => "insufficient_scope",
            FhirError::RateLimited { .. } => "rate_limited",
            FhirError::NotAcceptable => "not_acceptable",
            FhirError::UnsupportedMediaType => "unsupported_media_type",
            FhirError::TooLarge => "payload_too_large",
            FhirError::TooSlow => "request_timeout",
            FhirError::NotFound => "not_found",
            FhirError::ServiceNotOffered => "service_not_offered",
            FhirError::AuditUnavailable => "audit_unavailable",
            FhirError::Unavailable => "unavailable",
        }
    }
}

impl From<&QueryError> for FhirError {
    fn from(error: &QueryError) -> FhirError {
        match error {
            QueryError::DispensingDate(_) => FhirError::InvalidDispensingDate,
            QueryError::QuotaExceeded { retry_after, .. } | QueryError::TooFast { retry_after } => {
                FhirError::RateLimited { retry_after: *retry_after }
            }
            QueryError::AuditUnavailable(_) => FhirError::AuditUnavailable,
            QueryError::ProofUnavailable(_) | QueryError::Store(_) => FhirError::Unavailable,
        }
    }
}

/// The canonical of our own code system, the one `details.coding` names.
pub fn error_system(fhir_base: &str) -> String {
    format!("{fhir_base}/CodeSystem/errors")
}

/// An OperationOutcome with one issue per error, answered with the first one's status.
#[derive(Debug, Clone)]
pub struct Outcome {
    errors: Vec<FhirError>,
    /// Our code system; `None` where the tenant is unknown.
    system: Option<String>,
}

impl Outcome {
    pub fn of(error: FhirError, clients: &Clients) -> Outcome {
        Outcome::all(vec![error], clients)
    }

    pub fn all(errors: Vec<FhirError>, clients: &Clients) -> Outcome {
        Outcome { errors, system: Some(error_system(&clients.fhir_base())) }
    }

    /// Where no tenant is known (an unknown host): FHIR's issue code only.
    pub fn without_tenant(error: FhirError) -> Outcome {
        Outcome { errors: vec![error], system: None }
    }

    fn document(&self) -> Value {
        let issues: Vec<Value> = self
            .errors
            .iter()
            .map(|error| {
                let mut issue = json!({
                    "severity": "error",
                    "code": error.issue_type(),
                    "diagnostics": error.to_string(),
                });
                if let Some(system) = &self.system {
                    issue["details"] = json!({
                        "coding": [{"system": system, "code": error.code()}],
                        "text": error.to_string(),
                    });
                }
                issue
            })
            .collect();
        json!({"resourceType": "OperationOutcome", "issue": issues})
    }
}

impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        let first = self.errors.first().cloned().unwrap_or(FhirError::Unavailable);
        let mut response = (first.status(), Fhir(self.document())).into_response();
        let headers = response.headers_mut();
        match first {
            FhirError::RateLimited { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds(retry_after)));
            }
            FhirError::Unauthenticated => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            FhirError::Forbidden => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"insufficient_scope\""),
                );
            }
            _ => {}
        }
        response
    }
}

/// A FHIR resource as `application/fhir+json`.
pub struct Fhir(pub Value);

impl IntoResponse for Fhir {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.0).unwrap_or_default();
        ([(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON))], body).into_response()
    }
}

/// Content negotiation: JSON in its FHIR, plain or any form; XML (or anything else) is not
/// served. No `Accept` means any.
pub fn accepts_json(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT) else { return true };
    let Ok(accept) = accept.to_str() else { return false };
    accept.split(',').any(|range| {
        let mime = range.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        matches!(
            mime.as_str(),
            "application/fhir+json" | "application/json" | "application/*" | "*/*" | "json"
        )
    })
}

fn negotiated(headers: &HeaderMap, clients: &Clients) -> Result<(), Outcome> {
    if accepts_json(headers) { Ok(()) } else { Err(Outcome::of(FhirError::NotAcceptable, clients)) }
}

/// The FHIR base, the token URL, and the canonicals of our search parameters.
fn definition(clients: &Clients, id: &str) -> String {
    format!("{}/SearchParameter/{id}", clients.fhir_base())
}

/// The server's CapabilityStatement.
#[utoipa::path(get, path = "/fhir/metadata", tag = "fhir", responses(
    (status = 200, description = "The CapabilityStatement (FHIR 4.0.1)", content_type = "application/fhir+json", body = Object),
    (status = 406, description = "`not_acceptable`: only JSON is served", content_type = "application/fhir+json", body = Object),
))]
pub async fn metadata(Tenanted(app): Tenanted, headers: HeaderMap) -> Result<Fhir, Outcome> {
    let clients = &app.clients;
    negotiated(&headers, clients)?;
    let search_param = |name: &str, id: Option<&str>, kind: &str, doc: &str| {
        let definition = match id {
            Some(id) => definition(clients, id),
            None => "http://hl7.org/fhir/SearchParameter/Coverage-beneficiary".to_string(),
        };
        json!({"name": name, "definition": definition, "type": kind, "documentation": doc})
    };
    Ok(Fhir(json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-05-01",
        "publisher": app.tenant.name,
        "kind": "instance",
        "software": {"name": "Serviceportal für Leistungserbringer", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {
            "description": format!("{}: co-payment exemption status (Zuzahlungsbefreiung, § 62 SGB V)", app.tenant.name),
            "url": clients.fhir_base(),
        },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "security": {
                "cors": false,
                "service": [{
                    "coding": [{
                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                        "code": "SMART-on-FHIR",
                    }],
                }],
                "extension": [{
                    "url": SMART_TOKEN_URLS,
                    "extension": [{"url": "token", "valueUri": clients.token_url()}],
                }],
                "description": format!("OAuth2 client credentials with a private_key_jwt assertion (SMART Backend Services), scope {COVERAGE_SCOPE}"),
            },
            "resource": [{
                "type": "Coverage",
                "interaction": [{"code": "search-type", "documentation": "POST /fhir/Coverage/_search, form-encoded: the KVNR never appears in a URL"}],
                "searchInclude": ["none"],
                "searchParam": [
                    search_param(BENEFICIARY, None, "token", "Required: http://fhir.de/sid/gkv/kvid-10|<KVNR>"),
                    search_param(DISPENSING_DATE, Some(DISPENSING_DATE), "date", "The day of dispensing (YYYY-MM-DD); default today"),
                    search_param(EINWILLIGUNG, Some(EINWILLIGUNG), "token", "Required: the consent declared, insured_present or representative_present"),
                ],
            }],
        }],
    })))
}

/// How a client gets a token (SMART App Launch's discovery document).
#[utoipa::path(get, path = "/fhir/.well-known/smart-configuration", tag = "fhir", responses(
    (status = 200, description = "The SMART configuration", content_type = "application/json", body = Object),
))]
pub async fn smart_configuration(Tenanted(app): Tenanted) -> axum::Json<Value> {
    let clients = &app.clients;
    axum::Json(json!({
        "issuer": clients.issuer(),
        "jwks_uri": format!("{}/oauth/jwks.json", clients.issuer()),
        "token_endpoint": clients.token_url(),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384", "ES256", "RS256"],
        "grant_types_supported": ["client_credentials"],
        "scopes_supported": [COVERAGE_SCOPE],
        "capabilities": ["client-confidential-asymmetric"],
    }))
}

/// One of our two search parameters.
#[utoipa::path(get, path = "/fhir/SearchParameter/{id}", tag = "fhir",
    params(("id" = String, Path, description = "`dispensing-date` or `einwilligung`")),
    responses(
        (status = 200, description = "The SearchParameter", content_type = "application/fhir+json", body = Object),
        (status = 404, description = "`not_found`", content_type = "application/fhir+json", body = Object),
        (status = 406, description = "`not_acceptable`", content_type = "application/fhir+json", body = Object),
    ),
)]
pub async fn search_parameter(
    Tenanted(app): Tenanted,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Fhir, Outcome> {
    let clients = &app.clients;
    negotiated(&headers, clients)?;
    let (kind, expression, description) = match id.as_str() {
        DISPENSING_DATE => (
            "date",
            // A search parameter must name an element; the day of dispensing is not one of
            // Coverage's, so it refers to the period the answer covers.
            "Coverage.period",
            "The day of dispensing (YYYY-MM-DD, German calendar day): whether the person is exempt on that day. Default: today. It must lie in a year the answer shows and not in the future.",
        ),
        EINWILLIGUNG => (
            "token",
            "Coverage.beneficiary",
            "The consent the provider declares for this query (recorded with it): insured_present (the insured person is present in person) or representative_present (a legitimate representative is). Required.",
        ),
        _ => return Err(Outcome::of(FhirError::NotFound, clients)),
    };
    Ok(Fhir(json!({
        "resourceType": "SearchParameter",
        "id": id,
        "url": definition(clients, &id),
        "name": id,
        "status": "active",
        "description": description,
        "code": id,
        "base": ["Coverage"],
        "type": kind,
        "expression": expression,
    })))
}

/// The form of a search: its parameters by name, each once.
pub(crate) async fn form(request: Request) -> Result<Vec<(String, String)>, FhirError> {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(FhirError::UnsupportedMediaType);
    }
    let reading = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES);
    let bytes = tokio::time::timeout(BODY_TIMEOUT, reading)
        .await
        .map_err(|_| FhirError::TooSlow)?
        .map_err(|_| FhirError::TooLarge)?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(&bytes) {
        if pairs.iter().any(|(seen, _)| *seen == name) {
            return Err(FhirError::RepeatedParameter(name.into_owned()));
        }
        pairs.push((name.into_owned(), value.into_owned()));
    }
    Ok(pairs)
}

/// The search's parameters, read: every problem at once.
fn question_of(
    pairs: &[(String, String)],
    today: time::Date,
) -> Result<(Kvnr, Consent, time::Date), Vec<FhirError>> {
    let mut errors = Vec::new();
    let get = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim());
    for (name, _) in pairs {
        if ![BENEFICIARY, DISPENSING_DATE, EINWILLIGUNG].contains(&name.as_str()) {
            errors.push(FhirError::UnknownParameter(name.chars().take(60).collect()));
        }
    }
    let kvnr = match get(BENEFICIARY).filter(|v| !v.is_empty()) {
        None => {
            errors.push(FhirError::BeneficiaryRequired);
            None
        }
        Some(token) => match token.split_once('|') {
            Some((KVID_10, value)) => {
                Kvnr::parse(value).map_err(|_| errors.push(FhirError::InvalidKvnr)).ok()
            }
            _ => {
                errors.push(FhirError::InvalidIdentifier);
                None
            }
        },
    };
    let consent = Consent::parse(get(EINWILLIGUNG).unwrap_or(""))
        .map_err(|_| errors.push(FhirError::ConsentRequired))
        .ok();
    let day = match get(DISPENSING_DATE).filter(|v| !v.is_empty()) {
        None => Some(today),
        // FHIR's `eq` prefix is the default one.
        Some(raw) => parse_date(raw.strip_prefix("eq").unwrap_or(raw))
            .map_err(|_| errors.push(FhirError::InvalidDispensingDate))
            .ok(),
    };
    match (kvnr, consent, day) {
        (Some(kvnr), Some(consent), Some(day)) if errors.is_empty() => Ok((kvnr, consent, day)),
        _ => Err(errors),
    }
}

/// The access token of `Authorization: Bearer …`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// Is this person exempt from co-payments? The same query as the web page's, for a client with
/// a token of scope `system/Coverage.rs`: the same quota (the client's provider's), the same
/// audit chain (recorded with the channel `api`), the same consent rule.
#[utoipa::path(post, path = "/fhir/Coverage/_search", tag = "fhir",
    security(("bearer" = [])),
    request_body(content = crate::fhir::SearchForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A searchset Bundle: a Coverage per shown year, none for a person without a record; recorded; with a Provenance whose signature is the answer's signed proof (`application/jose`)", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "`invalid_kvnr`, `invalid_identifier`, `beneficiary_required`, `consent_required`, `invalid_dispensing_date`, `unknown_parameter`, `repeated_parameter`", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "`invalid_token`: no, an invalid or an expired access token", content_type = "application/fhir+json", body = Object),
        (status = 403, description = "`insufficient_scope`: the token lacks system/Coverage.rs", content_type = "application/fhir+json", body = Object),
        (status = 404, description = "`service_not_offered`", content_type = "application/fhir+json", body = Object),
        (status = 406, description = "`not_acceptable`: only JSON is served", content_type = "application/fhir+json", body = Object),
        (status = 408, description = "`request_timeout`", content_type = "application/fhir+json", body = Object),
        (status = 413, description = "`payload_too_large`", content_type = "application/fhir+json", body = Object),
        (status = 415, description = "`unsupported_media_type`: not form-encoded", content_type = "application/fhir+json", body = Object),
        (status = 429, description = "`rate_limited` (with Retry-After)", content_type = "application/fhir+json", body = Object),
        (status = 503, description = "`audit_unavailable` or `unavailable`", content_type = "application/fhir+json", body = Object),
    ),
)]
pub async fn coverage_search(
    Tenanted(app): Tenanted,
    client: crate::Client,
    request: Request,
) -> Result<Fhir, Outcome> {
    let clients = &app.clients;
    let fail = |error: FhirError| Outcome::of(error, clients);
    negotiated(request.headers(), clients)?;
    let token = bearer(request.headers()).ok_or_else(|| fail(FhirError::Unauthenticated))?;
    let authorized = clients.authorize(token, COVERAGE_SCOPE).await.map_err(|e| match e {
        AccessError::Unauthenticated(_) => fail(FhirError::Unauthenticated),
        AccessError::Forbidden(_) => fail(FhirError::Forbidden),
        AccessError::Store(_) => fail(FhirError::Unavailable),
    })?;
    let pairs = form(request).await.map_err(fail)?;
    let (kvnr, consent, day) = question_of(&pairs, clients.clock.today())
        .map_err(|errors| Outcome::all(errors, clients))?;
    if !app.tenant.offers(Service::Oha) {
        return Err(fail(FhirError::ServiceNotOffered));
    }
    let question = Question {
        ik: authorized.ik,
        kvnr,
        consent,
        dispensing_date: Some(day),
        channel: Channel::Api,
        client: client.0,
    };
    let answer = match app.oha.ask(question).await {
        Ok(answer) => answer,
        Err(e) => {
            if let QueryError::AuditUnavailable(cause)
            | QueryError::ProofUnavailable(cause)
            | QueryError::Store(cause) = &e
            {
                tracing::error!(error = %portal_core::error_chain(cause), "FHIR search failed");
            }
            if e.is_unavailable() {
                app.figures.note_refused().await;
            }
            return Err(fail(FhirError::from(&e)));
        }
    };
    Ok(Fhir(bundle(&answer, &app.tenant)))
}

/// The search form, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SearchForm {
    /// `http://fhir.de/sid/gkv/kvid-10|<KVNR>`
    #[schema(rename = "beneficiary:identifier")]
    beneficiary: String,
    /// `insured_present` or `representative_present`
    einwilligung: String,
    /// YYYY-MM-DD, default today
    #[schema(rename = "dispensing-date")]
    dispensing_date: Option<String>,
}

/// The answer as a `searchset` Bundle.
///
/// One Coverage per year the tenant's year rule shows, not one for the person: the web answer
/// shows exempt / not exempt per year (this year, and until 30 June the last one at some
/// insurers), and a Coverage's `period` is the natural carrier of a year's validity. Each
/// says for its year whether the person is exempt (`status`), from when (`period.start`) and
/// until when (`gueltigBis`, also `period.end`); a year without an exemption spans the year.
///
/// Last comes a Provenance (`search.mode` `include`, not counted in `total`) carrying the
/// answer's signed proof as its signature: see [`provenance`].
fn bundle(answer: &Answer, tenant: &Tenant) -> Value {
    let payor = tenant.ik.to_string();
    let years = answer.found.as_ref().map_or(&[][..], |f| f.years.as_slice());
    let mut entries: Vec<Value> = years
        .iter()
        .map(|year| {
            json!({
                "fullUrl": format!("urn:uuid:{}", uuid_v4()),
                "resource": coverage(year, answer.kvnr.as_str(), &payor),
                "search": {"mode": "match"},
            })
        })
        .collect();
    let total = entries.len();
    let targets: Vec<Value> =
        entries.iter().map(|e| json!({"reference": e["fullUrl"].clone()})).collect();
    entries.push(json!({
        "fullUrl": format!("urn:uuid:{}", uuid_v4()),
        "resource": provenance(answer, tenant, targets),
        "search": {"mode": "include"},
    }));
    json!({
        "resourceType": "Bundle",
        "id": answer.query_id.to_string(),
        "meta": {"lastUpdated": rfc3339(answer.at)},
        "type": "searchset",
        "total": total,
        "entry": entries,
    })
}

/// The code of ASTM E1762's "Verification Signature", as FHIR's `Signature.type` names it.
pub const VERIFICATION_SIGNATURE: &str = "1.2.840.10065.1.12.1.5";
/// The system of that code.
pub const SIGNATURE_TYPES: &str = "urn:iso-astm:E1762-95:2013";
/// The system of the query ids (the Bundle's id, the proof's `query_id`).
fn query_ids(fhir_base: &str) -> String {
    format!("{fhir_base}/sid/query-id")
}

/// The answer's signed proof, as FHIR carries a signature: a Provenance of the answer's
/// Coverages (and of the query, which an answer without a Coverage still has), by the insurer,
/// whose `signature` holds the compact JWS (`sigFormat` `application/jose`, `data` its base64).
///
/// Why a Provenance and not an extension: it is FHIR's own carrier of a signature over
/// resources, which any FHIR library reads and validates; one signature covers the whole
/// answer (every Coverage of it, and an empty one too); and the Coverage profile keeps its one
/// extension, the co-payment status.
fn provenance(answer: &Answer, tenant: &Tenant, mut targets: Vec<Value>) -> Value {
    let fhir_base = format!("{}/fhir", tenant.letterhead.portal_url.trim_end_matches('/'));
    let insurer = json!({
        "identifier": {"system": IKNR, "value": tenant.ik.to_string()},
        "display": tenant.name,
    });
    targets.push(json!({
        "identifier": {"system": query_ids(&fhir_base), "value": answer.query_id.to_string()},
        "display": "Online-Hintergrund-Abfrage (Zuzahlungsstatus)",
    }));
    let recorded = rfc3339(answer.at);
    json!({
        "resourceType": "Provenance",
        "target": targets,
        "recorded": recorded,
        "agent": [{
            "type": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                "code": "author",
            }]},
            "who": insurer.clone(),
        }],
        "signature": [{
            "type": [{
                "system": SIGNATURE_TYPES,
                "code": VERIFICATION_SIGNATURE,
                "display": "Verification Signature",
            }],
            "when": recorded,
            "who": insurer,
            "sigFormat": "application/jose",
            "data": STANDARD.encode(answer.proof.as_bytes()),
        }],
    })
}

fn coverage(year: &YearStatus, kvnr: &str, payor: &str) -> Value {
    let (start, end) = match year.validity {
        Some(v) => (v.from.to_string(), v.to.to_string()),
        None => (format!("{}-01-01", year.year), format!("{}-12-31", year.year)),
    };
    let mut status = vec![json!({"url": "status", "valueBoolean": year.exempt()})];
    if let Some(v) = year.validity {
        status.push(json!({"url": "gueltigBis", "valueDate": v.to.to_string()}));
    }
    json!({
        "resourceType": "Coverage",
        "extension": [{"url": ZUZAHLUNGSSTATUS, "extension": status}],
        "status": "active",
        "type": {"coding": [{"system": VERSICHERUNGSART, "code": "GKV"}]},
        "beneficiary": {"identifier": {"system": KVID_10, "value": kvnr}},
        "payor": [{"identifier": {"system": IKNR, "value": payor}}],
        "period": {"start": start, "end": end},
    })
}

/// When the answer was given (the portal's clock), as FHIR's `instant`.
fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// A random UUID (version 4) for an entry's `fullUrl`.
fn uuid_v4() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = hex::encode(bytes);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// Unknown `/fhir` paths: an OperationOutcome, not the app.
pub async fn not_found(Tenanted(app): Tenanted) -> Outcome {
    Outcome::of(FhirError::NotFound, &app.clients)
}
