//! The eTherapiebericht: the physicians a report can go to, and the reports themselves. A
//! report's form is the domain's [`ReportForm`] as it is (every field text, any may be empty),
//! so the app checks it with the same rules as the server.

use std::fmt;

use portal_domain::therapy::ReportForm;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One physician at one practice site (`GET /api/physicians`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhysicianBody {
    /// Lebenslange Arztnummer, 9 digits.
    pub lanr: String,
    /// Betriebsstättennummer, 9 digits.
    pub bsnr: String,
    pub name: String,
    pub plz: String,
    pub ort: String,
    /// The practice receives eArztbriefe over KIM; without, the app offers a letter to print.
    pub earztbrief: bool,
}

/// The physician a report goes to, by LANR and BSNR as the directory lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhysicianRefBody {
    pub lanr: String,
    pub bsnr: String,
}

/// `POST /api/therapy-reports` and `PUT /api/therapy-reports/{id}`: a draft, any field may be
/// empty. Sending checks it whole. Read by hand (below), written as derived.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportDraftBody {
    #[serde(flatten)]
    pub form: ReportForm,
    pub physician: PhysicianRefBody,
    /// On create only: the id of the sent report this one corrects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
}

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReportStatusBody {
    /// Being written: may change, may be deleted.
    Draft,
    /// Frozen, waiting to be handed to KIM.
    Queued,
    /// The KIM service took it.
    Sent,
    /// The physician's mailbox received it.
    Delivered,
    /// The physician's system opened it.
    Read,
    /// Not delivered: `failure` says why.
    Failed,
}

/// The practice's own PDF on a report: sent behind the report's cover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentBody {
    /// The file name as uploaded.
    pub name: String,
    pub bytes: u64,
    pub pages: u32,
}

/// `POST /api/therapy-reports/{id}/attachment/upload`: where the browser puts the PDF itself
/// (an S3 presigned PUT, beyond the Lambda's 6 MB payload limit), then names `upload` to
/// `…/attachment/complete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadTicketBody {
    /// The upload's name, for `complete`.
    pub upload: String,
    /// The presigned address: `PUT` the PDF there, with exactly this `content_type`.
    pub url: String,
    pub method: String,
    pub content_type: String,
    #[serde(with = "crate::dates::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: OffsetDateTime,
}

/// `POST /api/therapy-reports/{id}/attachment/complete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadCompleteBody {
    /// As `upload` answered.
    pub upload: String,
    /// The file's name as the practice chose it.
    #[serde(default)]
    pub name: String,
}

/// Why a report was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailureBody {
    /// `address_refused`, `no_certificate`, `too_large` or `gave_up`.
    pub code: String,
    /// In the request's language.
    pub message: String,
}

/// The physician a report goes to, as the directory has them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportPhysicianBody {
    pub lanr: String,
    pub bsnr: String,
    /// From the directory; absent while none is picked or the one picked is not listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earztbrief: Option<bool>,
}

/// A report as its practice sees it. Read by hand (below), written as derived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportBody {
    pub id: String,
    pub status: ReportStatusBody,
    /// Empty once the contents expired (`contents_expired`); the record stays a year.
    #[serde(flatten)]
    pub form: ReportForm,
    pub physician: ReportPhysicianBody,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
    #[serde(with = "crate::dates::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::dates::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: OffsetDateTime,
    /// When the practice sent it (it was queued then).
    #[serde(
        default,
        with = "crate::dates::rfc3339_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub sent_at: Option<OffsetDateTime>,
    #[serde(
        default,
        with = "crate::dates::rfc3339_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub delivered_at: Option<OffsetDateTime>,
    #[serde(
        default,
        with = "crate::dates::rfc3339_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub read_at: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureBody>,
    /// The contents are no longer kept (drafts 90 days after their last change, sent reports
    /// 30 days after their last status).
    #[serde(default)]
    pub contents_expired: bool,
    /// The practice's own PDF, when one is uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<AttachmentBody>,
}

/// `GET /api/practice`: the practice's stamp as the directory has it, which
/// every report carries (pre-filled, never typed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PracticeBody {
    pub ik: String,
    pub name: String,
    pub strasse: String,
    pub plz: String,
    pub ort: String,
}

// Reading a draft and a report. Both carry the form's fields at their top level
// (`#[serde(flatten)]`), which a derived `Deserialize` reads by buffering every key it does not
// know into serde's `Content` and reading the form from that afterwards: kilobytes of generic
// code in the app's wasm. Written by hand instead, each key goes straight to its field. The
// same bodies are read: unknown keys are skipped, a key given twice is refused, and what the
// derived types required is still required (the tests compare with them).

