//! The report laid out on A4: first every line measured and placed on its page ([`lay_out`]),
//! then drawn with its place in the tag tree ([`draw`]).

use std::num::NonZeroU16;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, Node, SpanTag, Tag, TagGroup, TagKind, TagTree,
};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use portal_core::model::ReportDocument;
use portal_domain::german_day;
use portal_domain::therapy::{RecommendationKind, ReportKind, Setting, TherapyArea};

/// A4 in points.
pub(crate) const PAGE_WIDTH: f32 = 595.276;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
/// DIN 5008: 25 mm on the left, 20 mm on the right; 20 mm at the top.
const LEFT: f32 = 70.866;
const RIGHT: f32 = PAGE_WIDTH - 56.693;
const WIDTH: f32 = RIGHT - LEFT;
const TOP: f32 = 56.693;
/// The last baseline of the text; the footer sits below.
const BOTTOM: f32 = PAGE_HEIGHT - 70.0;
const FOOTER: f32 = PAGE_HEIGHT - 36.0;

/// Body text.
const SIZE: f32 = 10.0;
const LEADING: f32 = 13.5;
/// Rows of label and value: where the value starts.
const LABEL_WIDTH: f32 = 170.0;

const BLACK: Ink = Ink(0x00);
/// Labels, the service line and the footer: still dark enough to read and print (about 8:1).
const GRAY: Ink = Ink(0x4d);

/// A shade of gray.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ink(u8);

impl Ink {
    fn color(self) -> rgb::Color {
        rgb::Color::new(self.0, self.0, self.0)
    }
}

/// One font, for drawing (krilla) and for shaping and measuring (rustybuzz).
pub(crate) struct Face {
    pub font: Font,
    pub shaper: rustybuzz::Face<'static>,
}

pub(crate) struct Fonts {
    pub regular: Face,
    pub bold: Face,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Regular,
    Bold,
}

impl Fonts {
    fn face(&self, style: Style) -> &Face {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
        }
    }
}

impl Face {
    /// What the font can show: a character it lacks becomes `?` (PDF/A forbids the empty
    /// glyph), a tab four spaces, other control characters go.
    fn printable(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '\t' => out.push_str("    "),
                c if c.is_control() => {}
                c if self.shaper.glyph_index(c).is_some() => out.push(c),
                _ => out.push('?'),
            }
        }
        out
    }

    /// The glyphs of one line, their advances per em (kerning included).
    fn shape(&self, text: &str) -> Vec<KrillaGlyph> {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.set_direction(rustybuzz::Direction::LeftToRight);
        buffer.guess_segment_properties();
        let output = rustybuzz::shape(&self.shaper, &[], buffer);
        let per_em = self.shaper.units_per_em() as f32;
        let infos = output.glyph_infos();
        let positions = output.glyph_positions();
        (0..infos.len())
            .map(|i| {
                let start = infos[i].cluster as usize;
                // A cluster runs to the next glyph's cluster (left to right only).
                let end = infos[i + 1..]
                    .iter()
                    .map(|info| info.cluster as usize)
                    .find(|&cluster| cluster != start)
                    .unwrap_or(text.len());
                let p = positions[i];
                KrillaGlyph::new(
                    GlyphId::new(infos[i].glyph_id),
                    p.x_advance as f32 / per_em,
                    p.x_offset as f32 / per_em,
                    p.y_offset as f32 / per_em,
                    p.y_advance as f32 / per_em,
                    start..end,
                    None,
                )
            })
            .collect()
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        self.shape(text).iter().map(|g| g.x_advance).sum::<f32>() * size
    }

    /// `text` (one paragraph, printable) broken into lines no wider than `width`: at spaces,
    /// and a word longer than a line between characters.
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let space = self.width(" ", size);
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut line_width = 0.0;
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            let word_width = self.width(word, size);
            if !line.is_empty() && line_width + space + word_width <= width {
                line.push(' ');
                line.push_str(word);
                line_width += space + word_width;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if word_width <= width {
                line = word.to_string();
                line_width = word_width;
                continue;
            }
            let mut pieces = self.break_word(word, size, width);
            line = pieces.pop().unwrap_or_default();
            line_width = self.width(&line, size);
            lines.extend(pieces);
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }

    fn break_word(&self, word: &str, size: f32, width: f32) -> Vec<String> {
        let mut pieces = Vec::new();
        let mut piece = String::new();
        for c in word.chars() {
            piece.push(c);
            if piece.chars().count() > 1 && self.width(&piece, size) > width {
                piece.pop();
                pieces.push(std::mem::take(&mut piece));
                piece.push(c);
            }
        }
        pieces.push(piece);
        pieces
    }
}

