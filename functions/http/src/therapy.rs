//! The eTherapiebericht over HTTP: the physician search, the practice's stamp, and the reports
//! (drafts written, checked, sent; their PDF). Every route is for Heilmittel practices of an
//! insurer that offers the service; a practice sees its own reports only (any other id: 404).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use portal_core::UseCases;
use portal_core::model::{ReportId, ReportStatus, Service};
use portal_core::therapy::{ReportView, ReportsError};
use portal_domain::{Lang, UserFacing};
use portal_wire::{
    AttachmentBody, FailureBody, PhysicianBody, PracticeBody, ReportBody, ReportDraftBody,
    ReportPhysicianBody, ReportStatusBody, UploadCompleteBody, UploadTicketBody,
};
use serde::Deserialize;

use crate::errors::RequestError;
use crate::json::{ApiJson, REPORT_BODY_BYTES};
use crate::problem::field_problem;
use crate::session::ActiveProvider;
use crate::{Problem, RequestLang, Tenanted};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// At least two letters of a word of the name, a LANR or BSNR (9 digits), or a postcode.
    #[serde(default)]
    q: String,
}

/// The one way from a reports error to its answer: a report not complete names every field.
fn problem(error: ReportsError, lang: Lang) -> Problem {
    match error {
        ReportsError::Incomplete(problems) => Problem::invalid_fields(
            problems.iter().map(|p| field_problem(&p.path, &p.error, lang)).collect(),
            lang,
        ),
        error => Problem::of(&error, lang),
    }
}

/// The service must be offered by the request's insurer.
fn offered(app: &UseCases, lang: Lang) -> Result<(), Problem> {
    match app.tenant.offers(Service::Etherapiebericht) {
        true => Ok(()),
        false => Err(Problem::of(&RequestError::ServiceNotOffered, lang)),
    }
}

/// A report id from the path; anything else is no report.
fn report_id(id: &str, lang: Lang) -> Result<ReportId, Problem> {
    ReportId::parse(id).ok_or_else(|| problem(ReportsError::NotFound, lang))
}

