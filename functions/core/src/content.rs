//! The information pages per Berufsfeld: Markdown files with a TOML front matter, written by the
//! insurer, rendered to HTML once when they are loaded (at start locally, at a cold start of the
//! content function, which has them built in) and sanitised with an allow-list, so an editor's
//! `<script>` or `onerror=` never reaches a browser. `portal content check` runs the same
//! loading and lists every problem.
//!
//! A content folder holds `pages/*.md`, every insurer's pages, and optionally
//! `tenants/<slug>/*.md`: an insurer's own pages, which replace a default page of the same name
//! or add to them. The file name is the page's address: `pages/oha.md` is `/info/oha`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use portal_domain::content::{Slug, SlugError, fold_for_search, matches_search};
use portal_domain::therapy::TherapyArea;
use portal_domain::{Berufsfeld, Lang};
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag};
use serde::Deserialize;
use time::Date;

use crate::ports::Clock;

/// Where a page links to another one: `[text](/info/slug)`.
pub const LINK_PREFIX: &str = "/info/";

/// A source a page is written from (a law, a guideline, a seed document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub title: String,
    pub url: Option<String>,
}

/// One information page, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentPage {
    pub slug: Slug,
    pub title: String,
    /// `None`: for every Berufsfeld (front matter `berufsfeld = "alle"`).
    pub berufsfeld: Option<Berufsfeld>,
    /// Within Heilmittel: the profession the page is for.
    pub area: Option<TherapyArea>,
    /// Position in the navigation: lower first, then by title.
    pub order: i32,
    /// Shown from this (German) day on.
    pub valid_from: Date,
    pub summary: String,
    pub sources: Vec<Source>,
    /// Sanitised HTML of the body.
    pub html: String,
    /// Title, summary and text, folded for the search.
    folded: String,
    /// The pages it links to.
    links: Vec<String>,
}

impl ContentPage {
    /// Whether the page is for this Berufsfeld: its own, or one for every Berufsfeld.
    pub fn is_for(&self, berufsfeld: Berufsfeld) -> bool {
        self.berufsfeld.is_none_or(|own| own == berufsfeld)
    }

    pub fn matches(&self, query: &str) -> bool {
        matches_search(&self.folded, query)
    }
}

/// A Markdown file of a content folder: its path there (for messages) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentFile {
    pub path: String,
    pub text: String,
}

/// A content folder as read: every insurer's pages, and each insurer's own by its short name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentSet {
    pub pages: Vec<ContentFile>,
    pub tenants: BTreeMap<String, Vec<ContentFile>>,
}

/// What is wrong with a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageError {
    FileName(SlugError),
    NoFrontMatter,
    FrontMatter(String),
    Berufsfeld(String),
    Area(String),
    AreaWithoutHeilmittel,
    Title,
    Summary,
    ValidFrom,
    NoSources,
    SourceTitle,
    SourceUrl(String),
    Empty,
    FirstLevelHeading,
    Duplicate(String),
    BrokenLink(String),
}

