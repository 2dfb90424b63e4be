//! The information pages per Berufsfeld, a wasm module of their own (`info_main.rs`): the list
//! with its navigation by Berufsfeld (and, within Heilmittel, by profession) and its search
//! (`/info`), and one page with its breadcrumbs (`/info/{slug}`). The pages' text is German
//! (the insurer writes it); the chrome follows the language switch. Texts are a table of their
//! own, so they stay out of the app's wasm.

use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_domain::Berufsfeld;
use portal_domain::therapy::TherapyArea;
use portal_wire::{ContentPageBody, ContentPageSummaryBody};

use crate::api::{self, Problem};
use crate::host;
use crate::i18n::{I18n, Lang, texts, use_i18n};

texts! { C, ctext;
    Title => "Informationen für Leistungserbringer", "Information for providers";
    Intro => "Hinweise zu Verträgen, Verordnungen, Zuzahlungen und Abrechnung, nach Berufsfeld geordnet. Die Seiten sind auf Deutsch.", "Notes on contracts, prescriptions, co-payments and billing, by Berufsfeld. The pages are in German.";
    Nav => "Berufsfelder", "Berufsfelder (fields)";
    Professions => "Fachrichtungen der Heilmittel", "Heilmittel professions";
    All => "Alle Berufsfelder", "All fields";
    AllHeilmittel => "Alle Heilmittel", "All Heilmittel";
    Apotheke => "Apotheken", "Pharmacies";
    Heilmittel => "Heilmittel", "Heilmittel (therapies)";
    Hilfsmittel => "Hilfsmittel", "Hilfsmittel (medical aids)";
    Sonstige => "Sonstige", "Other";
    Ergo => "Ergotherapie", "Occupational therapy";
    Ernaehrung => "Ernährungstherapie", "Nutritional therapy";
    Physio => "Physiotherapie", "Physiotherapy";
    Podo => "Podologie", "Podiatry";
    Logo => "Stimm-, Sprech-, Sprach- und Schlucktherapie", "Voice, speech, language and swallowing therapy";
    SearchLabel => "In den Informationen suchen", "Search the information";
    Search => "Suchen", "Search";
    Results => "Seiten gefunden:", "Pages found:";
    NoResults => "Keine Seite gefunden.", "No page found.";
    Loading => "Bitte warten …", "Please wait …";
    Breadcrumbs => "Sie sind hier", "You are here";
    Home => "Informationen", "Information";
    Sources => "Quellen", "Sources";
    ValidFrom => "Gültig ab", "Valid from";
    ForEveryone => "für alle Berufsfelder", "for every field";
}

fn tr(i18n: I18n, key: C) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || ctext(i18n.0.get(), key)
}

const FIELDS: [(Option<Berufsfeld>, C); 5] = [
    (None, C::All),
    (Some(Berufsfeld::Apotheke), C::Apotheke),
    (Some(Berufsfeld::Heilmittel), C::Heilmittel),
    (Some(Berufsfeld::Hilfsmittel), C::Hilfsmittel),
    (Some(Berufsfeld::Sonstige), C::Sonstige),
];

/// In the seed's order (the insurer's portal lists them so).
const AREAS: [(TherapyArea, C); 5] = [
    (TherapyArea::Ergo, C::Ergo),
    (TherapyArea::Ernaehrung, C::Ernaehrung),
    (TherapyArea::Physio, C::Physio),
    (TherapyArea::Podo, C::Podo),
    (TherapyArea::Logo, C::Logo),
];

fn field_text(berufsfeld: Option<Berufsfeld>) -> C {
    FIELDS.iter().find(|(b, _)| *b == berufsfeld).map_or(C::All, |(_, c)| *c)
}

fn area_text(area: TherapyArea) -> C {
    AREAS.iter().find(|(a, _)| *a == area).map_or(C::AllHeilmittel, |(_, c)| *c)
}

