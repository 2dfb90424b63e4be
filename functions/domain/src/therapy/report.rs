//! The therapy report as a practice fills it in ([`ReportForm`]: anything may be empty, it is a
//! draft) and as it may be sent ([`TherapyReport`]: complete, every field parsed). The one way
//! from one to the other is [`ReportForm::complete`], which names every missing or wrong field by
//! its path, so the form can mark them all at once.

use serde::{Deserialize, Serialize};
use time::Date;

use super::{Bsnr, DiagnosisGroup, Icd10Code, Lanr};
use crate::{Ik, Kvnr, Lang, UserFacing, parse_date};

/// The Heilmittel areas (Berufsfeld `heilmittel` in the provider directory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TherapyArea {
    Physio,
    Ergo,
    Logo,
    Podo,
    Ernaehrung,
}

/// Which report. Speech therapy has two more, with their own contents (Heilmittel-Richtlinie,
/// the framework contract for Stimm-, Sprech-, Sprach- und Schlucktherapie).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// The report the prescriber asked for on Muster 13 (every area).
    Therapiebericht,
    /// Speech therapy: therapeutic diagnosis and the recommendation how to go on.
    Verordnungsbericht,
    /// Speech therapy: the report on the physician's special request (diagnostics, course,
    /// compliance, prognosis).
    BesondereAnforderung,
}

impl ReportKind {
    pub fn allowed_in(self, area: TherapyArea) -> bool {
        self == ReportKind::Therapiebericht || area == TherapyArea::Logo
    }
}

/// What the therapist recommends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecommendationKind {
    Continue,
    Pause,
    End,
    /// The physician should examine the patient again.
    ReExamine,
    OtherTherapy,
}

/// Single or group therapy (Verordnungsbericht).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    Single,
    Group,
}

/// The longest free text of one field.
pub const FREE_TEXT_MAX: usize = 4000;

/// Free text of a report field: not blank, at most 4,000 characters, no control characters
/// but line breaks and tabs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FreeText(String);

impl FreeText {
    pub fn parse(input: &str) -> Result<FreeText, FieldError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(FieldError::Missing);
        }
        if text.chars().count() > FREE_TEXT_MAX {
            return Err(FieldError::TooLong);
        }
        if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
            return Err(FieldError::ControlCharacter);
        }
        Ok(FreeText(text.replace("\r\n", "\n")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name or a remedy: like free text, on one line, at most 100 characters.
fn line(input: &str) -> Result<String, FieldError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(FieldError::Missing);
    }
    if text.chars().count() > 100 {
        return Err(FieldError::TooLong);
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::ControlCharacter);
    }
    Ok(text.to_string())
}