/// A line of text at its baseline.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    x: f32,
    y: f32,
    style: Style,
    size: f32,
    color: Ink,
    text: String,
}

/// Where a run belongs: to a group of the tag tree (by index), or outside it.
#[derive(Debug, Clone, Copy)]
enum Mark {
    Content(usize),
    Artifact(ArtifactType),
}

#[derive(Debug, Default)]
pub(crate) struct Page {
    runs: Vec<(Run, Mark)>,
    /// Horizontal hairlines: x from, x to, y.
    rules: Vec<(f32, f32, f32)>,
}

pub(crate) struct Pages {
    pages: Vec<Page>,
    /// The tag tree's groups in reading order.
    groups: Vec<TagKind>,
}

impl Pages {
    pub(crate) fn len(&self) -> usize {
        self.pages.len()
    }
}

struct Layout<'f> {
    fonts: &'f Fonts,
    pages: Vec<Page>,
    groups: Vec<TagKind>,
    /// The baseline of the last line on the current page (the top before any).
    y: f32,
    /// Drawn on top of each following page: which report, for whom.
    running_head: String,
}

impl<'f> Layout<'f> {
    fn new(fonts: &'f Fonts, running_head: String) -> Layout<'f> {
        Layout { fonts, pages: vec![Page::default()], groups: Vec::new(), y: TOP, running_head }
    }

    fn page(&mut self) -> &mut Page {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = TOP;
        let head = self.fonts.regular.printable(&self.running_head);
        let mut head = self.fonts.regular.wrap(&head, 8.0, WIDTH);
        head.truncate(1);
        for text in head {
            let run = Run { x: LEFT, y: TOP, style: Style::Regular, size: 8.0, color: GRAY, text };
            self.page().runs.push((run, Mark::Artifact(ArtifactType::Header)));
        }
        self.page().rules.push((LEFT, RIGHT, TOP + 4.0));
        self.y = TOP + 6.0;
    }

    /// Room for `height` more below the last line, on a new page if need be.
    fn room(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > TOP + 20.0 {
            self.new_page();
        }
    }

    fn gap(&mut self, height: f32) {
        self.y += height;
    }

    fn group(&mut self, kind: impl Into<TagKind>) -> usize {
        self.groups.push(kind.into());
        self.groups.len() - 1
    }

    /// One line at `x` below the last, on the next page if it does not fit.
    fn line(&mut self, x: f32, style: Style, size: f32, color: Ink, text: String, g: usize) {
        let leading = size * LEADING / SIZE;
        self.room(leading);
        self.y += leading;
        if text.is_empty() {
            return;
        }
        let run = Run { x, y: self.y, style, size, color, text };
        self.page().runs.push((run, Mark::Content(g)));
    }

    /// A paragraph of its own, wrapped to the text width.
    fn paragraph(&mut self, kind: impl Into<TagKind>, style: Style, size: f32, text: &str) {
        let g = self.group(kind);
        let face = self.fonts.face(style);
        let lines = face.wrap(&face.printable(text), size, WIDTH);
        for text in lines {
            self.line(LEFT, style, size, BLACK, text, g);
        }
    }

    /// A section heading, kept with at least two lines of what follows.
    fn heading(&mut self, text: &str) {
        self.room(10.0 + 12.0 * LEADING / SIZE + 2.0 * LEADING);
        self.gap(10.0);
        self.paragraph(Tag::Hn(level(2), None), Style::Bold, 12.0, text);
        self.gap(2.0);
    }

    /// Free text: paragraphs at its line breaks, each wrapped.
    fn free_text(&mut self, text: &str) {
        for (i, paragraph) in text.split('\n').enumerate() {
            if paragraph.trim().is_empty() {
                self.gap(LEADING / 2.0);
                continue;
            }
            if i > 0 {
                self.gap(3.0);
            }
            self.paragraph(Tag::P, Style::Regular, SIZE, paragraph);
        }
    }

    /// Rows of label and value; a long value wraps beside its label.
    fn rows(&mut self, rows: &[(&str, String)]) {
        let face = &self.fonts.regular;
        for (label, value) in rows {
            let label = face.wrap(&face.printable(label), SIZE, LABEL_WIDTH - 8.0);
            let value = face.wrap(&face.printable(value), SIZE, WIDTH - LABEL_WIDTH);
            let lines = label.len().max(value.len());
            self.room(lines as f32 * LEADING);
            let g = self.group(Tag::P);
            let top = self.y;
            for text in label {
                self.line(LEFT, Style::Regular, SIZE, GRAY, text, g);
            }
            let below_label = self.y;
            self.y = top;
            for text in value {
                self.line(LEFT + LABEL_WIDTH, Style::Regular, SIZE, BLACK, text, g);
            }
            self.y = self.y.max(below_label);
        }
    }

    /// Two blocks side by side (sender and recipient), each with a small heading.
    fn columns(&mut self, blocks: [(&str, Vec<String>); 2]) {
        let half = WIDTH / 2.0;
        let wrapped: Vec<(String, Vec<String>)> = blocks
            .iter()
            .map(|(heading, lines)| {
                let face = &self.fonts.regular;
                let lines = lines
                    .iter()
                    .flat_map(|l| face.wrap(&face.printable(l), SIZE, half - 12.0))
                    .collect();
                (self.fonts.bold.printable(heading), lines)
            })
            .collect();
        let tallest = wrapped.iter().map(|(_, lines)| lines.len() + 1).max().unwrap_or(1);
        self.room(tallest as f32 * LEADING);
        let top = self.y;
        let mut bottom = top;
        for (i, (heading, lines)) in wrapped.into_iter().enumerate() {
            let x = LEFT + i as f32 * half;
            self.y = top;
            let g = self.group(Tag::Hn(level(2), None));
            self.line(x, Style::Bold, SIZE, BLACK, heading, g);
            let g = self.group(Tag::P);
            for text in lines {
                self.line(x, Style::Regular, SIZE, BLACK, text, g);
            }
            bottom = bottom.max(self.y);
        }
        self.y = bottom;
    }

    /// The footer on every page, now that their number is known.
    fn finish(mut self, footer: impl Fn(usize, usize) -> String) -> Pages {
        let count = self.pages.len();
        let face = &self.fonts.regular;
        for (i, page) in self.pages.iter_mut().enumerate() {
            let text = face.printable(&footer(i + 1, count));
            let run =
                Run { x: LEFT, y: FOOTER, style: Style::Regular, size: 8.0, color: GRAY, text };
            page.runs.push((run, Mark::Artifact(ArtifactType::Footer)));
            page.rules.push((LEFT, RIGHT, FOOTER - 11.0));
        }
        Pages { pages: self.pages, groups: self.groups }
    }
}

fn level(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).unwrap_or(NonZeroU16::MIN)
}

