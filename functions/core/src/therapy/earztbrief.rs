//! The eArztbrief's XML: an HL7 CDA R2 document with the header of the German Arztbrief
//! (HL7 Deutschland, "Arztbrief 2014/2015", template 1.2.276.0.76.10.1013), which receiving
//! practice systems read to file the letter with the right patient, and the report's text as
//! sections. The PDF beside it is what a physician reads; systems that cannot parse the XML
//! still show the PDF.

use std::io::{self, Cursor};

use portal_domain::Provider;
use portal_domain::therapy::{Physician, RecommendationKind, ReportKind, TherapyReport};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use time::OffsetDateTime;
use time::macros::format_description;

/// Object identifiers of the German health system (HL7 Deutschland's registry).
pub mod oid {
    /// The KVNR, the patient's insurance number.
    pub const KVNR: &str = "1.2.276.0.76.4.8";
    /// The Institutionskennzeichen (insurers and providers).
    pub const IK: &str = "1.2.276.0.76.4.5";
    pub const LANR: &str = "1.2.276.0.76.4.16";
    pub const BSNR: &str = "1.2.276.0.76.4.17";
    /// The Arztbrief 2014/2015 document template.
    pub const ARZTBRIEF_TEMPLATE: &str = "1.2.276.0.76.10.1013";
}

/// What the document needs beyond the report.
pub struct Letter<'a> {
    /// The report's id: the document's id in the portal.
    pub id: &'a str,
    /// When it was sent.
    pub at: OffsetDateTime,
    pub practice: &'a Provider,
    pub physician: &'a Physician,
}

/// The CDA document, UTF-8.
pub fn earztbrief_xml(report: &TherapyReport, letter: &Letter) -> Vec<u8> {
    let mut xml = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2);
    // Writing to memory cannot fail.
    let _ = write_document(&mut xml, report, letter);
    xml.into_inner().into_inner()
}

type Xml = Writer<Cursor<Vec<u8>>>;

fn write_document(xml: &mut Xml, report: &TherapyReport, letter: &Letter) -> io::Result<()> {
    xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    xml.create_element("ClinicalDocument")
        .with_attribute(("xmlns", "urn:hl7-org:v3"))
        .write_inner_content(|x| {
            x.create_element("realmCode").with_attribute(("code", "DE")).write_empty()?;
            x.create_element("typeId")
                .with_attributes([
                    ("root", "2.16.840.1.113883.1.3"),
                    ("extension", "POCD_HD000040"),
                ])
                .write_empty()?;
            x.create_element("templateId")
                .with_attribute(("root", oid::ARZTBRIEF_TEMPLATE))
                .write_empty()?;
            // The portal's documents have no OID of their own yet: the practice's IK names the
            // sender, the report id the document.
            id(x, oid::IK, &format!("{}-{}", letter.practice.ik, letter.id))?;
            // LOINC 11488-4 "Consult note": a report to the physician who asked for it.
            x.create_element("code")
                .with_attributes([
                    ("code", "11488-4"),
                    ("codeSystem", "2.16.840.1.113883.6.1"),
                    ("displayName", "Consult note"),
                ])
                .write_empty()?;
            text(x, "title", title(report.kind))?;
            x.create_element("effectiveTime")
                .with_attribute(("value", timestamp(letter.at).as_str()))
                .write_empty()?;
            x.create_element("confidentialityCode")
                .with_attributes([("code", "N"), ("codeSystem", "2.16.840.1.113883.5.25")])
                .write_empty()?;
            x.create_element("languageCode").with_attribute(("code", "de-DE")).write_empty()?;
            record_target(x, report)?;
            author(x, letter)?;
            custodian(x, letter)?;
            recipient(x, letter)?;
            insurer(x, report)?;
            body(x, report)
        })?;
    Ok(())
}

pub(super) fn title(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::Therapiebericht => "Therapiebericht",
        ReportKind::Verordnungsbericht => "Verordnungsbericht",
        ReportKind::BesondereAnforderung => "Bericht auf besondere Anforderung",
    }
}

fn timestamp(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let format = format_description!("[year][month][day][hour][minute][second]+0000");
    utc.format(&format).unwrap_or_default()
}

fn day(date: time::Date) -> String {
    let format = format_description!("[year][month][day]");
    date.format(&format).unwrap_or_default()
}

/// `<name>…</name>` around what `inner` writes.
fn within(
    x: &mut Xml,
    name: &str,
    inner: impl FnOnce(&mut Xml) -> io::Result<()>,
) -> io::Result<()> {
    x.create_element(name).write_inner_content(inner).map(drop)
}

/// `<name>value</name>`, the value escaped.
fn text(x: &mut Xml, name: &str, value: &str) -> io::Result<()> {
    x.create_element(name).write_text_content(BytesText::new(value)).map(drop)
}