/// What the practice typed, every field as text and any of them empty: a draft. The paths of
/// [`FormProblem`] are these field names (`prescription.icd10[1]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ReportForm {
    pub kind: Option<ReportKind>,
    pub area: Option<TherapyArea>,
    pub patient: PatientForm,
    pub prescription: PrescriptionForm,
    pub treatment: TreatmentForm,
    pub findings: String,
    pub goals: String,
    pub measures: String,
    pub course: String,
    pub recommendation: RecommendationForm,
    /// Verordnungsbericht only.
    pub speech: SpeechForm,
    /// Report on special request only.
    pub compliance: String,
    pub prognosis: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PatientForm {
    pub first_name: String,
    pub last_name: String,
    pub birth_date: String,
    pub kvnr: String,
    /// The insurer's IK (on the prescription).
    pub insurer_ik: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PrescriptionForm {
    pub date: String,
    pub lanr: String,
    pub bsnr: String,
    pub diagnosis_group: String,
    pub icd10: Vec<String>,
    pub remedies: Vec<RemedyForm>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RemedyForm {
    pub name: String,
    pub units: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct TreatmentForm {
    pub first_date: String,
    pub last_date: String,
    pub units_done: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RecommendationForm {
    pub kind: Option<RecommendationKind>,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SpeechForm {
    pub setting: Option<Setting>,
    pub sessions_per_week: Option<u32>,
    pub home_visit: Option<bool>,
}

/// A report that may be sent: nothing missing, every value parsed and consistent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TherapyReport {
    pub kind: ReportKind,
    pub area: TherapyArea,
    pub patient: Patient,
    pub prescription: Prescription,
    pub treatment: Treatment,
    pub findings: FreeText,
    pub goals: FreeText,
    pub measures: FreeText,
    pub course: FreeText,
    pub recommendation: Recommendation,
    pub speech: Option<Speech>,
    pub compliance: Option<FreeText>,
    pub prognosis: Option<FreeText>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patient {
    pub first_name: String,
    pub last_name: String,
    pub birth_date: Date,
    pub kvnr: Kvnr,
    pub insurer_ik: Ik,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prescription {
    pub date: Date,
    pub lanr: Lanr,
    pub bsnr: Bsnr,
    pub diagnosis_group: DiagnosisGroup,
    pub icd10: Vec<Icd10Code>,
    pub remedies: Vec<Remedy>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remedy {
    pub name: String,
    pub units: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Treatment {
    pub first_date: Date,
    pub last_date: Date,
    pub units_done: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommendation {
    pub kind: RecommendationKind,
    pub text: Option<FreeText>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speech {
    pub setting: Setting,
    pub sessions_per_week: u32,
    pub home_visit: bool,
}

/// What is wrong with one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("required")]
    Missing,
    #[error("longer than allowed")]
    TooLong,
    #[error("holds a control character")]
    ControlCharacter,
    #[error("not a date")]
    Date,
    #[error("lies in the future")]
    Future,
    #[error("lies before the date it follows")]
    Order,
    #[error("out of range")]
    Range,
    #[error("not allowed for this therapy area")]
    KindNotForArea,
    #[error("a rule of its own")]
    Rule(&'static str, [&'static str; 2]),
}

impl FieldError {
    /// The domain rule that refused a value, kept with its code and both messages.
    fn of(error: &dyn UserFacing) -> FieldError {
        FieldError::Rule(error.code(), [error.message(Lang::De), error.message(Lang::En)])
    }
}

impl UserFacing for FieldError {
    fn code(&self) -> &'static str {
        match self {
            FieldError::Missing => "required",
            FieldError::TooLong => "too_long",
            FieldError::ControlCharacter | FieldError::Range => "invalid_value",
            FieldError::Date | FieldError::Future | FieldError::Order => "invalid_date",
            FieldError::KindNotForArea => "kind_not_for_area",
            FieldError::Rule(code, _) => code,
        }
    }

    fn message(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (FieldError::Missing, Lang::De) => "Bitte füllen Sie dieses Feld aus.",
            (FieldError::Missing, Lang::En) => "Please fill in this field.",
            (FieldError::TooLong, Lang::De) => {
                "Der Text ist zu lang (höchstens 4.000 Zeichen, Namen 100)."
            }
            (FieldError::TooLong, Lang::En) => {
                "The text is too long (at most 4,000 characters, names 100)."
            }
            (FieldError::ControlCharacter, Lang::De) => "Der Text enthält ein Steuerzeichen.",
            (FieldError::ControlCharacter, Lang::En) => "The text holds a control character.",
            (FieldError::Date, Lang::De) => {
                "Bitte geben Sie ein gültiges Datum im Format JJJJ-MM-TT an."
            }
            (FieldError::Date, Lang::En) => "Please give a valid date as YYYY-MM-DD.",
            (FieldError::Future, Lang::De) => "Das Datum darf nicht in der Zukunft liegen.",
            (FieldError::Future, Lang::En) => "The date must not lie in the future.",
            (FieldError::Order, Lang::De) => {
                "Das Datum liegt vor dem Datum, auf das es folgt (Verordnung, Behandlungsbeginn)."
            }
            (FieldError::Order, Lang::En) => {
                "The date lies before the date it follows (prescription, first treatment)."
            }
            (FieldError::Range, Lang::De) => "Der Wert liegt außerhalb des erlaubten Bereichs.",
            (FieldError::Range, Lang::En) => "The value lies outside the allowed range.",
            (FieldError::KindNotForArea, Lang::De) => {
                "Diese Berichtsart gibt es nur in der Stimm-, Sprech-, Sprach- und Schlucktherapie."
            }
            (FieldError::KindNotForArea, Lang::En) => {
                "This kind of report exists in speech therapy only."
            }
            (FieldError::Rule(_, [de, _]), Lang::De) => de,
            (FieldError::Rule(_, [_, en]), Lang::En) => en,
        }
    }
}

/// One field at fault, by its path in the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormProblem {
    pub path: String,
    pub error: FieldError,
}

/// Collects each field's problem while the form is read.
struct Check {
    problems: Vec<FormProblem>,
    today: Date,
}

impl Check {
    fn field<T, E>(&mut self, path: &str, parsed: Result<T, E>) -> Option<T>
    where
        E: Into<FieldError>,
    {
        parsed
            .map_err(|e| self.problems.push(FormProblem { path: path.into(), error: e.into() }))
            .ok()
    }

    fn required<T>(&mut self, path: &str, value: Option<T>) -> Option<T> {
        self.field(path, value.ok_or(FieldError::Missing))
    }

    fn text(&mut self, path: &str, input: &str) -> Option<FreeText> {
        self.field(path, FreeText::parse(input))
    }

    fn date(&mut self, path: &str, input: &str) -> Option<Date> {
        let parsed = match input.trim() {
            "" => Err(FieldError::Missing),
            text => parse_date(text).map_err(|_| FieldError::Date),
        };
        let date = self.field(path, parsed)?;
        self.field(path, if date > self.today { Err(FieldError::Future) } else { Ok(date) })
    }

    fn parsed<T, E: UserFacing>(
        &mut self,
        path: &str,
        input: &str,
        parse: fn(&str) -> Result<T, E>,
    ) -> Option<T> {
        if input.trim().is_empty() {
            return self.required(path, None);
        }
        self.field(path, parse(input).map_err(|e| FieldError::of(&e)))
    }

    fn number(
        &mut self,
        path: &str,
        value: Option<u32>,
        range: std::ops::RangeInclusive<u32>,
    ) -> Option<u32> {
        let value = self.required(path, value)?;
        self.field(path, if range.contains(&value) { Ok(value) } else { Err(FieldError::Range) })
    }

    /// `later` must not lie before `earlier`.
    fn in_order(&mut self, path: &str, earlier: Option<Date>, later: Option<Date>) {
        if let (Some(earlier), Some(later)) = (earlier, later)
            && later < earlier
        {
            self.problems.push(FormProblem { path: path.into(), error: FieldError::Order });
        }
    }
}

impl ReportForm {
    /// The report, if it may be sent on `today` (a German calendar day); otherwise every field
    /// at fault, in the order of the form.
    pub fn complete(&self, today: Date) -> Result<TherapyReport, Vec<FormProblem>> {
        let mut c = Check { problems: Vec::new(), today };
        let kind = c.required("kind", self.kind);
        let area = c.required("area", self.area);
        if let (Some(kind), Some(area)) = (kind, area)
            && !kind.allowed_in(area)
        {
            c.problems.push(FormProblem { path: "kind".into(), error: FieldError::KindNotForArea });
        }

        let p = &self.patient;
        let first_name = c.field("patient.first_name", line(&p.first_name));
        let last_name = c.field("patient.last_name", line(&p.last_name));
        let birth_date = c.date("patient.birth_date", &p.birth_date);
        let kvnr = c.parsed("patient.kvnr", &p.kvnr, Kvnr::parse);
        let insurer_ik = c.parsed("patient.insurer_ik", &p.insurer_ik, Ik::parse);

        let r = &self.prescription;
        let date = c.date("prescription.date", &r.date);
        c.in_order("prescription.date", birth_date, date);
        let lanr = c.parsed("prescription.lanr", &r.lanr, Lanr::parse);
        let bsnr = c.parsed("prescription.bsnr", &r.bsnr, Bsnr::parse);
        let group =
            c.parsed("prescription.diagnosis_group", &r.diagnosis_group, DiagnosisGroup::parse);
        let codes: Vec<&String> = r.icd10.iter().filter(|code| !code.trim().is_empty()).collect();
        if codes.is_empty() {
            c.required::<()>("prescription.icd10", None);
        }
        if codes.len() > 2 {
            c.problems
                .push(FormProblem { path: "prescription.icd10".into(), error: FieldError::Range });
        }
        let icd10: Vec<Option<Icd10Code>> = codes
            .iter()
            .enumerate()
            .map(|(i, code)| c.parsed(&format!("prescription.icd10[{i}]"), code, Icd10Code::parse))
            .collect();
        if r.remedies.is_empty() || r.remedies.len() > 4 {
            let error = if r.remedies.is_empty() { FieldError::Missing } else { FieldError::Range };
            c.problems.push(FormProblem { path: "prescription.remedies".into(), error });
        }
        let remedies: Vec<Option<Remedy>> = r
            .remedies
            .iter()
            .enumerate()
            .map(|(i, remedy)| {
                let name = c.field(&format!("prescription.remedies[{i}].name"), line(&remedy.name));
                let units =
                    c.number(&format!("prescription.remedies[{i}].units"), remedy.units, 1..=99);
                Some(Remedy { name: name?, units: units? })
            })
            .collect();

        let t = &self.treatment;
        let first_date = c.date("treatment.first_date", &t.first_date);
        c.in_order("treatment.first_date", date, first_date);
        let last_date = c.date("treatment.last_date", &t.last_date);
        c.in_order("treatment.last_date", first_date, last_date);
        let units_done = c.number("treatment.units_done", t.units_done, 1..=999);

        let findings = c.text("findings", &self.findings);
        let goals = c.text("goals", &self.goals);
        let measures = c.text("measures", &self.measures);
        let course = c.text("course", &self.course);
        let recommendation_kind = c.required("recommendation.kind", self.recommendation.kind);
        // Free text is optional except where the kind alone says too little.
        let recommendation_text = match (recommendation_kind, self.recommendation.text.trim()) {
            (Some(RecommendationKind::OtherTherapy), _) => {
                Some(c.text("recommendation.text", &self.recommendation.text))
            }
            (_, "") => None,
            (_, text) => Some(c.text("recommendation.text", text)),
        };

        let speech = if kind == Some(ReportKind::Verordnungsbericht) {
            let s = &self.speech;
            let setting = c.required("speech.setting", s.setting);
            let per_week = c.number("speech.sessions_per_week", s.sessions_per_week, 1..=5);
            let home_visit = c.required("speech.home_visit", s.home_visit);
            Some((setting, per_week, home_visit))
        } else {
            None
        };
        let special = kind == Some(ReportKind::BesondereAnforderung);
        let compliance = special.then(|| c.text("compliance", &self.compliance));
        let prognosis = special.then(|| c.text("prognosis", &self.prognosis));

        if !c.problems.is_empty() {
            return Err(c.problems);
        }
        // Nothing was refused, so every value is there.
        let missing = || vec![FormProblem { path: "".into(), error: FieldError::Missing }];
        let speech = match speech {
            Some((setting, per_week, home_visit)) => Some(Speech {
                setting: setting.ok_or_else(missing)?,
                sessions_per_week: per_week.ok_or_else(missing)?,
                home_visit: home_visit.ok_or_else(missing)?,
            }),
            None => None,
        };
        Ok(TherapyReport {
            kind: kind.ok_or_else(missing)?,
            area: area.ok_or_else(missing)?,
            patient: Patient {
                first_name: first_name.ok_or_else(missing)?,
                last_name: last_name.ok_or_else(missing)?,
                birth_date: birth_date.ok_or_else(missing)?,
                kvnr: kvnr.ok_or_else(missing)?,
                insurer_ik: insurer_ik.ok_or_else(missing)?,
            },
            prescription: Prescription {
                date: date.ok_or_else(missing)?,
                lanr: lanr.ok_or_else(missing)?,
                bsnr: bsnr.ok_or_else(missing)?,
                diagnosis_group: group.ok_or_else(missing)?,
                icd10: icd10.into_iter().collect::<Option<_>>().ok_or_else(missing)?,
                remedies: remedies.into_iter().collect::<Option<_>>().ok_or_else(missing)?,
            },
            treatment: Treatment {
                first_date: first_date.ok_or_else(missing)?,
                last_date: last_date.ok_or_else(missing)?,
                units_done: units_done.ok_or_else(missing)?,
            },
            findings: findings.ok_or_else(missing)?,
            goals: goals.ok_or_else(missing)?,
            measures: measures.ok_or_else(missing)?,
            course: course.ok_or_else(missing)?,
            recommendation: Recommendation {
                kind: recommendation_kind.ok_or_else(missing)?,
                text: recommendation_text.flatten(),
            },
            speech,
            compliance: compliance.flatten(),
            prognosis: prognosis.flatten(),
        })
    }
}