/// A click on a link to another information page (or the list) stays in the app.
fn follow_internal_links(event: leptos::ev::MouseEvent) {
    use wasm_bindgen::JsCast;
    if event.ctrl_key() || event.meta_key() || event.shift_key() || event.button() != 0 {
        return;
    }
    let Some(target) = event.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
        return;
    };
    let Some(link) = target.closest("a[href]").ok().flatten() else { return };
    let Some(href) = link.get_attribute("href") else { return };
    if href == "/info" || href.starts_with("/info/") || href.starts_with("/info?") {
        event.prevent_default();
        host::navigate(&href);
    }
}

/// The address's `?berufsfeld=` (the breadcrumbs link to a Berufsfeld's list).
fn berufsfeld_in_address() -> Option<Berufsfeld> {
    let address = host::address();
    let query = address.split_once('?')?.1;
    query.split('&').find_map(|kv| kv.strip_prefix("berufsfeld=")).and_then(Berufsfeld::parse)
}

/// `/info`: the navigation by Berufsfeld, the search and the pages found. A logged-in provider
/// starts on its own Berufsfeld.
#[component]
pub fn InfoIndex() -> impl IntoView {
    let i18n = use_i18n();
    let berufsfeld = RwSignal::new(berufsfeld_in_address());
    let area = RwSignal::new(None::<TherapyArea>);
    let query = RwSignal::new(String::new());
    let searched = RwSignal::new(String::new());
    let pages = RwSignal::new(None::<Result<Vec<ContentPageSummaryBody>, Problem>>);
    if berufsfeld.get_untracked().is_none() && host::logged_in() {
        spawn_local(async move {
            if let Ok(session) = api::session(i18n.0.get_untracked()).await {
                // Asking extended the session: the app's countdown follows.
                host::refresh_session();
                if berufsfeld.get_untracked().is_none() {
                    berufsfeld.set(session.berufsfeld);
                }
            }
        });
    }
    Effect::new(move |_| {
        let field = berufsfeld.get().map(Berufsfeld::as_str).unwrap_or_default();
        let q = searched.get();
        let lang = i18n.0.get_untracked();
        pages.set(None);
        spawn_local(async move {
            pages.set(Some(api::content_pages(field, &q, lang).await));
        });
    });
    let shown = move || -> Vec<ContentPageSummaryBody> {
        let Some(Ok(list)) = pages.get() else { return Vec::new() };
        let wanted = area.get();
        list.into_iter()
            .filter(|p| wanted.is_none() || p.area.is_none() || p.area == wanted)
            .collect()
    };
    let field_button = move |(field, label): (Option<Berufsfeld>, C)| {
        view! {
            <li>
                <button
                    type="button"
                    class="chip"
                    aria-pressed=move || (berufsfeld.get() == field).to_string()
                    on:click=move |_| {
                        berufsfeld.set(field);
                        area.set(None);
                    }
                >
                    {tr(i18n, label)}
                </button>
            </li>
        }
    };
    let area_button = move |(choice, label): (Option<TherapyArea>, C)| {
        view! {
            <li>
                <button
                    type="button"
                    class="chip"
                    aria-pressed=move || (area.get() == choice).to_string()
                    on:click=move |_| area.set(choice)
                >
                    {tr(i18n, label)}
                </button>
            </li>
        }
    };
    let areas: Vec<(Option<TherapyArea>, C)> = std::iter::once((None, C::AllHeilmittel))
        .chain(AREAS.iter().map(|(a, c)| (Some(*a), *c)))
        .collect();
    view! {
        <div class="info" on:click=follow_internal_links>
            <h1>{tr(i18n, C::Title)}</h1>
            <p>{tr(i18n, C::Intro)}</p>
            <nav aria-label=tr(i18n, C::Nav)>
                <ul class="chips">{FIELDS.into_iter().map(field_button).collect_view()}</ul>
            </nav>
            <Show when=move || berufsfeld.get() == Some(Berufsfeld::Heilmittel)>
                <nav aria-label=tr(i18n, C::Professions)>
                    <ul class="chips">{areas.clone().into_iter().map(area_button).collect_view()}</ul>
                </nav>
            </Show>
            <form
                role="search"
                class="info-search"
                on:submit=move |ev| {
                    ev.prevent_default();
                    searched.set(query.get_untracked());
                }
            >
                <label for="info-q">{tr(i18n, C::SearchLabel)}</label>
                <input
                    id="info-q"
                    type="search"
                    maxlength="200"
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
                <button type="submit">{tr(i18n, C::Search)}</button>
            </form>
            <p role="status">
                {move || match pages.get() {
                    None => ctext(i18n.0.get(), C::Loading).to_string(),
                    Some(Err(_)) => String::new(),
                    Some(Ok(_)) => match shown().len() {
                        0 => ctext(i18n.0.get(), C::NoResults).to_string(),
                        n => format!("{} {n}", ctext(i18n.0.get(), C::Results)),
                    },
                }}
            </p>
            <div role="alert" class="problem-slot">
                {move || match pages.get() {
                    Some(Err(p)) => Some(view! { <p class="problem">{p.title}</p> }),
                    _ => None,
                }}
            </div>
            <ul class="info-list">
                {move || {
                    shown()
                        .into_iter()
                        .map(|page| {
                            let href = format!("/info/{}", page.slug);
                            let field = match page.area {
                                Some(a) => area_text(a),
                                None if page.berufsfeld.is_none() => C::ForEveryone,
                                None => field_text(page.berufsfeld),
                            };
                            view! {
                                <li>
                                    <h2><a href=href lang="de">{page.title}</a></h2>
                                    <p class="info-field">{tr(i18n, field)}</p>
                                    <p lang="de">{page.summary}</p>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </div>
    }
}

/// `/info/{slug}`: one page with its breadcrumbs, text and sources.
#[component]
pub fn InfoArticle() -> impl IntoView {
    let i18n = use_i18n();
    let address = host::address();
    let path = address.split(['?', '#']).next().unwrap_or_default();
    let slug = path.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_string();
    let page = RwSignal::new(None::<Result<ContentPageBody, Problem>>);
    let lang: Lang = i18n.0.get_untracked();
    spawn_local(async move {
        page.set(Some(api::content_page(&slug, lang).await));
    });
    view! {
        <div class="info" on:click=follow_internal_links>
            {move || match page.get() {
                None => view! { <p role="status">{tr(i18n, C::Loading)}</p> }.into_any(),
                Some(Err(problem)) => view! {
                    <nav aria-label=tr(i18n, C::Breadcrumbs) class="breadcrumbs">
                        <ol><li><a href="/info">{tr(i18n, C::Home)}</a></li></ol>
                    </nav>
                    <div role="alert" class="problem-slot"><p class="problem">{problem.title}</p></div>
                }
                .into_any(),
                Some(Ok(page)) => article(i18n, page).into_any(),
            }}
        </div>
    }
}

fn article(i18n: I18n, page: ContentPageBody) -> impl IntoView {
    let field_link = page.berufsfeld.map(|b| {
        let href = format!("/info?berufsfeld={}", b.as_str());
        view! { <li><a href=href>{tr(i18n, field_text(Some(b)))}</a></li> }
    });
    let area = page.area.map(|a| view! { <li>{tr(i18n, area_text(a))}</li> });
    let sources = page
        .sources
        .into_iter()
        .map(|source| match source.url {
            Some(url) => view! { <li><a href=url lang="de">{source.title}</a></li> }.into_any(),
            None => view! { <li lang="de">{source.title}</li> }.into_any(),
        })
        .collect_view();
    let valid_from = portal_domain::parse_date(&page.valid_from)
        .map(|d| format!("{:02}.{:02}.{}", d.day(), u8::from(d.month()), d.year()))
        .unwrap_or(page.valid_from);
    view! {
        <nav aria-label=tr(i18n, C::Breadcrumbs) class="breadcrumbs">
            <ol>
                <li><a href="/info">{tr(i18n, C::Home)}</a></li>
                {field_link}
                {area}
                <li aria-current="page" lang="de">{page.title.clone()}</li>
            </ol>
        </nav>
        <article lang="de">
            <h1>{page.title}</h1>
            <div class="info-body" inner_html=page.html></div>
        </article>
        <section aria-labelledby="info-sources">
            <h2 id="info-sources">{tr(i18n, C::Sources)}</h2>
            <ul>{sources}</ul>
            <p>{tr(i18n, C::ValidFrom)}" "{valid_from}</p>
        </section>
    }
}