impl PageError {
    pub fn message(&self, lang: Lang) -> String {
        let de = lang == Lang::De;
        match self {
            PageError::FileName(e) => match de {
                true => format!(
                    "der Dateiname ist kein Seitenname ({}): Kleinbuchstaben a–z, Ziffern und einzelne Bindestriche, höchstens 80 Zeichen, Endung .md",
                    slug_message(*e, lang)
                ),
                false => format!(
                    "the file name is no page name ({}): lowercase a-z, digits and single hyphens, at most 80 characters, ending .md",
                    slug_message(*e, lang)
                ),
            },
            PageError::NoFrontMatter => match de {
                true => "kein Vorspann: die Datei beginnt mit einer Zeile `+++`, den Feldern der Seite (TOML) und einer Zeile `+++`".into(),
                false => "no front matter: the file begins with a line `+++`, the page's fields (TOML) and a line `+++`".into(),
            },
            PageError::FrontMatter(e) => match de {
                true => format!("der Vorspann ist kein gültiges TOML mit den Feldern title, berufsfeld, bereich, order, valid_from, summary, sources: {e}"),
                false => format!("the front matter is not valid TOML with the fields title, berufsfeld, bereich, order, valid_from, summary, sources: {e}"),
            },
            PageError::Berufsfeld(v) => match de {
                true => format!("berufsfeld `{v}` gibt es nicht: alle, apotheke, heilmittel, hilfsmittel oder sonstige"),
                false => format!("berufsfeld `{v}` is unknown: alle, apotheke, heilmittel, hilfsmittel or sonstige"),
            },
            PageError::Area(v) => match de {
                true => format!("bereich `{v}` gibt es nicht: ergo, ernaehrung, physio, podo oder logo"),
                false => format!("bereich `{v}` is unknown: ergo, ernaehrung, physio, podo or logo"),
            },
            PageError::AreaWithoutHeilmittel => match de {
                true => "bereich gibt es nur bei berufsfeld = \"heilmittel\"".into(),
                false => "bereich is for berufsfeld = \"heilmittel\" only".into(),
            },
            PageError::Title => match de {
                true => "title ist leer oder länger als 200 Zeichen".into(),
                false => "title is empty or longer than 200 characters".into(),
            },
            PageError::Summary => match de {
                true => "summary ist leer oder länger als 300 Zeichen".into(),
                false => "summary is empty or longer than 300 characters".into(),
            },
            PageError::ValidFrom => match de {
                true => "valid_from ist kein Datum (valid_from = 2026-01-01)".into(),
                false => "valid_from is not a date (valid_from = 2026-01-01)".into(),
            },
            PageError::NoSources => match de {
                true => "die Seite nennt keine Quelle ([[sources]] mit title und url)".into(),
                false => "the page names no source ([[sources]] with title and url)".into(),
            },
            PageError::SourceTitle => match de {
                true => "eine Quelle hat keinen title".into(),
                false => "a source has no title".into(),
            },
            PageError::SourceUrl(url) => match de {
                true => format!("die Adresse der Quelle `{url}` beginnt nicht mit https://"),
                false => format!("the source's address `{url}` does not begin with https://"),
            },
            PageError::Empty => match de {
                true => "die Seite hat keinen Text".into(),
                false => "the page has no text".into(),
            },
            PageError::FirstLevelHeading => match de {
                true => "eine Überschrift der ersten Ebene (`# `): der Titel ist die Überschrift der Seite, Abschnitte beginnen mit `## `".into(),
                false => "a first-level heading (`# `): the title is the page's heading, sections begin with `## `".into(),
            },
            PageError::Duplicate(other) => match de {
                true => format!("dieselbe Seite gibt es schon in {other}"),
                false => format!("the same page exists in {other} already"),
            },
            PageError::BrokenLink(target) => match de {
                true => format!("verweist auf {LINK_PREFIX}{target}, diese Seite gibt es nicht"),
                false => format!("links to {LINK_PREFIX}{target}, which is no page"),
            },
        }
    }
}

fn slug_message(error: SlugError, lang: Lang) -> &'static str {
    match (error, lang) {
        (SlugError::Empty, Lang::De) => "leer",
        (SlugError::Empty, Lang::En) => "empty",
        (SlugError::TooLong, Lang::De) => "zu lang",
        (SlugError::TooLong, Lang::En) => "too long",
        (SlugError::Characters, Lang::De) => "unerlaubte Zeichen",
        (SlugError::Characters, Lang::En) => "characters not allowed",
    }
}

/// A problem of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentProblem {
    pub path: String,
    pub error: PageError,
}

impl ContentProblem {
    pub fn message(&self, lang: Lang) -> String {
        format!("{}: {}", self.path, self.error.message(lang))
    }
}

impl fmt::Display for ContentProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    berufsfeld: String,
    #[serde(default)]
    bereich: Option<String>,
    #[serde(default)]
    order: i32,
    valid_from: toml::value::Datetime,
    summary: String,
    #[serde(default)]
    sources: Vec<SourceMatter>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceMatter {
    title: String,
    #[serde(default)]
    url: Option<String>,
}