/// A draft's keys: first the 13 of [`ReportForm`] in the order of its fields, then its own.
const DRAFT_KEYS: &[&str] = &[
    "kind",
    "area",
    "patient",
    "prescription",
    "treatment",
    "findings",
    "goals",
    "measures",
    "course",
    "recommendation",
    "speech",
    "compliance",
    "prognosis",
    "physician",
    "corrects",
];

/// A report's keys: the form's, then its own.
const REPORT_KEYS: &[&str] = &[
    "kind",
    "area",
    "patient",
    "prescription",
    "treatment",
    "findings",
    "goals",
    "measures",
    "course",
    "recommendation",
    "speech",
    "compliance",
    "prognosis",
    "id",
    "status",
    "physician",
    "corrects",
    "created_at",
    "updated_at",
    "sent_at",
    "delivered_at",
    "read_at",
    "failure",
    "contents_expired",
    "attachment",
];

/// A key of an object read as its place among `keys` (`None`: not one of them).
struct Key(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|k| *k == key))
    }
}

/// The next key of `map` among `keys`, as its place; other keys are skipped with their values,
/// a key given twice (`seen`) is refused.
fn next_key<'de, A: MapAccess<'de>>(
    map: &mut A,
    keys: &'static [&'static str],
    seen: &mut u32,
) -> Result<Option<usize>, A::Error> {
    while let Some(key) = map.next_key_seed(Key(keys))? {
        match key {
            None => {
                map.next_value::<IgnoredAny>()?;
            }
            Some(i) if *seen & (1 << i) != 0 => return Err(de::Error::duplicate_field(keys[i])),
            Some(i) => {
                *seen |= 1 << i;
                return Ok(Some(i));
            }
        }
    }
    Ok(None)
}

/// The value of the form's key `i` (its place in [`DRAFT_KEYS`] and [`REPORT_KEYS`]) read into
/// `form`.
fn form_value<'de, A: MapAccess<'de>>(
    map: &mut A,
    form: &mut ReportForm,
    i: usize,
) -> Result<(), A::Error> {
    match i {
        0 => form.kind = map.next_value()?,
        1 => form.area = map.next_value()?,
        2 => form.patient = map.next_value()?,
        3 => form.prescription = map.next_value()?,
        4 => form.treatment = map.next_value()?,
        5 => form.findings = map.next_value()?,
        6 => form.goals = map.next_value()?,
        7 => form.measures = map.next_value()?,
        8 => form.course = map.next_value()?,
        9 => form.recommendation = map.next_value()?,
        10 => form.speech = map.next_value()?,
        11 => form.compliance = map.next_value()?,
        _ => form.prognosis = map.next_value()?,
    }
    Ok(())
}

impl<'de> Deserialize<'de> for ReportDraftBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Draft;

        impl<'de> Visitor<'de> for Draft {
            type Value = ReportDraftBody;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("struct ReportDraftBody")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ReportDraftBody, A::Error> {
                let mut draft = ReportDraftBody::default();
                let mut seen = 0;
                while let Some(i) = next_key(&mut map, DRAFT_KEYS, &mut seen)? {
                    match i {
                        13 => draft.physician = map.next_value()?,
                        14 => draft.corrects = map.next_value()?,
                        _ => form_value(&mut map, &mut draft.form, i)?,
                    }
                }
                Ok(draft)
            }
        }

        deserializer.deserialize_struct("ReportDraftBody", DRAFT_KEYS, Draft)
    }
}

/// A time on the wire (RFC 3339), and one that may be absent.
struct At(OffsetDateTime);

impl<'de> Deserialize<'de> for At {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<At, D::Error> {
        crate::dates::rfc3339::deserialize(deserializer).map(At)
    }
}

struct MaybeAt(Option<OffsetDateTime>);

impl<'de> Deserialize<'de> for MaybeAt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MaybeAt, D::Error> {
        crate::dates::rfc3339_option::deserialize(deserializer).map(MaybeAt)
    }
}

