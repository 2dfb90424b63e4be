//! The rendered document checked with qpdf and poppler (apt packages `qpdf`, `poppler-utils`;
//! `tools/setup --test` installs them): a missing tool fails the test, it never skips.

use std::path::Path;
use std::process::Command;

use portal_core::ReportRenderer;
use portal_core::model::{ReportDocument, ReportId};
use portal_domain::therapy::{
    Bsnr, KimAddress, Lanr, PatientForm, Physician, PrescriptionForm, RecommendationForm,
    RecommendationKind, RemedyForm, ReportForm, ReportKind, Setting, SpeechForm, TherapyArea,
    TherapyReport, TreatmentForm,
};
use portal_domain::{Address, EmailAddress, Ik, Provider};
use time::macros::date;

use super::PdfRenderer;

const ID: &str = "01JV5T0000000000000000RPRT";

/// About 3,900 characters over many lines, with umlauts, ß and a word longer than a line.
fn long_text() -> String {
    let sentence = "Die Größe der Übungsschritte wurde wöchentlich angepasst; Äußerungen in \
                    Spontansprache gelangen zunehmend flüssiger, Störungen des Redeflusses traten \
                    seltener auf. ";
    let mut text = String::from("Verlauf:\n\n");
    let mut n = 0;
    while text.chars().count() + sentence.chars().count() < 3700 {
        text.push_str(sentence);
        n += 1;
        if n % 3 == 0 {
            text.push('\n');
        }
    }
    text.push_str("\nDokumentation unter ");
    text.push_str(&"Sprachentwicklungsverzögerungsprotokoll".repeat(5));
    text.push_str("\nEnde des Verlaufs: Straße, Maß, Fuß – alles gut.");
    assert!(text.chars().count() <= 4000);
    text
}

fn form(kind: ReportKind) -> ReportForm {
    ReportForm {
        kind: Some(kind),
        area: Some(TherapyArea::Logo),
        patient: PatientForm {
            first_name: "Jürgen".into(),
            last_name: "Müller-Weiß".into(),
            birth_date: "2019-02-11".into(),
            kvnr: "A123456780".into(),
            insurer_ik: "107299005".into(),
        },
        prescription: PrescriptionForm {
            date: "2026-02-02".into(),
            lanr: "123456601".into(),
            bsnr: "781234500".into(),
            diagnosis_group: "SP1".into(),
            icd10: vec!["F80.1 G".into(), "R47.0 V".into()],
            remedies: vec![
                RemedyForm { name: "Sprachtherapie 45 Minuten".into(), units: Some(10) },
                RemedyForm { name: "Stimmtherapie 30 Minuten".into(), units: Some(1) },
            ],
        },
        treatment: TreatmentForm {
            first_date: "2026-02-09".into(),
            last_date: "2026-04-27".into(),
            units_done: Some(10),
        },
        findings: "Phonologische Störung mit Vorverlagerung /k/ → /t/.".into(),
        goals: "Korrekte Bildung von /k/ und /g/ in der Spontansprache.".into(),
        measures: "Minimalpaartherapie,\tHörtraining.".into(),
        course: long_text(),
        recommendation: RecommendationForm {
            kind: Some(RecommendationKind::Continue),
            text: "Weiter mit 2 Einheiten je Woche; Elterngespräch empfohlen.".into(),
        },
        speech: SpeechForm {
            setting: Some(Setting::Group),
            sessions_per_week: Some(2),
            home_visit: Some(false),
        },
        compliance: "Gute Mitarbeit, Übungen zu Hause regelmäßig.".into(),
        prognosis: "Günstig bei Fortsetzung.".into(),
    }
}