/// The physicians a report can go to, found by name, LANR, BSNR or postcode (at most 20, by
/// name). For Heilmittel practices only.
#[utoipa::path(
    get,
    path = "/api/physicians",
    tag = "etherapiebericht",
    params(SearchParams),
    responses(
        (status = 200, description = "The physicians found, by name", body = Vec<PhysicianBody>),
        (status = 401, description = "`unauthenticated`, or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`, or `heilmittel_only`: the provider is not a Heilmittel practice", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`service_not_offered`: this insurer does not offer the eTherapiebericht", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`query_too_short`, or `invalid_body`: the query string cannot be read", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
pub async fn physicians(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
    uri: Uri,
) -> Result<Json<Vec<PhysicianBody>>, Problem> {
    // Read here rather than by the extractor, whose refusal would not be a problem document.
    let Query(params) = Query::<SearchParams>::try_from_uri(&uri)
        .map_err(|e| Problem::of(&RequestError::UnexpectedShape(e.body_text()), lang))?;
    offered(&app, lang)?;
    let found = app
        .reports
        .search_physicians(&provider.standing.ik, &params.q)
        .await
        .map_err(|e| problem(e, lang))?;
    Ok(Json(
        found
            .into_iter()
            .map(|p| PhysicianBody {
                lanr: p.lanr.to_string(),
                bsnr: p.bsnr.to_string(),
                earztbrief: p.receives_earztbrief().is_some(),
                name: p.name,
                plz: p.address.plz,
                ort: p.address.ort,
            })
            .collect(),
    ))
}

/// The practice's stamp as the provider directory has it: every report carries it.
#[utoipa::path(
    get,
    path = "/api/practice",
    tag = "etherapiebericht",
    responses(
        (status = 200, description = "The practice's stamp", body = PracticeBody),
        (status = 401, description = "`unauthenticated`, or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`, or `heilmittel_only`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`service_not_offered`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
pub async fn practice(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
) -> Result<Json<PracticeBody>, Problem> {
    offered(&app, lang)?;
    let p = app.reports.practice(&provider.standing.ik).await.map_err(|e| problem(e, lang))?;
    Ok(Json(PracticeBody {
        ik: p.ik.to_string(),
        name: p.name,
        strasse: p.address.strasse,
        plz: p.address.plz,
        ort: p.address.ort,
    }))
}

/// The practice's drafts, and the reports it sent in the last month, the last changed first.
#[utoipa::path(
    get,
    path = "/api/therapy-reports",
    tag = "etherapiebericht",
    responses(
        (status = 200, description = "The practice's reports", body = Vec<ReportBody>),
        (status = 401, description = "`unauthenticated`, or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`, or `heilmittel_only`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`service_not_offered`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
pub async fn list(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
) -> Result<Json<Vec<ReportBody>>, Problem> {
    offered(&app, lang)?;
    let views = app.reports.list(&provider.standing.ik).await.map_err(|e| problem(e, lang))?;
    Ok(Json(views.into_iter().map(|v| report_body(v, lang)).collect()))
}

/// A new draft: any field may be empty. A correction names the sent report it corrects.
#[utoipa::path(
    post,
    path = "/api/therapy-reports",
    tag = "etherapiebericht",
    request_body = ReportDraftBody,
    responses(
        (status = 201, description = "The draft, with its id", body = ReportBody, headers(("Location" = String, description = "`/api/therapy-reports/{id}`"))),
        (status = 400, description = "`invalid_json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`, or `heilmittel_only`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`service_not_offered`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: more than 128 KiB", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_body`, or `unknown_report`: `corrects` names no sent report of this practice", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
pub async fn create(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
    ApiJson(body): ApiJson<ReportDraftBody, REPORT_BODY_BYTES>,
) -> Result<Response, Problem> {
    offered(&app, lang)?;
    let corrects = body
        .corrects
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|id| ReportId::parse(id).ok_or(ReportsError::UnknownCorrected))
        .transpose()
        .map_err(|e| problem(e, lang))?;
    let view = app
        .reports
        .create(&provider.standing.ik, contents(body), corrects)
        .await
        .map_err(|e| problem(e, lang))?;
    let location = format!("/api/therapy-reports/{}", view.record.id);
    let mut response = (StatusCode::CREATED, Json(report_body(view, lang))).into_response();
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// One report of the practice.
#[utoipa::path(
    get,
    path = "/api/therapy-reports/{id}",
    tag = "etherapiebericht",
    params(("id" = String, Path, description = "The report's id")),
    responses(
        (status = 200, description = "The report", body = ReportBody),
        (status = 401, description = "`unauthenticated`, or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`, or `heilmittel_only`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such report of this practice; or `service_not_offered`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
pub async fn read(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
    Path(id): Path<String>,
) -> Result<Json<ReportBody>, Problem> {
    offered(&app, lang)?;
    let id = report_id(&id, lang)?;
    let view =
        app.reports.report(&provider.standing.ik, &id).await.map_err(|e| problem(e, lang))?;
    Ok(Json(report_body(view, lang)))
}

/// Replaces a draft's contents (any field may be empty).
#[utoipa::path(
    put,
    path = "/api/therapy-reports/{id}",
    tag = "etherapiebericht",
    params(("id" = String, Path, description = "The report's id")),
    request_body = ReportDraftBody,
    responses(
        (status = 200, description = "The draft as saved", body = ReportBody),
        (status = 400, description = "`invalid_json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`, or `heilmittel_only`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`, or `service_not_offered`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`report_sent`: a sent report cannot change; write a correction", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: more than 128 KiB", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_body`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
pub async fn update(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReportDraftBody, REPORT_BODY_BYTES>,
) -> Result<Json<ReportBody>, Problem> {
    offered(&app, lang)?;
    let id = report_id(&id, lang)?;
    let view = app
        .reports
        .update(&provider.standing.ik, &id, contents(body))
        .await
        .map_err(|e| problem(e, lang))?;
    Ok(Json(report_body(view, lang)))
}

/// Deletes a draft.
#[utoipa::path(
    delete,
    path = "/api/therapy-reports/{id}",
    tag = "etherapiebericht",
    params(("id" = String, Path, description = "The report's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "`unauthenticated`, or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`, or `heilmittel_only`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`, or `service_not_offered`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`report_sent`: a sent report stays as the record of what was sent", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
pub async fn delete(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    offered(&app, lang)?;
    let id = report_id(&id, lang)?;
    app.reports.delete(&provider.standing.ik, &id).await.map_err(|e| problem(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a complete report: it is frozen and queued in one write, then handed to KIM. The same
/// `Idempotency-Key` again answers as the first send did; nothing is sent twice.
#[utoipa::path(
    post,
    path = "/api/therapy-reports/{id}/send",
    tag = "etherapiebericht",
    params(
        ("id" = String, Path, description = "The report's id"),
        ("Idempotency-Key" = String, Header, description = "1 to 100 visible characters, new for each report sent, the same for a retry"),
    ),
    responses(
        (status = 202, description = "Queued for delivery (or sent already, for a repeated key)", body = ReportBody),
        (status = 400, description = "`idempotency_key_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`, or `heilmittel_only`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`, or `service_not_offered`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`report_sent`: sent before under another key", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 410, description = "`contents_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Every missing or wrong field in `errors` by its path (`patient.kvnr`, `prescription.icd10[0]`, `recommendation.kind`, `physician`), or `no_earztbrief`: the physician's practice receives no eArztbrief", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
pub async fn send(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<ReportBody>), Problem> {
    offered(&app, lang)?;
    let id = report_id(&id, lang)?;
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let view =
        app.reports.send(&provider.standing.ik, &id, key).await.map_err(|e| problem(e, lang))?;
    Ok((StatusCode::ACCEPTED, Json(report_body(view, lang))))
}

/// The report's PDF/A document: the preview of a draft (as it would be sent today), or the
/// document that was sent.
#[utoipa::path(
    get,
    path = "/api/therapy-reports/{id}/pdf",
    tag = "etherapiebericht",
    params(("id" = String, Path, description = "The report's id")),
    responses(
        (status = 200, description = "The PDF/A-2b document", content_type = "application/pdf", body = Vec<u8>),
        (status = 401, description = "`unauthenticated`, or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`, or `heilmittel_only`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`, or `service_not_offered`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 410, description = "`contents_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The draft is not complete: every field at fault in `errors`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
pub async fn pdf(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    offered(&app, lang)?;
    let id = report_id(&id, lang)?;
    let pdf = app.reports.pdf(&provider.standing.ik, &id).await.map_err(|e| problem(e, lang))?;
    let disposition = format!("inline; filename=\"Therapiebericht-{id}.pdf\"");
    let mut response = Response::new(Body::from(pdf));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(disposition) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttachmentParams {
    /// The file's name as the practice chose it (shown to it; the message names the file
    /// itself).
    #[serde(default)]
    name: String,
}

/// Puts the practice's own PDF behind the draft's cover (replacing one it had): the body is
/// the PDF itself, at most 10 MB, not encrypted, at most 100 pages. Locally only: in AWS a
/// Lambda takes at most 6 MB, and the edge refuses larger bodies on this route.
#[utoipa::path(
    put,
    path = "/api/therapy-reports/{id}/attachment",
    tag = "etherapiebericht",
    params(("id" = String, Path, description = "The report's id"), AttachmentParams),
    request_body(content = Vec<u8>, content_type = "application/pdf", description = "The PDF, at most 10 MB"),
    responses(
        (status = 200, description = "The draft with its own PDF (`attachment`: name, bytes, pages)", body = ReportBody),
        (status = 401, description = "`unauthenticated`, or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`, or `heilmittel_only`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`, or `service_not_offered`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`report_sent`: a sent report cannot change", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 410, description = "`contents_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`pdf_too_large`: more than 10 MB", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not `application/pdf`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`pdf_invalid`: not a PDF that parses; `pdf_encrypted`; `pdf_too_many_pages`: more than 100", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
pub async fn attach(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ReportBody>, Problem> {
    let Query(params) = Query::<AttachmentParams>::try_from_uri(&uri)
        .map_err(|e| Problem::of(&RequestError::UnexpectedShape(e.body_text()), lang))?;
    offered(&app, lang)?;
    let id = report_id(&id, lang)?;
    let pdf = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/pdf"));
    if !pdf {
        return Err(Problem::of(&RequestError::UnsupportedMediaType, lang));
    }
    // One byte more than allowed tells "too large" without reading the rest.
    let limit = portal_core::therapy::ATTACHMENT_MAX_BYTES;
    let bytes = axum::body::to_bytes(body, limit + 1)
        .await
        .map_err(|_| problem(ReportsError::PdfTooLarge, lang))?;
    let view = app
        .reports
        .attach(&provider.standing.ik, &id, &params.name, &bytes)
        .await
        .map_err(|e| problem(e, lang))?;
    Ok(Json(report_body(view, lang)))
}

/// An address where the browser puts the draft's own PDF itself (S3, a presigned PUT valid 15
/// minutes), past the Lambda's 6 MB payload limit; then `…/attachment/complete`. Where the
/// portal has none (locally): 404 `direct_upload_only`, and `PUT …/attachment` takes the PDF.
#[utoipa::path(
    post,
    path = "/api/therapy-reports/{id}/attachment/upload",
    tag = "etherapiebericht",
    params(("id" = String, Path, description = "The report's id")),
    responses(
        (status = 200, description = "Where to `PUT` the PDF, with which `Content-Type`, until when", body = UploadTicketBody),
        (status = 401, description = "`unauthenticated`, or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`, or `heilmittel_only`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`, `service_not_offered`, or `direct_upload_only`: no presigned upload here, `PUT …/attachment` takes the PDF", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`report_sent`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 410, description = "`contents_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
pub async fn attachment_upload(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
    Path(id): Path<String>,
) -> Result<Json<UploadTicketBody>, Problem> {
    offered(&app, lang)?;
    let id = report_id(&id, lang)?;
    let (upload, presigned, expires_at) = app
        .reports
        .upload_ticket(&provider.standing.ik, &id)
        .await
        .map_err(|e| problem(e, lang))?;
    Ok(Json(UploadTicketBody {
        upload,
        url: presigned.url,
        method: presigned.method.into(),
        content_type: presigned.content_type.into(),
        expires_at,
    }))
}

/// The PDF the browser put at the presigned address: checked, sealed and kept as the `PUT`
/// does (the same answers); the upload itself is deleted.
#[utoipa::path(
    post,
    path = "/api/therapy-reports/{id}/attachment/complete",
    tag = "etherapiebericht",
    params(("id" = String, Path, description = "The report's id")),
    request_body = UploadCompleteBody,
    responses(
        (status = 200, description = "The draft with its own PDF (`attachment`: name, bytes, pages)", body = ReportBody),
        (status = 400, description = "`invalid_json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`, or `heilmittel_only`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`, or `service_not_offered`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`report_sent`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 410, description = "`contents_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`pdf_too_large`: more than 10 MB", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`upload_missing`; `pdf_invalid`; `pdf_encrypted`; `pdf_too_many_pages`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
pub async fn attachment_complete(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UploadCompleteBody>,
) -> Result<Json<ReportBody>, Problem> {
    offered(&app, lang)?;
    let id = report_id(&id, lang)?;
    let view = app
        .reports
        .complete_upload(&provider.standing.ik, &id, &body.upload, &body.name)
        .await
        .map_err(|e| problem(e, lang))?;
    Ok(Json(report_body(view, lang)))
}

/// Takes the own PDF off a draft.
#[utoipa::path(
    delete,
    path = "/api/therapy-reports/{id}/attachment",
    tag = "etherapiebericht",
    params(("id" = String, Path, description = "The report's id")),
    responses(
        (status = 200, description = "The draft without an own PDF", body = ReportBody),
        (status = 401, description = "`unauthenticated`, or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`, or `heilmittel_only`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`, or `service_not_offered`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`report_sent`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 410, description = "`contents_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
pub async fn detach(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
    Path(id): Path<String>,
) -> Result<Json<ReportBody>, Problem> {
    offered(&app, lang)?;
    let id = report_id(&id, lang)?;
    let view =
        app.reports.detach(&provider.standing.ik, &id).await.map_err(|e| problem(e, lang))?;
    Ok(Json(report_body(view, lang)))
}

fn contents(body: ReportDraftBody) -> portal_core::model::ReportContents {
    portal_core::model::ReportContents {
        form: body.form,
        physician: portal_core::model::PhysicianRef {
            lanr: body.physician.lanr,
            bsnr: body.physician.bsnr,
        },
        frozen: None,
        attachment: None,
    }
}

fn report_body(view: ReportView, lang: Lang) -> ReportBody {
    let r = view.record;
    let expired = view.contents.is_none();
    let contents = view.contents.unwrap_or_default();
    let attachment = contents.attachment.as_ref().map(|a| AttachmentBody {
        name: a.name.clone(),
        bytes: a.bytes,
        pages: a.pages,
    });
    ReportBody {
        id: r.id.to_string(),
        status: match r.status {
            ReportStatus::Draft => ReportStatusBody::Draft,
            ReportStatus::Queued => ReportStatusBody::Queued,
            ReportStatus::Sent => ReportStatusBody::Sent,
            ReportStatus::Delivered => ReportStatusBody::Delivered,
            ReportStatus::Read => ReportStatusBody::Read,
            ReportStatus::Failed => ReportStatusBody::Failed,
        },
        // An expired report still says what kind it was.
        form: portal_domain::therapy::ReportForm {
            kind: contents.form.kind.or(r.kind),
            area: contents.form.area.or(r.area),
            ..contents.form
        },
        physician: ReportPhysicianBody {
            lanr: contents.physician.lanr,
            bsnr: contents.physician.bsnr,
            earztbrief: view.physician.as_ref().map(|p| p.receives_earztbrief().is_some()),
            name: view.physician.map(|p| p.name),
        },
        corrects: r.corrects.map(|id| id.to_string()),
        created_at: r.created_at,
        updated_at: r.updated_at,
        sent_at: r.queued_at,
        delivered_at: r.delivered_at,
        read_at: r.read_at,
        failure: r.failure.map(|f| FailureBody {
            code: f.code().to_string(),
            message: f.message(lang).to_string(),
        }),
        contents_expired: expired,
        attachment,
    }
}
