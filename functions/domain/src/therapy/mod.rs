//! The eTherapiebericht: a Heilmittel practice's report to the prescribing physician, sent as an
//! eArztbrief over KIM. Identifiers of the physician and the diagnosis, and the report itself.

mod ids;
mod physician;
mod report;

pub use ids::{
    Bsnr, BsnrError, Certainty, DiagnosisGroup, DiagnosisGroupError, Icd10Code, Icd10Error,
    KimAddress, KimAddressError, Lanr, LanrError, Side,
};
pub use physician::{Physician, PhysicianQuery, name_words};
pub use report::{
    FREE_TEXT_MAX, FieldError, FormProblem, FreeText, Patient, PatientForm, Prescription,
    PrescriptionForm, Recommendation, RecommendationForm, RecommendationKind, Remedy, RemedyForm,
    ReportForm, ReportKind, Setting, Speech, SpeechForm, TherapyArea, TherapyReport, Treatment,
    TreatmentForm,
};

#[cfg(test)]
mod tests;