fn report(kind: ReportKind) -> TherapyReport {
    form(kind).complete(date!(2026 - 05 - 04)).unwrap()
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

fn render(report: &TherapyReport, corrects: Option<&ReportId>) -> Vec<u8> {
    let id = ReportId::parse(ID).unwrap();
    let (practice, physician) = (practice(), physician());
    let document = ReportDocument {
        id: &id,
        report,
        practice: &practice,
        physician: &physician,
        insurer: "AOK PLUS",
        date: date!(2026 - 05 - 04),
        corrects,
    };
    PdfRenderer::new().render(&document).unwrap()
}

/// Runs an installed tool and returns its standard output; fails with what to install if the
/// tool is missing, and with its output if it says the file is bad.
fn run(tool: &str, args: &[&str], file: &Path) -> String {
    let output = Command::new(tool).args(args).arg(file).output().unwrap_or_else(|e| {
        panic!(
            "{tool} could not be started ({e}): install the Debian packages qpdf and \
             poppler-utils (tools/setup --test does)"
        )
    });
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{tool} {args:?} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn text_of(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bericht.pdf");
    std::fs::write(&file, pdf).unwrap();
    run("pdftotext", &["-enc", "UTF-8", "-layout"], &file);
    std::fs::read_to_string(dir.path().join("bericht.txt")).unwrap()
}

#[test]
fn a_complete_report_is_a_pdf_a_2b_with_embedded_fonts_and_the_patient_block() {
    let pdf = render(&report(ReportKind::Therapiebericht), None);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bericht.pdf");
    std::fs::write(&file, &pdf).unwrap();

    run("qpdf", &["--check"], &file);

    let fonts = run("pdffonts", &[], &file);
    let rows: Vec<&str> = fonts.lines().skip(2).filter(|l| !l.trim().is_empty()).collect();
    assert!(rows.len() >= 2, "regular and bold in\n{fonts}");
    for row in &rows {
        let columns: Vec<&str> = row.split_whitespace().collect();
        // … emb sub uni object ID: `emb` is the fifth column from the end.
        assert_eq!(columns[columns.len() - 5], "yes", "embedded: {row}");
        assert!(row.contains("LiberationSans"), "{row}");
    }

    let text = text_of(&pdf);
    for expected in [
        "eTherapiebericht über AOK PLUS",
        "Therapiebericht",
        "Müller-Weiß, Jürgen",
        "11.02.2019",
        "A123456780",
        "107299005",
        "IK 401612342",
        "LANR 123456601 · BSNR 781234500",
        "Logopädie Sprachraum Erfurt",
        "Dr. med. Anna Schulz",
        "F80.1 G, R47.0 V",
        "Sprachtherapie 45 Minuten – 10 Einheiten",
        "Stimmtherapie 30 Minuten – 1 Einheit",
        "09.02.2026 bis 27.04.2026",
        "Durchgeführte Maßnahmen",
        "Verlauf und Ergebnis",
        "Äußerungen in",
        "Straße, Maß, Fuß – alles gut.",
        "Fortsetzung der Therapie",
        "Elterngespräch empfohlen.",
        "/k/ → /t/",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    assert!(!text.contains("Korrektur"));

    let info = run("pdfinfo", &[], &file);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("a page count in\n{info}"));
    assert!(pages >= 2, "the long text runs onto a second page: {pages}");
    for page in 1..=pages {
        let footer = format!("Bericht {ID} · Seite {page} von {pages} · 04.05.2026");
        assert!(text.contains(&footer), "{footer:?} in\n{text}");
    }
    assert!(text.contains("(Fortsetzung)"), "a running head from page 2 on");
    assert!(info.contains("Title:           Therapiebericht"), "{info}");
    assert!(info.contains("Tagged:          yes"), "{info}");
    assert!(info.lines().any(|l| l.starts_with("PDF version:") && l.ends_with(" 1.7")), "{info}");
    assert!(info.contains("CreationDate:    Mon May  4 00:00:00 2026"), "{info}");

    let xmp = run("pdfinfo", &["-meta"], &file);
    let part = xmp.contains("<pdfaid:part>2</pdfaid:part>") || xmp.contains("pdfaid:part=\"2\"");
    let conformance = xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>")
        || xmp.contains("pdfaid:conformance=\"B\"");
    assert!(part && conformance, "PDF/A-2b in the XMP:\n{xmp}");
    assert!(xmp.contains("de-DE"), "{xmp}");
}

#[test]
fn the_same_document_gives_the_same_bytes() {
    let report = report(ReportKind::Therapiebericht);
    let first = render(&report, None);
    if let Ok(path) = std::env::var("PORTAL_DOCUMENT_SAMPLE") {
        std::fs::write(path, &first).unwrap();
    }
    assert_eq!(first, render(&report, None));
    assert!(first.starts_with(b"%PDF-1.7"));
}

#[test]
fn speech_therapys_reports_show_their_own_contents() {
    let text = text_of(&render(&report(ReportKind::Verordnungsbericht), None));
    for expected in ["Verordnungsbericht", "Gruppentherapie", "2 × wöchentlich", "nein"] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    assert!(!text.contains("Mitarbeit"));

    let corrected = ReportId::parse("01JV5S00000000000000000000").unwrap();
    let pdf = render(&report(ReportKind::BesondereAnforderung), Some(&corrected));
    let text = text_of(&pdf);
    for expected in [
        "Bericht auf besondere Anforderung",
        "Mitarbeit",
        "Übungen zu Hause regelmäßig.",
        "Prognose",
        "Günstig bei Fortsetzung.",
        &format!("Korrektur des Berichts {corrected}"),
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    assert!(!text.contains("Gruppentherapie"));
}

#[test]
fn a_character_the_font_lacks_becomes_a_question_mark_and_the_document_stays_valid() {
    let mut form = form(ReportKind::Therapiebericht);
    form.goals = "Sprechen ohne Angst 🙂 und 中文.".into();
    let pdf = render(&form.complete(date!(2026 - 05 - 04)).unwrap(), None);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bericht.pdf");
    std::fs::write(&file, &pdf).unwrap();
    run("qpdf", &["--check"], &file);
    assert!(text_of(&pdf).contains("Sprechen ohne Angst ? und ??."));
}

/// `cargo test --release -p portal-document -- --ignored --nocapture render_time`
#[test]
#[ignore = "a measurement, not a check"]
fn render_time() {
    let report = report(ReportKind::Therapiebericht);
    let renderer = PdfRenderer::new();
    let id = ReportId::parse(ID).unwrap();
    let (practice, physician) = (practice(), physician());
    let document = ReportDocument {
        id: &id,
        report: &report,
        practice: &practice,
        physician: &physician,
        insurer: "AOK PLUS",
        date: date!(2026 - 05 - 04),
        corrects: None,
    };
    let start = std::time::Instant::now();
    let rounds = 50;
    let mut size = 0;
    for _ in 0..rounds {
        size = renderer.render(&document).unwrap().len();
    }
    let short = {
        let mut form = form(ReportKind::Therapiebericht);
        form.course = "Deutliche Fortschritte.".into();
        form.complete(date!(2026 - 05 - 04)).unwrap()
    };
    let short_size = renderer.render(&ReportDocument { report: &short, ..document }).unwrap().len();
    println!(
        "{:?} per render, {size} bytes (long text), {short_size} bytes (one page)",
        start.elapsed() / rounds
    );
}