/// `<id root="…" extension="…"/>`: a number in the system an OID names.
fn id(x: &mut Xml, root: &str, extension: &str) -> io::Result<()> {
    let attributes = [("root", root), ("extension", extension)];
    x.create_element("id").with_attributes(attributes).write_empty().map(drop)
}

fn record_target(x: &mut Xml, report: &TherapyReport) -> io::Result<()> {
    let p = &report.patient;
    within(x, "recordTarget", |x| {
        within(x, "patientRole", |x| {
            id(x, oid::KVNR, p.kvnr.as_str())?;
            within(x, "patient", |x| {
                within(x, "name", |x| {
                    text(x, "given", &p.first_name)?;
                    text(x, "family", &p.last_name)
                })?;
                let birth = day(p.birth_date);
                x.create_element("birthTime")
                    .with_attribute(("value", birth.as_str()))
                    .write_empty()
                    .map(drop)
            })
        })
    })
}

fn organization(x: &mut Xml, element: &str, provider: &Provider) -> io::Result<()> {
    within(x, element, |x| {
        id(x, oid::IK, provider.ik.as_str())?;
        text(x, "name", &provider.name)?;
        address(x, &provider.address)
    })
}

fn address(x: &mut Xml, a: &portal_domain::Address) -> io::Result<()> {
    within(x, "addr", |x| {
        text(x, "streetAddressLine", &a.strasse)?;
        text(x, "postalCode", &a.plz)?;
        text(x, "city", &a.ort)
    })
}

fn author(x: &mut Xml, letter: &Letter) -> io::Result<()> {
    within(x, "author", |x| {
        let at = timestamp(letter.at);
        x.create_element("time").with_attribute(("value", at.as_str())).write_empty()?;
        within(x, "assignedAuthor", |x| {
            id(x, oid::IK, letter.practice.ik.as_str())?;
            organization(x, "representedOrganization", letter.practice)
        })
    })
}

fn custodian(x: &mut Xml, letter: &Letter) -> io::Result<()> {
    within(x, "custodian", |x| {
        within(x, "assignedCustodian", |x| {
            organization(x, "representedCustodianOrganization", letter.practice)
        })
    })
}

fn recipient(x: &mut Xml, letter: &Letter) -> io::Result<()> {
    let d = letter.physician;
    within(x, "informationRecipient", |x| {
        within(x, "intendedRecipient", |x| {
            id(x, oid::LANR, d.lanr.as_str())?;
            within(x, "informationRecipient", |x| text(x, "name", &d.name))?;
            within(x, "receivedOrganization", |x| {
                id(x, oid::BSNR, d.bsnr.as_str())?;
                address(x, &d.address)
            })
        })
    })
}

/// The patient's insurer (Kostenträger), by its IK.
fn insurer(x: &mut Xml, report: &TherapyReport) -> io::Result<()> {
    let participant = x.create_element("participant").with_attribute(("typeCode", "HLD"));
    participant
        .write_inner_content(|x| {
            let entity =
                x.create_element("associatedEntity").with_attribute(("classCode", "POLHOLD"));
            entity
                .write_inner_content(|x| id(x, oid::IK, report.patient.insurer_ik.as_str()))
                .map(drop)
        })
        .map(drop)
}

fn body(x: &mut Xml, report: &TherapyReport) -> io::Result<()> {
    let r = &report.prescription;
    let prescription = format!(
        "Verordnung vom {} (LANR {}, BSNR {}), Diagnosegruppe {}, ICD-10-GM {}; {}. Behandlung vom {} bis {}, {} Einheiten.",
        portal_domain::german_day(r.date),
        r.lanr,
        r.bsnr,
        r.diagnosis_group.as_str(),
        r.icd10.iter().map(|c| c.to_text()).collect::<Vec<_>>().join(", "),
        r.remedies
            .iter()
            .map(|m| format!("{} × {}", m.units, m.name))
            .collect::<Vec<_>>()
            .join(", "),
        portal_domain::german_day(report.treatment.first_date),
        portal_domain::german_day(report.treatment.last_date),
        report.treatment.units_done,
    );
    let recommendation = {
        let kind = match report.recommendation.kind {
            RecommendationKind::Continue => "Fortsetzung der Therapie",
            RecommendationKind::Pause => "Therapiepause",
            RecommendationKind::End => "Beendigung der Therapie",
            RecommendationKind::ReExamine => "Erneute ärztliche Untersuchung",
            RecommendationKind::OtherTherapy => "Andere Therapie",
        };
        match &report.recommendation.text {
            Some(text) => format!("{kind}: {}", text.as_str()),
            None => kind.to_string(),
        }
    };
    let mut sections: Vec<(&str, String)> = vec![
        ("Verordnung und Behandlung", prescription),
        ("Befund", report.findings.as_str().into()),
        ("Therapieziele", report.goals.as_str().into()),
        ("Durchgeführte Maßnahmen", report.measures.as_str().into()),
        ("Verlauf und Ergebnis", report.course.as_str().into()),
    ];
    if let Some(compliance) = &report.compliance {
        sections.push(("Mitarbeit", compliance.as_str().into()));
    }
    if let Some(prognosis) = &report.prognosis {
        sections.push(("Prognose", prognosis.as_str().into()));
    }
    sections.push(("Empfehlung", recommendation));
    within(x, "component", |x| {
        within(x, "structuredBody", |x| {
            for (heading, content) in &sections {
                within(x, "component", |x| {
                    within(x, "section", |x| {
                        text(x, "title", heading)?;
                        text(x, "text", content)
                    })
                })?;
            }
            Ok(())
        })
    })
}

