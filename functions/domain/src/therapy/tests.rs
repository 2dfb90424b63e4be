use time::macros::date;

use super::*;
use crate::UserFacing;

#[test]
fn a_lanr_holds_its_check_digit_as_the_kbv_computes_it() {
    for valid in ["123456601", "987654450", "300512103", " 123456601 "] {
        let lanr = Lanr::parse(valid).unwrap();
        assert_eq!(lanr.as_str(), valid.trim());
    }
    assert_eq!(Lanr::parse("300512103").unwrap().fachgruppe(), "03");
    assert_eq!(Lanr::parse("123456701"), Err(LanrError::CheckDigit));
    for bad in ["", "12345660", "1234566011", "12345660a", "１２３４５６６０１"] {
        assert_eq!(Lanr::parse(bad), Err(LanrError::Format), "{bad}");
    }
}

#[test]
fn a_bsnr_is_nine_digits() {
    assert_eq!(Bsnr::parse("781234500").unwrap().as_str(), "781234500");
    assert!(Bsnr::parse("78123450").is_err() && Bsnr::parse("7812345OO").is_err());
}

#[test]
fn a_kim_address_lives_under_kim_telematik() {
    let address = KimAddress::parse(" Praxis.Muster@Arzt-Muster.KIM.telematik ").unwrap();
    assert_eq!(address.as_str(), "praxis.muster@arzt-muster.kim.telematik");
    for bad in [
        "praxis@arzt.example",
        "praxis@kim.telematik",
        "@arzt.kim.telematik",
        "praxis..muster@arzt.kim.telematik",
        "praxis muster@arzt.kim.telematik",
        "praxis@-arzt.kim.telematik",
        "praxis@arzt.kim.telematik.example",
    ] {
        assert!(KimAddress::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn icd10_codes_are_read_with_their_certainty_and_side() {
    let code = Icd10Code::parse("m17.1 g r").unwrap();
    assert_eq!(
        (code.code(), code.certainty(), code.side()),
        ("M17.1", Some(Certainty::Confirmed), Some(Side::Right))
    );
    assert_eq!(code.to_text(), "M17.1 G R");
    assert_eq!(Icd10Code::parse("M17.1GR").unwrap(), code);
    assert_eq!(Icd10Code::parse("F80.28").unwrap().to_text(), "F80.28");
    assert_eq!(Icd10Code::parse("M54").unwrap().to_text(), "M54");
    assert_eq!(Icd10Code::parse("U07.1!").unwrap().code(), "U07.1!");
    assert_eq!(Icd10Code::parse("S83.2 L V").unwrap().certainty(), Some(Certainty::Suspected));
    for bad in ["", "54.5", "M5.5", "M54.", "M54.123", "M54.5 X", "M54.5 G V", "M54.5 R L", "MM4.5"]
    {
        assert!(Icd10Code::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_diagnosis_group_is_letters_and_at_most_one_digit() {
    for valid in ["WS", "ex", "SP1", "SB1", "DF", "SAS"] {
        assert!(DiagnosisGroup::parse(valid).is_ok(), "{valid}");
    }
    for bad in ["", "W", "WSXY", "SP12", "1SP", "S-P"] {
        assert!(DiagnosisGroup::parse(bad).is_err(), "{bad}");
    }
}

const TODAY: time::Date = date!(2026 - 05 - 04);

fn complete_form() -> ReportForm {
    ReportForm {
        kind: Some(ReportKind::Therapiebericht),
        area: Some(TherapyArea::Logo),
        patient: PatientForm {
            first_name: "Max".into(),
            last_name: "Mustermann".into(),
            birth_date: "2019-02-11".into(),
            kvnr: "A123456780".into(),
            insurer_ik: "107299005".into(),
        },
        prescription: PrescriptionForm {
            date: "2026-02-02".into(),
            lanr: "123456601".into(),
            bsnr: "781234500".into(),
            diagnosis_group: "SP1".into(),
            icd10: vec!["F80.1 G".into()],
            remedies: vec![RemedyForm {
                name: "Sprachtherapie 45 Minuten".into(),
                units: Some(10),
            }],
        },
        treatment: TreatmentForm {
            first_date: "2026-02-09".into(),
            last_date: "2026-04-27".into(),
            units_done: Some(10),
        },
        findings: "Phonologische Störung mit Vorverlagerung /k/ → /t/.".into(),
        goals: "Korrekte Bildung von /k/ und /g/ in der Spontansprache.".into(),
        measures: "Minimalpaartherapie, Hörtraining.".into(),
        course: "Deutliche Fortschritte; /k/ auf Wortebene sicher.".into(),
        recommendation: RecommendationForm {
            kind: Some(RecommendationKind::Continue),
            text: String::new(),
        },
        ..ReportForm::default()
    }
}

fn paths(result: Result<TherapyReport, Vec<FormProblem>>) -> Vec<String> {
    result.unwrap_err().into_iter().map(|p| p.path).collect()
}

#[test]
fn a_complete_form_is_a_report_that_may_be_sent() {
    let report = complete_form().complete(TODAY).unwrap();
    assert_eq!(report.patient.kvnr.as_str(), "A123456780");
    assert_eq!(report.prescription.icd10[0].to_text(), "F80.1 G");
    assert_eq!(
        report.prescription.remedies,
        [Remedy { name: "Sprachtherapie 45 Minuten".into(), units: 10 }]
    );
    assert_eq!(report.recommendation.text, None);
    assert_eq!(report.speech, None);
}

#[test]
fn an_empty_draft_names_every_required_field_by_its_path() {
    let missing = paths(ReportForm::default().complete(TODAY));
    for path in [
        "kind",
        "area",
        "patient.first_name",
        "patient.kvnr",
        "patient.insurer_ik",
        "prescription.date",
        "prescription.lanr",
        "prescription.icd10",
        "prescription.remedies",
        "treatment.units_done",
        "findings",
        "course",
        "recommendation.kind",
    ] {
        assert!(missing.contains(&path.to_string()), "{path} in {missing:?}");
    }
}

#[test]
fn a_wrong_value_is_refused_with_the_domain_rules_code_and_words() {
    let mut form = complete_form();
    form.patient.kvnr = "A123456789".into();
    form.prescription.lanr = "123456701".into();
    form.prescription.icd10 = vec!["F80.1".into(), "Q".into()];
    let problems = form.complete(TODAY).unwrap_err();
    let kvnr = problems.iter().find(|p| p.path == "patient.kvnr").unwrap();
    assert_eq!(kvnr.error.code(), "invalid_kvnr");
    let lanr = problems.iter().find(|p| p.path == "prescription.lanr").unwrap();
    assert_eq!(lanr.error.message(crate::Lang::De), "Die Prüfziffer der LANR stimmt nicht.");
    assert!(
        problems
            .iter()
            .any(|p| p.path == "prescription.icd10[1]" && p.error.code() == "invalid_icd10")
    );
}

#[test]
fn dates_follow_each_other_and_none_lies_ahead() {
    let mut form = complete_form();
    form.treatment.first_date = "2026-01-30".into(); // before the prescription
    form.treatment.last_date = "2026-05-05".into(); // tomorrow
    let problems = form.complete(TODAY).unwrap_err();
    assert!(
        problems.contains(&FormProblem {
            path: "treatment.first_date".into(),
            error: FieldError::Order
        })
    );
    assert!(
        problems.contains(&FormProblem {
            path: "treatment.last_date".into(),
            error: FieldError::Future
        })
    );
}

#[test]
fn free_text_is_at_most_four_thousand_characters() {
    let mut form = complete_form();
    form.course = "ä".repeat(FREE_TEXT_MAX);
    assert!(form.clone().complete(TODAY).is_ok());
    form.course.push('ä');
    assert_eq!(paths(form.complete(TODAY)), ["course"]);
    assert_eq!(FreeText::parse("a\u{7}b"), Err(FieldError::ControlCharacter));
}

#[test]
fn speech_therapys_own_reports_ask_for_their_own_contents() {
    let mut form = complete_form();
    form.kind = Some(ReportKind::Verordnungsbericht);
    assert_eq!(
        paths(form.clone().complete(TODAY)),
        ["speech.setting", "speech.sessions_per_week", "speech.home_visit"]
    );
    form.speech = SpeechForm {
        setting: Some(Setting::Group),
        sessions_per_week: Some(2),
        home_visit: Some(false),
    };
    assert_eq!(form.clone().complete(TODAY).unwrap().speech.unwrap().sessions_per_week, 2);

    form.kind = Some(ReportKind::BesondereAnforderung);
    assert_eq!(paths(form.clone().complete(TODAY)), ["compliance", "prognosis"]);

    form.area = Some(TherapyArea::Physio);
    let problems = form.complete(TODAY).unwrap_err();
    assert_eq!(problems[0], FormProblem { path: "kind".into(), error: FieldError::KindNotForArea });
}

#[test]
fn another_therapy_must_say_which() {
    let mut form = complete_form();
    form.recommendation.kind = Some(RecommendationKind::OtherTherapy);
    assert_eq!(paths(form.clone().complete(TODAY)), ["recommendation.text"]);
    form.recommendation.text = "Ergotherapie zur Feinmotorik".into();
    let report = form.complete(TODAY).unwrap();
    assert_eq!(report.recommendation.text.unwrap().as_str(), "Ergotherapie zur Feinmotorik");
}

#[test]
fn a_draft_travels_as_json_with_empty_fields() {
    let json = serde_json::json!({"kind": "verordnungsbericht", "area": "logo", "patient": {"kvnr": "A123456780"}});
    let form: ReportForm = serde_json::from_value(json).unwrap();
    assert_eq!(form.kind, Some(ReportKind::Verordnungsbericht));
    assert_eq!(form.patient.kvnr, "A123456780");
    assert!(form.findings.is_empty());
}

mod properties {
    use proptest::prelude::*;

    use super::super::*;

    proptest! {
        #[test]
        fn every_lanr_with_the_kbv_check_digit_parses_and_no_other_does(
            serial in proptest::collection::vec(0u32..10, 6),
            group in 0u32..100,
            wrong in 1u32..10,
        ) {
            let sum: u32 = serial.iter().zip([4, 9, 4, 9, 4, 9]).map(|(d, w)| d * w).sum();
            let check = (10 - sum % 10) % 10;
            let digits: String = serial.iter().map(u32::to_string).collect();
            let lanr = format!("{digits}{check}{group:02}");
            prop_assert!(Lanr::parse(&lanr).is_ok());
            let other = format!("{digits}{}{group:02}", (check + wrong) % 10);
            prop_assert_eq!(Lanr::parse(&other), Err(LanrError::CheckDigit));
        }

        #[test]
        fn no_text_makes_the_parsers_panic(text in ".{0,40}") {
            let _ = Icd10Code::parse(&text);
            let _ = KimAddress::parse(&text);
            let _ = DiagnosisGroup::parse(&text);
            let _ = FreeText::parse(&text);
        }
    }
}