impl<'de> Deserialize<'de> for ReportBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Report;

        impl<'de> Visitor<'de> for Report {
            type Value = ReportBody;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("struct ReportBody")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ReportBody, A::Error> {
                let (mut id, mut status, mut physician) = (None, None, None);
                let (mut created_at, mut updated_at) = (None, None);
                let mut r = ReportBody {
                    id: String::new(),
                    status: ReportStatusBody::Draft,
                    form: ReportForm::default(),
                    physician: ReportPhysicianBody::default(),
                    corrects: None,
                    created_at: OffsetDateTime::UNIX_EPOCH,
                    updated_at: OffsetDateTime::UNIX_EPOCH,
                    sent_at: None,
                    delivered_at: None,
                    read_at: None,
                    failure: None,
                    contents_expired: false,
                    attachment: None,
                };
                let mut seen = 0;
                while let Some(i) = next_key(&mut map, REPORT_KEYS, &mut seen)? {
                    match i {
                        13 => id = Some(map.next_value()?),
                        14 => status = Some(map.next_value()?),
                        15 => physician = Some(map.next_value()?),
                        16 => r.corrects = map.next_value()?,
                        17 => created_at = Some(map.next_value::<At>()?.0),
                        18 => updated_at = Some(map.next_value::<At>()?.0),
                        19 => r.sent_at = map.next_value::<MaybeAt>()?.0,
                        20 => r.delivered_at = map.next_value::<MaybeAt>()?.0,
                        21 => r.read_at = map.next_value::<MaybeAt>()?.0,
                        22 => r.failure = map.next_value()?,
                        23 => r.contents_expired = map.next_value()?,
                        24 => r.attachment = map.next_value()?,
                        _ => form_value(&mut map, &mut r.form, i)?,
                    }
                }
                r.id = id.ok_or_else(|| de::Error::missing_field("id"))?;
                r.status = status.ok_or_else(|| de::Error::missing_field("status"))?;
                r.physician = physician.ok_or_else(|| de::Error::missing_field("physician"))?;
                r.created_at = created_at.ok_or_else(|| de::Error::missing_field("created_at"))?;
                r.updated_at = updated_at.ok_or_else(|| de::Error::missing_field("updated_at"))?;
                Ok(r)
            }
        }

        deserializer.deserialize_struct("ReportBody", REPORT_KEYS, Report)
    }
}

#[cfg(test)]
mod tests {
    use portal_domain::therapy::{
        PatientForm, PrescriptionForm, RecommendationForm, RecommendationKind, RemedyForm,
        ReportKind, Setting, SpeechForm, TherapyArea, TreatmentForm,
    };
    use serde::de::DeserializeOwned;
    use serde_json::{Value, json};
    use time::macros::datetime;

    use super::*;

