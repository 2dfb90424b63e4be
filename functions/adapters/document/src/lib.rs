//! The eTherapiebericht's PDF: the report on A4 pages in German, as a PDF/A-2b document (fonts
//! embedded as subsets, XMP metadata, an sRGB output intent) that the physician's system files
//! and prints as it is.
//!
//! The layout is computed first (lines measured with the font's own shaping, kerning included,
//! and broken into pages), then drawn: so the footer knows the number of pages. Nothing depends
//! on the clock or on chance: the same [`ReportDocument`] gives the same bytes, so the preview
//! of a draft is the document that is sent.
//!
//! Fonts: Liberation Sans 2.1.5 Regular and Bold (SIL Open Font License 1.1, see
//! `fonts/OFL.txt`), compiled into the binary.

mod layout;

use krilla::Document;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::metadata::{DateTime, Metadata};
use krilla::pdf::{Pdf, PdfDocument};
use krilla::text::Font;
use portal_core::model::ReportDocument;
use portal_core::{PdfFacts, PdfRefused, RenderError, ReportRenderer};

use crate::layout::{Face, Fonts};

const REGULAR: &[u8] = include_bytes!("../fonts/LiberationSans-Regular.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/LiberationSans-Bold.ttf");

/// Renders reports with the compiled-in fonts. Cheap to share: make one and keep it.
pub struct PdfRenderer {
    fonts: Fonts,
}

impl PdfRenderer {
    pub fn new() -> PdfRenderer {
        PdfRenderer { fonts: Fonts { regular: face(REGULAR), bold: face(BOLD) } }
    }
}

impl Default for PdfRenderer {
    fn default() -> PdfRenderer {
        PdfRenderer::new()
    }
}

/// The compiled-in font files are known to parse (the tests render with both).
fn face(data: &'static [u8]) -> Face {
    Face {
        font: Font::new(data.into(), 0).expect("the compiled-in font parses"),
        shaper: rustybuzz::Face::from_slice(data, 0).expect("the compiled-in font parses"),
    }
}

impl ReportRenderer for PdfRenderer {
    #[tracing::instrument(level = "debug", name = "document.render", skip_all)]
    fn render(&self, document: &ReportDocument) -> Result<Vec<u8>, RenderError> {
        let pages = layout::lay_out(&self.fonts, document);
        let configuration = ConfigurationBuilder::new()
            .with_archival_validator(Archival::A2_B)
            .finish()
            .map_err(|e| RenderError(format!("PDF/A-2b configuration: {e:?}").into()))?;
        let settings = krilla::SerializeSettings {
            configuration,
            enable_tagging: true,
            ..krilla::SerializeSettings::default()
        };
        let mut pdf = Document::new_with(settings);
        let tags = layout::draw(&mut pdf, &pages, &self.fonts);
        pdf.set_tag_tree(tags);
        pdf.set_metadata(metadata(document));
        let bytes = pdf.finish().map_err(|e| RenderError(e.to_string().into()))?;
        tracing::debug!(pages = pages.len(), bytes = bytes.len(), "rendered");
        Ok(bytes)
    }

    #[tracing::instrument(level = "debug", name = "document.inspect", skip_all)]
    fn inspect_pdf(&self, pdf: &[u8]) -> Result<PdfFacts, PdfRefused> {
        let (_, pages) = inspect(pdf)?;
        Ok(PdfFacts { pages: u32::try_from(pages).unwrap_or(u32::MAX) })
    }

    #[tracing::instrument(level = "debug", name = "document.join", skip_all)]
    fn join_pdfs(&self, documents: &[&[u8]]) -> Result<Vec<u8>, RenderError> {
        let configuration = ConfigurationBuilder::new()
            .with_version(krilla::configure::PdfVersion::Pdf20)
            .finish()
            .map_err(|e| RenderError(format!("PDF configuration: {e:?}").into()))?;
        let settings = krilla::SerializeSettings { configuration, ..Default::default() };
        let mut pdf = Document::new_with(settings);
        for bytes in documents {
            let (parsed, count) =
                inspect(bytes).map_err(|e| RenderError(format!("a joined PDF: {e:?}").into()))?;
            let indices: Vec<usize> = (0..count).collect();
            pdf.embed_pdf_pages(&PdfDocument::new(parsed), &indices);
        }
        pdf.finish().map_err(|e| RenderError(format!("{e:?}").into()))
    }
}

/// A probe password no real document uses: a PDF that opens without a password but not with
/// this one is encrypted (with an empty user password, which hayro opens silently).
const PROBE_PASSWORD: &str = "\u{1}portal: not the password";

/// Parses an uploaded PDF whole (cross-reference, page tree) and counts its pages.
fn inspect(bytes: &[u8]) -> Result<(std::sync::Arc<Pdf>, usize), PdfRefused> {
    use hayro_syntax::LoadPdfError;
    let data = std::sync::Arc::new(bytes.to_vec());
    let pdf = match Pdf::new(data.clone()) {
        Ok(pdf) => pdf,
        Err(LoadPdfError::Decryption(_)) => return Err(PdfRefused::Encrypted),
        Err(LoadPdfError::Invalid) => return Err(PdfRefused::Invalid),
    };
    if let Err(LoadPdfError::Decryption(_)) = Pdf::new_with_password(data, PROBE_PASSWORD) {
        return Err(PdfRefused::Encrypted);
    }
    let pages = pdf.pages().len();
    if pages == 0 {
        return Err(PdfRefused::Invalid);
    }
    Ok((std::sync::Arc::new(pdf), pages))
}

/// Title, language and the day: no clock, no personal data beyond the practice's name.
fn metadata(document: &ReportDocument) -> Metadata {
    let date = document.date;
    let created = DateTime::new(u16::try_from(date.year()).unwrap_or(2000))
        .month(u8::from(date.month()))
        .day(date.day());
    Metadata::new()
        .title(layout::title(document.report.kind).to_string())
        .language("de-DE".into())
        .authors(vec![document.practice.name.clone()])
        .creator(format!("eTherapiebericht über {}", document.insurer))
        .creation_date(created)
        .document_id(document.id.to_string())
}

#[cfg(test)]
mod tests;