pub(crate) fn title(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::Therapiebericht => "Therapiebericht",
        ReportKind::Verordnungsbericht => "Verordnungsbericht",
        ReportKind::BesondereAnforderung => "Bericht auf besondere Anforderung",
    }
}

fn area(area: TherapyArea) -> &'static str {
    match area {
        TherapyArea::Physio => "Physiotherapie",
        TherapyArea::Ergo => "Ergotherapie",
        TherapyArea::Logo => "Stimm-, Sprech-, Sprach- und Schlucktherapie",
        TherapyArea::Podo => "Podologische Therapie",
        TherapyArea::Ernaehrung => "Ernährungstherapie",
    }
}

/// As the eArztbrief's XML says it.
fn recommendation(kind: RecommendationKind) -> &'static str {
    match kind {
        RecommendationKind::Continue => "Fortsetzung der Therapie",
        RecommendationKind::Pause => "Therapiepause",
        RecommendationKind::End => "Beendigung der Therapie",
        RecommendationKind::ReExamine => "Erneute ärztliche Untersuchung",
        RecommendationKind::OtherTherapy => "Andere Therapie",
    }
}

/// Every line of the report on its page.
pub(crate) fn lay_out(fonts: &Fonts, document: &ReportDocument) -> Pages {
    let report = document.report;
    let patient = &report.patient;
    let name = format!("{}, {}", patient.last_name, patient.first_name);
    let born = german_day(patient.birth_date);
    let kind = title(report.kind);
    let mut l = Layout::new(fonts, format!("{kind} für {name}, geb. {born} (Fortsetzung)"));

    let g = l.group(Tag::P);
    let service = fonts.regular.printable(&format!("eTherapiebericht über {}", document.insurer));
    for text in fonts.regular.wrap(&service, 9.0, WIDTH) {
        l.line(LEFT, Style::Regular, 9.0, GRAY, text, g);
    }
    l.gap(6.0);
    l.paragraph(Tag::Hn(level(1), Some(kind.to_string())), Style::Bold, 16.0, kind);
    if let Some(corrected) = document.corrects {
        l.gap(2.0);
        l.paragraph(Tag::P, Style::Bold, SIZE, &format!("Korrektur des Berichts {corrected}"));
    }
    l.gap(14.0);

    let practice = document.practice;
    let physician = document.physician;
    l.columns([
        (
            "Absender (Praxis)",
            vec![
                practice.name.clone(),
                practice.address.strasse.clone(),
                format!("{} {}", practice.address.plz, practice.address.ort),
                format!("IK {}", practice.ik),
            ],
        ),
        (
            "Empfänger",
            vec![
                physician.name.clone(),
                physician.address.strasse.clone(),
                format!("{} {}", physician.address.plz, physician.address.ort),
                format!("LANR {} · BSNR {}", physician.lanr, physician.bsnr),
            ],
        ),
    ]);

    l.heading("Patientin / Patient");
    l.rows(&[
        ("Name, Vorname", name.clone()),
        ("Geburtsdatum", born.clone()),
        ("Versichertennummer (KVNR)", patient.kvnr.as_str().to_string()),
        ("IK des Kostenträgers", patient.insurer_ik.as_str().to_string()),
    ]);

    let p = &report.prescription;
    l.heading("Verordnung");
    let mut rows = vec![
        ("Ausgestellt am", german_day(p.date)),
        ("Verordnet von", format!("LANR {} · BSNR {}", p.lanr, p.bsnr)),
        ("Heilmittelbereich", area(report.area).to_string()),
        ("Diagnosegruppe", p.diagnosis_group.as_str().to_string()),
        ("ICD-10-GM", p.icd10.iter().map(|code| code.to_text()).collect::<Vec<_>>().join(", ")),
    ];
    for (i, remedy) in p.remedies.iter().enumerate() {
        let label = if i == 0 { "Heilmittel" } else { "" };
        let units = if remedy.units == 1 { "Einheit" } else { "Einheiten" };
        rows.push((label, format!("{} – {} {units}", remedy.name, remedy.units)));
    }
    l.rows(&rows);

    let t = &report.treatment;
    l.heading("Behandlung");
    l.rows(&[
        ("Zeitraum", format!("{} bis {}", german_day(t.first_date), german_day(t.last_date))),
        ("Durchgeführte Einheiten", t.units_done.to_string()),
    ]);

    for (heading, text) in [
        ("Befund", &report.findings),
        ("Therapieziele", &report.goals),
        ("Durchgeführte Maßnahmen", &report.measures),
        ("Verlauf und Ergebnis", &report.course),
    ] {
        l.heading(heading);
        l.free_text(text.as_str());
    }
    if let Some(compliance) = &report.compliance {
        l.heading("Mitarbeit");
        l.free_text(compliance.as_str());
    }
    if let Some(prognosis) = &report.prognosis {
        l.heading("Prognose");
        l.free_text(prognosis.as_str());
    }

    l.heading("Empfehlung");
    l.paragraph(Tag::P, Style::Bold, SIZE, recommendation(report.recommendation.kind));
    if let Some(speech) = &report.speech {
        let setting = match speech.setting {
            Setting::Single => "Einzeltherapie",
            Setting::Group => "Gruppentherapie",
        };
        l.gap(2.0);
        l.rows(&[
            ("Therapieform", setting.to_string()),
            ("Frequenz", format!("{} × wöchentlich", speech.sessions_per_week)),
            ("Hausbesuch", if speech.home_visit { "ja" } else { "nein" }.to_string()),
        ]);
    }
    if let Some(text) = &report.recommendation.text {
        l.gap(2.0);
        l.free_text(text.as_str());
    }

    let (id, day) = (document.id, german_day(document.date));
    l.finish(|page, count| format!("Bericht {id} · Seite {page} von {count} · {day}"))
}