/// Reads and renders one file; the name of its slug is its file name without `.md`.
pub fn parse_page(file: &ContentFile) -> Result<ContentPage, Vec<PageError>> {
    let name = file.path.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = name.strip_suffix(".md").unwrap_or("");
    let mut errors = Vec::new();
    let slug = Slug::parse(stem).map_err(PageError::FileName);
    let (matter, body) = split_front_matter(&file.text).ok_or(vec![PageError::NoFrontMatter])?;
    let matter: FrontMatter = toml::from_str(matter)
        .map_err(|e| vec![PageError::FrontMatter(one_line(&e.to_string()))])?;
    let berufsfeld = match matter.berufsfeld.as_str() {
        "alle" => Ok(None),
        other => Berufsfeld::parse(other)
            .filter(|b| b.as_str() == other)
            .map(Some)
            .ok_or(PageError::Berufsfeld(other.into())),
    };
    let area = match &matter.bereich {
        None => Ok(None),
        Some(text) => area(text).map(Some).ok_or(PageError::Area(text.clone())),
    };
    if matches!(area, Ok(Some(_))) && !matches!(berufsfeld, Ok(Some(Berufsfeld::Heilmittel))) {
        errors.push(PageError::AreaWithoutHeilmittel);
    }
    let title = matter.title.trim().to_string();
    if title.is_empty() || title.chars().count() > 200 {
        errors.push(PageError::Title);
    }
    let summary = matter.summary.trim().to_string();
    if summary.is_empty() || summary.chars().count() > 300 {
        errors.push(PageError::Summary);
    }
    let valid_from = matter
        .valid_from
        .date
        .filter(|_| matter.valid_from.time.is_none())
        .and_then(|d| {
            let month = time::Month::try_from(d.month).ok()?;
            Date::from_calendar_date(i32::from(d.year), month, d.day).ok()
        })
        .ok_or(PageError::ValidFrom);
    if matter.sources.is_empty() {
        errors.push(PageError::NoSources);
    }
    let mut sources = Vec::new();
    for source in matter.sources {
        let title = source.title.trim().to_string();
        if title.is_empty() {
            errors.push(PageError::SourceTitle);
        }
        let url = source.url.map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
        if let Some(url) = &url
            && !url.starts_with("https://")
        {
            errors.push(PageError::SourceUrl(url.clone()));
        }
        sources.push(Source { title, url });
    }
    let rendered = render(body);
    if rendered.text.trim().is_empty() {
        errors.push(PageError::Empty);
    }
    if rendered.first_level_heading {
        errors.push(PageError::FirstLevelHeading);
    }
    let (slug, berufsfeld, area, valid_from) = match (slug, berufsfeld, area, valid_from) {
        (Ok(s), Ok(b), Ok(a), Ok(v)) if errors.is_empty() => (s, b, a, v),
        (s, b, a, v) => {
            let firsts = [s.err(), b.err(), a.err(), v.err()];
            let mut all: Vec<PageError> = firsts.into_iter().flatten().collect();
            all.extend(errors);
            return Err(all);
        }
    };
    let folded = fold_for_search(&format!("{title} {summary} {}", rendered.text));
    Ok(ContentPage {
        slug,
        title,
        berufsfeld,
        area,
        order: matter.order,
        valid_from,
        summary,
        sources,
        html: rendered.html,
        folded,
        links: rendered.links,
    })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The Heilmittel area as the front matter names it (the names the therapy reports use).
fn area(text: &str) -> Option<TherapyArea> {
    Some(match text {
        "physio" => TherapyArea::Physio,
        "ergo" => TherapyArea::Ergo,
        "logo" => TherapyArea::Logo,
        "podo" => TherapyArea::Podo,
        "ernaehrung" => TherapyArea::Ernaehrung,
        _ => return None,
    })
}

/// The TOML between a first line `+++` and the next line `+++`, and the Markdown after it.
fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text.strip_prefix("+++")?;
    let rest = rest.strip_prefix("\r\n").or_else(|| rest.strip_prefix('\n'))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            return Some((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

struct Rendered {
    html: String,
    text: String,
    links: Vec<String>,
    first_level_heading: bool,
}

/// Markdown (CommonMark with tables) to HTML, then through ammonia's allow-list: no script,
/// style, event handler, `javascript:` address or form survives; links get
/// `rel="noopener noreferrer"`.
fn render(markdown: &str) -> Rendered {
    let mut text = String::new();
    let mut links = Vec::new();
    let mut first_level_heading = false;
    let events: Vec<Event> = Parser::new_ext(markdown, Options::ENABLE_TABLES).collect();
    for event in &events {
        match event {
            Event::Text(t) | Event::Code(t) => {
                text.push_str(t);
                text.push(' ');
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                if let Some(target) = dest_url.strip_prefix(LINK_PREFIX) {
                    let target = target.split(['#', '?']).next().unwrap_or_default();
                    links.push(target.to_string());
                }
            }
            Event::Start(Tag::Heading { level: HeadingLevel::H1, .. }) => {
                first_level_heading = true;
            }
            _ => {}
        }
    }
    let mut raw = String::new();
    pulldown_cmark::html::push_html(&mut raw, events.into_iter());
    Rendered { html: ammonia::clean(&raw), text, links, first_level_heading }
}

/// Every page an insurer shows, rendered, in the navigation's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentLibrary {
    pages: Vec<ContentPage>,
}

impl ContentLibrary {
    /// The default pages with `own` (an insurer's) replacing those of the same name and adding
    /// the rest; every problem of every file, or the library.
    pub fn build(
        pages: &[ContentFile],
        own: &[ContentFile],
    ) -> Result<ContentLibrary, Vec<ContentProblem>> {
        let mut problems = Vec::new();
        let mut by_slug: BTreeMap<Slug, (String, ContentPage)> = BTreeMap::new();
        for files in [pages, own] {
            let mut in_layer: BTreeMap<Slug, String> = BTreeMap::new();
            for file in files {
                match parse_page(file) {
                    Ok(page) => {
                        if let Some(first) = in_layer.get(&page.slug) {
                            let error = PageError::Duplicate(first.clone());
                            problems.push(ContentProblem { path: file.path.clone(), error });
                            continue;
                        }
                        in_layer.insert(page.slug.clone(), file.path.clone());
                        // A file of the insurer's own replaces the default page of its name.
                        by_slug.insert(page.slug.clone(), (file.path.clone(), page));
                    }
                    Err(errors) => problems.extend(
                        errors
                            .into_iter()
                            .map(|error| ContentProblem { path: file.path.clone(), error }),
                    ),
                }
            }
        }
        let slugs: BTreeSet<&str> = by_slug.keys().map(Slug::as_str).collect();
        for (path, page) in by_slug.values() {
            for link in &page.links {
                if !slugs.contains(link.as_str()) {
                    let error = PageError::BrokenLink(link.clone());
                    problems.push(ContentProblem { path: path.clone(), error });
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut pages: Vec<ContentPage> = by_slug.into_values().map(|(_, page)| page).collect();
        pages.sort_by(|a, b| (a.order, &a.title).cmp(&(b.order, &b.title)));
        Ok(ContentLibrary { pages })
    }

    /// Every insurer's library from a content folder: `tenants` are the short names served
    /// (an insurer without a folder of its own gets the default pages).
    pub fn for_tenants<'a>(
        set: &ContentSet,
        tenants: impl IntoIterator<Item = &'a str>,
    ) -> Result<BTreeMap<String, ContentLibrary>, Vec<ContentProblem>> {
        let mut libraries = BTreeMap::new();
        let mut problems = Vec::new();
        for slug in tenants {
            let own = set.tenants.get(slug).map(Vec::as_slice).unwrap_or_default();
            match ContentLibrary::build(&set.pages, own) {
                Ok(library) => {
                    libraries.insert(slug.to_string(), library);
                }
                Err(found) => problems.extend(found),
            }
        }
        match problems.is_empty() {
            true => Ok(libraries),
            false => Err(dedup(problems)),
        }
    }

    pub fn pages(&self) -> &[ContentPage] {
        &self.pages
    }

    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }
}

/// Every problem of a content folder: the default pages on their own and with each insurer's
/// own folder over them. Empty: all is well.
pub fn check(set: &ContentSet) -> Vec<ContentProblem> {
    let mut problems = ContentLibrary::build(&set.pages, &[]).err().unwrap_or_default();
    for own in set.tenants.values() {
        problems.extend(ContentLibrary::build(&set.pages, own).err().unwrap_or_default());
    }
    dedup(problems)
}

fn dedup(problems: Vec<ContentProblem>) -> Vec<ContentProblem> {
    let mut seen = BTreeSet::new();
    problems
        .into_iter()
        .filter(|p| seen.insert((p.path.clone(), p.error.message(Lang::En))))
        .collect()
}

/// What the content routes ask: the pages of this insurer valid today.
#[derive(Clone)]
pub struct Content {
    pub library: Arc<ContentLibrary>,
    pub clock: Arc<dyn Clock>,
}

impl Content {
    /// The pages valid today for `berufsfeld` (its own first, then those for every Berufsfeld)
    /// or for all, whose title, summary or text holds every word of `query`.
    pub fn list(&self, berufsfeld: Option<Berufsfeld>, query: &str) -> Vec<&ContentPage> {
        let today = self.clock.today();
        let mut found: Vec<&ContentPage> = self
            .library
            .pages
            .iter()
            .filter(|p| p.valid_from <= today)
            .filter(|p| berufsfeld.is_none_or(|b| p.is_for(b)))
            .filter(|p| p.matches(query))
            .collect();
        if berufsfeld.is_some() {
            // Stable: within each group the navigation's order stays.
            found.sort_by_key(|p| p.berufsfeld.is_none());
        }
        found
    }

    /// The page `slug`, if it is valid today.
    pub fn page(&self, slug: &str) -> Option<&ContentPage> {
        let today = self.clock.today();
        self.library.pages.iter().find(|p| p.slug.as_str() == slug && p.valid_from <= today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> ContentFile {
        ContentFile { path: path.into(), text: text.into() }
    }

    const MATTER: &str = "+++\ntitle = \"Zuzahlung\"\nberufsfeld = \"apotheke\"\nvalid_from = 2026-01-01\nsummary = \"Kurz\"\n[[sources]]\ntitle = \"§ 61 SGB V\"\nurl = \"https://www.gesetze-im-internet.de/sgb_5/__61.html\"\n+++\n";

    #[test]
    fn a_page_is_rendered_and_sanitised() {
        let text = format!(
            "{MATTER}## Regeln\n\nText mit <script>alert(1)</script> und <img src=x onerror=alert(2)> und [Link](javascript:alert(3)).\n"
        );
        let page = parse_page(&file("pages/zuzahlung.md", &text)).unwrap();
        assert_eq!(page.slug.as_str(), "zuzahlung");
        assert!(page.html.contains("<h2>Regeln</h2>"), "{}", page.html);
        for gone in ["<script", "onerror", "javascript:", "alert(1)"] {
            assert!(!page.html.contains(gone), "{gone} in {}", page.html);
        }
    }

    #[test]
    fn every_problem_of_a_page_is_named() {
        let text = "+++\ntitle = \"\"\nberufsfeld = \"zahnarzt\"\nbereich = \"physio\"\nvalid_from = \"gestern\"\nsummary = \"s\"\n+++\n# Titel\n";
        let errors = parse_page(&file("pages/Bad_Name.md", text)).unwrap_err();
        assert!(matches!(errors[0], PageError::FrontMatter(_)), "{errors:?}");
        let text = "+++\ntitle = \"\"\nberufsfeld = \"zahnarzt\"\nbereich = \"physio\"\nvalid_from = 2026-01-01\nsummary = \"s\"\n+++\n# Titel\n";
        let errors = parse_page(&file("pages/Bad_Name.md", text)).unwrap_err();
        assert_eq!(
            errors,
            vec![
                PageError::FileName(SlugError::Characters),
                PageError::Berufsfeld("zahnarzt".into()),
                PageError::AreaWithoutHeilmittel,
                PageError::Title,
                PageError::NoSources,
                PageError::FirstLevelHeading,
            ]
        );
        assert_eq!(
            parse_page(&file("pages/x.md", "## ohne")).unwrap_err(),
            vec![PageError::NoFrontMatter]
        );
    }

    #[test]
    fn broken_links_and_duplicates_fail_and_an_insurers_page_replaces_the_default() {
        let a = file("pages/a.md", &format!("{MATTER}Siehe [b](/info/b) und [c](/info/c#x).\n"));
        let b = file("pages/b.md", &format!("{MATTER}B\n"));
        let problems = ContentLibrary::build(&[a.clone(), b.clone()], &[]).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].message(Lang::En), "pages/a.md: links to /info/c, which is no page");
        let twice = ContentLibrary::build(&[b.clone(), b.clone()], &[]).unwrap_err();
        assert_eq!(twice[0].error, PageError::Duplicate("pages/b.md".into()));
        let own_b = file("tenants/plus/b.md", &format!("{MATTER}Eigenes B\n"));
        let c = file("tenants/plus/c.md", &format!("{MATTER}C\n"));
        let library = ContentLibrary::build(&[a, b], &[own_b, c]).unwrap();
        let b = library.pages().iter().find(|p| p.slug.as_str() == "b").unwrap();
        assert!(b.html.contains("Eigenes B"));
        assert_eq!(library.pages().len(), 3);
    }
}