    /// The types as serde derived them before their `Deserialize` was written by hand: the
    /// reference the hand-written reading must match.
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(default)]
    struct DerivedDraft {
        #[serde(flatten)]
        form: ReportForm,
        physician: PhysicianRefBody,
        corrects: Option<String>,
    }

    impl Default for DerivedDraft {
        fn default() -> DerivedDraft {
            let ReportDraftBody { form, physician, corrects } = ReportDraftBody::default();
            DerivedDraft { form, physician, corrects }
        }
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct DerivedReport {
        id: String,
        status: ReportStatusBody,
        #[serde(flatten)]
        form: ReportForm,
        physician: ReportPhysicianBody,
        #[serde(default)]
        corrects: Option<String>,
        #[serde(with = "crate::dates::rfc3339")]
        created_at: OffsetDateTime,
        #[serde(with = "crate::dates::rfc3339")]
        updated_at: OffsetDateTime,
        #[serde(default, with = "crate::dates::rfc3339_option")]
        sent_at: Option<OffsetDateTime>,
        #[serde(default, with = "crate::dates::rfc3339_option")]
        delivered_at: Option<OffsetDateTime>,
        #[serde(default, with = "crate::dates::rfc3339_option")]
        read_at: Option<OffsetDateTime>,
        #[serde(default)]
        failure: Option<FailureBody>,
        #[serde(default)]
        contents_expired: bool,
        #[serde(default)]
        attachment: Option<AttachmentBody>,
    }

    fn draft_of(d: DerivedDraft) -> ReportDraftBody {
        ReportDraftBody { form: d.form, physician: d.physician, corrects: d.corrects }
    }

    fn report_of(r: DerivedReport) -> ReportBody {
        ReportBody {
            id: r.id,
            status: r.status,
            form: r.form,
            physician: r.physician,
            corrects: r.corrects,
            created_at: r.created_at,
            updated_at: r.updated_at,
            sent_at: r.sent_at,
            delivered_at: r.delivered_at,
            read_at: r.read_at,
            failure: r.failure,
            contents_expired: r.contents_expired,
            attachment: r.attachment,
        }
    }

    /// Every field of the form filled.
    fn full_form() -> ReportForm {
        ReportForm {
            kind: Some(ReportKind::Verordnungsbericht),
            area: Some(TherapyArea::Logo),
            patient: PatientForm {
                first_name: "Erika".into(),
                last_name: "Mustermann".into(),
                birth_date: "1960-02-29".into(),
                kvnr: "A123456780".into(),
                insurer_ik: "109500969".into(),
            },
            prescription: PrescriptionForm {
                date: "2026-03-14".into(),
                lanr: "123456601".into(),
                bsnr: "987654300".into(),
                diagnosis_group: "SP1".into(),
                icd10: vec!["R47.0".into(), "I63.9".into()],
                remedies: vec![
                    RemedyForm { name: "Sprachtherapie".into(), units: Some(10) },
                    RemedyForm { name: "Stimmtherapie".into(), units: None },
                ],
            },
            treatment: TreatmentForm {
                first_date: "2026-03-20".into(),
                last_date: "2026-05-02".into(),
                units_done: Some(9),
            },
            findings: "Befund\nzweite Zeile".into(),
            goals: "Ziele".into(),
            measures: "Maßnahmen".into(),
            course: "Verlauf".into(),
            recommendation: RecommendationForm {
                kind: Some(RecommendationKind::OtherTherapy),
                text: "Ergotherapie".into(),
            },
            speech: SpeechForm {
                setting: Some(Setting::Group),
                sessions_per_week: Some(2),
                home_visit: Some(false),
            },
            compliance: "gut".into(),
            prognosis: "günstig".into(),
        }
    }

    fn full_draft() -> ReportDraftBody {
        ReportDraftBody {
            form: full_form(),
            physician: PhysicianRefBody { lanr: "123456601".into(), bsnr: "987654300".into() },
            corrects: Some("r-1".into()),
        }
    }

    fn full_report() -> ReportBody {
        ReportBody {
            id: "r-2".into(),
            status: ReportStatusBody::Failed,
            form: full_form(),
            physician: ReportPhysicianBody {
                lanr: "123456601".into(),
                bsnr: "987654300".into(),
                name: Some("Dr. Anna Beispiel".into()),
                earztbrief: Some(true),
            },
            corrects: Some("r-1".into()),
            created_at: datetime!(2026-05-04 08:10:00 UTC),
            updated_at: datetime!(2026-05-04 08:12:30.5 UTC),
            sent_at: Some(datetime!(2026-05-04 08:12:00 UTC)),
            delivered_at: Some(datetime!(2026-05-04 08:13:00 UTC)),
            read_at: Some(datetime!(2026-05-04 09:00:00 UTC)),
            failure: Some(FailureBody { code: "gave_up".into(), message: "Aufgegeben".into() }),
            contents_expired: false,
            attachment: Some(AttachmentBody { name: "Bericht.pdf".into(), bytes: 1234, pages: 2 }),
        }
    }

    fn empty_report() -> ReportBody {
        ReportBody {
            id: "r-3".into(),
            status: ReportStatusBody::Draft,
            form: ReportForm::default(),
            physician: ReportPhysicianBody::default(),
            corrects: None,
            created_at: datetime!(2026-05-04 08:10:00 UTC),
            updated_at: datetime!(2026-05-04 08:10:00 UTC),
            sent_at: None,
            delivered_at: None,
            read_at: None,
            failure: None,
            contents_expired: true,
            attachment: None,
        }
    }

    /// Read by the type's own `Deserialize` and by the derived reference: both refuse it, or
    /// both read the same.
    fn same<T, D>(json: &Value, of: fn(D) -> T) -> Option<T>
    where
        T: DeserializeOwned + PartialEq + std::fmt::Debug,
        D: DeserializeOwned,
    {
        let own = serde_json::from_value::<T>(json.clone()).ok();
        let derived = serde_json::from_value::<D>(json.clone()).ok().map(of);
        assert_eq!(own, derived, "{json}");
        // The text as the server reads it (not through `Value`) gives the same.
        let text = json.to_string();
        assert_eq!(serde_json::from_str::<T>(&text).ok(), own, "{text}");
        own
    }

    fn keys(value: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }

    const FORM_KEYS: [&str; 13] = [
        "area",
        "compliance",
        "course",
        "findings",
        "goals",
        "kind",
        "measures",
        "patient",
        "prescription",
        "prognosis",
        "recommendation",
        "speech",
        "treatment",
    ];

    #[test]
    fn a_draft_is_flat_and_reads_back_as_written() {
        for draft in [full_draft(), ReportDraftBody::default()] {
            let json = serde_json::to_value(&draft).unwrap();
            let mut expected: Vec<&str> = FORM_KEYS.to_vec();
            expected.push("physician");
            if draft.corrects.is_some() {
                expected.push("corrects");
            }
            expected.sort_unstable();
            assert_eq!(keys(&json), expected);
            assert_eq!(same(&json, draft_of), Some(draft));
        }
        assert_eq!(same(&json!({}), draft_of), Some(ReportDraftBody::default()));
    }

    #[test]
    fn a_report_is_flat_and_reads_back_as_written() {
        let json = serde_json::to_value(full_report()).unwrap();
        let mut expected: Vec<&str> = FORM_KEYS.to_vec();
        expected.extend([
            "id",
            "status",
            "physician",
            "corrects",
            "created_at",
            "updated_at",
            "sent_at",
            "delivered_at",
            "read_at",
            "failure",
            "contents_expired",
            "attachment",
        ]);
        expected.sort_unstable();
        assert_eq!(keys(&json), expected);
        assert_eq!(json["patient"]["first_name"], "Erika");
        assert_eq!(json["kind"], "verordnungsbericht");
        assert_eq!(same(&json, report_of), Some(full_report()));

        let json = serde_json::to_value(empty_report()).unwrap();
        assert_eq!(same(&json, report_of), Some(empty_report()));
    }

    #[test]
    fn unknown_keys_missing_keys_nulls_and_wrong_values_read_as_the_derived_types_did() {
        let drafts = [
            json!({"kind": "therapiebericht", "unknown": {"a": [1, 2.5, null]}, "x": null}),
            json!({"kind": null, "area": null, "corrects": null, "speech": {"home_visit": true}}),
            json!({"patient": {"first_name": "Max", "other": 1}, "goals": "g"}),
            json!({"prescription": {"icd10": ["A00"], "remedies": [{"name": "KG", "units": 6}]}}),
            json!({"physician": {"lanr": "1"}, "treatment": {"units_done": null}}),
            // Refused: wrong kinds of value, an unknown choice.
            json!({"kind": "no_such_kind"}),
            json!({"patient": null}),
            json!({"goals": 5}),
            json!({"treatment": {"units_done": -1}}),
            json!({"treatment": {"units_done": 1.5}}),
            json!({"physician": null}),
            json!([]),
            json!("text"),
        ];
        for json in &drafts {
            same(json, draft_of);
        }
        let base = serde_json::to_value(full_report()).unwrap();
        let with = |key: &str, value: Value| {
            let mut json = base.clone();
            json[key] = value;
            json
        };
        let without = |key: &str| {
            let mut json = base.clone();
            json.as_object_mut().unwrap().remove(key);
            json
        };
        let mut reports = vec![
            with("unknown", json!({"nested": [true]})),
            with("sent_at", Value::Null),
            with("failure", Value::Null),
            with("kind", Value::Null),
            with("created_at", json!("2026-05-04T08:10:00+02:00")),
            with("status", json!("lost")),
            with("contents_expired", Value::Null),
            with("findings", json!(["a"])),
        ];
        for key in FORM_KEYS.iter().chain(&[
            "id",
            "status",
            "physician",
            "corrects",
            "created_at",
            "updated_at",
            "sent_at",
            "delivered_at",
            "read_at",
            "failure",
            "contents_expired",
        ]) {
            reports.push(without(key));
        }
        for json in &reports {
            same(json, report_of);
        }
        assert!(same(&without("id"), report_of).is_none());
        assert!(same(&without("updated_at"), report_of).is_none());
        assert_eq!(same(&without("goals"), report_of).map(|r| r.form.goals), Some(String::new()));
    }

    #[test]
    fn the_key_tables_begin_with_the_form_in_its_order() {
        let form = serde_json::to_value(ReportForm::default()).unwrap();
        let form: Vec<&str> = form.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(form.len(), 13);
        let mut sorted = form.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, FORM_KEYS);
        assert_eq!(&DRAFT_KEYS[..13], &REPORT_KEYS[..13]);
        let mut table = DRAFT_KEYS[..13].to_vec();
        table.sort_unstable();
        assert_eq!(table, FORM_KEYS);
    }

    #[test]
    fn a_key_given_twice_is_refused() {
        let own = serde_json::from_str::<ReportDraftBody>(r#"{"goals": "a", "goals": "b"}"#);
        let derived = serde_json::from_str::<DerivedDraft>(r#"{"goals": "a", "goals": "b"}"#);
        assert!(own.is_err() && derived.is_err());
        let own = serde_json::from_str::<ReportDraftBody>(r#"{"corrects": "a", "corrects": "b"}"#);
        let derived = serde_json::from_str::<DerivedDraft>(r#"{"corrects": "a", "corrects": "b"}"#);
        assert!(own.is_err() && derived.is_err());
    }
}