/// Draws the pages into `pdf` and returns the tag tree of what was drawn.
pub(crate) fn draw(pdf: &mut Document, layout: &Pages, fonts: &Fonts) -> TagTree {
    let mut leaves: Vec<Vec<Identifier>> = vec![Vec::new(); layout.groups.len()];
    for page in &layout.pages {
        // A4 is a valid page size.
        let Some(settings) = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT) else {
            continue;
        };
        let mut pdf_page = pdf.start_page_with(settings);
        let mut surface = pdf_page.surface();
        for (run, mark) in &page.runs {
            let tag = match mark {
                Mark::Content(_) => ContentTag::Span(SpanTag::empty()),
                Mark::Artifact(kind) => ContentTag::Artifact(Artifact::with_kind(*kind)),
            };
            let id = surface.start_tagged(tag);
            draw_run(&mut surface, fonts, run);
            surface.end_tagged();
            if let Mark::Content(group) = mark {
                leaves[*group].push(id);
            }
        }
        for &(from, to, y) in &page.rules {
            surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(ArtifactType::Layout)));
            draw_rule(&mut surface, from, to, y);
            surface.end_tagged();
        }
        surface.finish();
        pdf_page.finish();
    }
    let mut tree = TagTree::new().with_lang(Some("de-DE".into()));
    for (kind, ids) in layout.groups.iter().zip(leaves) {
        if !ids.is_empty() {
            let children = ids.into_iter().map(Node::from).collect();
            tree.push(TagGroup::with_children(kind.clone(), children));
        }
    }
    tree
}

fn draw_run(surface: &mut Surface, fonts: &Fonts, run: &Run) {
    let face = fonts.face(run.style);
    surface.set_fill(Some(Fill {
        paint: run.color.color().into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }));
    let glyphs = face.shape(&run.text);
    let start = Point::from_xy(run.x, run.y);
    surface.draw_glyphs(start, &glyphs, face.font.clone(), &run.text, run.size, false);
}

fn draw_rule(surface: &mut Surface, from: f32, to: f32, y: f32) {
    let mut path = PathBuilder::new();
    path.move_to(from, y);
    path.line_to(to, y);
    let Some(path) = path.finish() else { return };
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke {
        paint: GRAY.color().into(),
        width: 0.5,
        ..Stroke::default()
    }));
    surface.draw_path(&path);
    surface.set_stroke(None);
}