#[cfg(test)]
mod tests {
    use portal_domain::therapy::{
        Bsnr, KimAddress, Lanr, PatientForm, PrescriptionForm, RecommendationForm, RemedyForm,
        ReportForm, TherapyArea, TreatmentForm,
    };
    use portal_domain::{Address, EmailAddress, Ik};
    use quick_xml::Reader;
    use quick_xml::events::Event;
    use time::macros::{date, datetime};

    use super::*;

    fn report(first_name: &str) -> TherapyReport {
        ReportForm {
            kind: Some(ReportKind::Therapiebericht),
            area: Some(TherapyArea::Logo),
            patient: PatientForm {
                first_name: first_name.into(),
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
            findings: "Vorverlagerung /k/ → /t/ <in Wörtern> & Sätzen.".into(),
            goals: "Korrekte Bildung von /k/.".into(),
            measures: "Minimalpaartherapie.".into(),
            course: "Deutliche Fortschritte.".into(),
            recommendation: RecommendationForm {
                kind: Some(RecommendationKind::Continue),
                text: String::new(),
            },
            ..ReportForm::default()
        }
        .complete(date!(2026 - 05 - 04))
        .unwrap()
    }

    fn practice() -> Provider {
        Provider::new(
            Ik::parse("401612342").unwrap(),
            "Logopädie Sprachraum Erfurt",
            EmailAddress::parse("praxis@sprachraum.example").unwrap(),
            "Anger 12",
            "99084",
            "Erfurt",
            "heilmittel",
        )
        .unwrap()
    }

    fn physician() -> Physician {
        Physician::new(
            Lanr::parse("123456601").unwrap(),
            Bsnr::parse("781234500").unwrap(),
            "Dr. med. Anna Schulz",
            Address::parse("Schillerstraße 4", "99084", "Erfurt").unwrap(),
            Some(KimAddress::parse("praxis.schulz@hno-erfurt.kim.telematik").unwrap()),
            true,
        )
        .unwrap()
    }

    #[test]
    fn the_header_names_patient_insurer_practice_and_physician_by_their_numbers() {
        let at = datetime!(2026-05-04 10:00 UTC);
        let letter =
            Letter { id: "01JDREPORT", at, practice: &practice(), physician: &physician() };
        let xml = String::from_utf8(earztbrief_xml(&report("Max"), &letter)).unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        for expected in [
            r#"<id root="1.2.276.0.76.4.8" extension="A123456780"/>"#,
            r#"<birthTime value="20190211"/>"#,
            r#"<id root="1.2.276.0.76.4.5" extension="107299005"/>"#,
            r#"<id root="1.2.276.0.76.4.16" extension="123456601"/>"#,
            r#"<id root="1.2.276.0.76.4.17" extension="781234500"/>"#,
            r#"<templateId root="1.2.276.0.76.10.1013"/>"#,
            r#"<effectiveTime value="20260504100000+0000"/>"#,
            "<title>Therapiebericht</title>",
        ] {
            assert!(xml.contains(expected), "{expected} in\n{xml}");
        }
    }

    #[test]
    fn text_with_markup_characters_stays_text() {
        let at = datetime!(2026-05-04 10:00 UTC);
        let letter =
            Letter { id: "01JDREPORT", at, practice: &practice(), physician: &physician() };
        let xml = earztbrief_xml(&report("Anna <Lena> & \"Co\""), &letter);
        let mut reader = Reader::from_reader(xml.as_slice());
        // The reader hands text and entity references (`&lt;`) over as events of their own:
        // each element's text is the run of them, unescaped.
        let (mut texts, mut run) = (Vec::new(), String::new());
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Text(t) => run.push_str(&t.decode().unwrap()),
                Event::GeneralRef(r) => run.push_str(&format!("&{};", r.decode().unwrap())),
                event => {
                    if !run.is_empty() {
                        texts.push(quick_xml::escape::unescape(&run).unwrap().into_owned());
                        run.clear();
                    }
                    if matches!(event, Event::Eof) {
                        break;
                    }
                }
            }
        }
        assert!(texts.iter().any(|t| t == "Anna <Lena> & \"Co\""), "{texts:?}");
        assert!(texts.iter().any(|t| t == "Vorverlagerung /k/ → /t/ <in Wörtern> & Sätzen."));
    }
}
