//! The eTherapiebericht: the practice's reports (drafts, and sent ones with where they stand) and
//! the report form, checked as it is typed with the server's own rules
//! ([`ReportForm::complete`]), saved as a draft at any time, previewed as its PDF and sent.
//!
//! The form is one [`ReportForm`] in a signal; every control reaches its value by the field's
//! path (`prescription.icd10[1]`), the same path the domain and the server name a problem by. The
//! controls are one component for all, so the wasm holds one copy of their view code.

use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_domain::therapy::{
    FREE_TEXT_MAX, FormProblem, RecommendationKind, RemedyForm, ReportForm, ReportKind, Setting,
    TherapyArea,
};
use portal_domain::{Lang, UserFacing, german_day_and_clock};
use portal_wire::{AttachmentBody, PhysicianRefBody, ReportPhysicianBody, ReportStatusBody};
use time::Date;
use wasm_bindgen::JsCast;

use crate::api::{self, PhysicianBody, Problem, ReportBody, ReportDraftBody};
use crate::components::FormProblem as ProblemNotice;
use crate::host;
use crate::i18n::{T, use_i18n};
use crate::page::Page;

/// The report's choices: the value on the wire and its text, in the order shown.
const AREAS: &[(&str, T)] = &[
    ("physio", T::APhysio),
    ("ergo", T::AErgo),
    ("logo", T::ALogo),
    ("podo", T::APodo),
    ("ernaehrung", T::AErnaehrung),
];
const AREA_VALUES: [TherapyArea; 5] = [
    TherapyArea::Physio,
    TherapyArea::Ergo,
    TherapyArea::Logo,
    TherapyArea::Podo,
    TherapyArea::Ernaehrung,
];
const KINDS: &[(&str, T)] = &[
    ("therapiebericht", T::KTherapiebericht),
    ("verordnungsbericht", T::KVerordnungsbericht),
    ("besondere_anforderung", T::KBesondere),
];
const KIND_VALUES: [ReportKind; 3] =
    [ReportKind::Therapiebericht, ReportKind::Verordnungsbericht, ReportKind::BesondereAnforderung];
const RECOMMENDATIONS: &[(&str, T)] = &[
    ("continue", T::RContinue),
    ("pause", T::RPause),
    ("end", T::REnd),
    ("re_examine", T::RReExamine),
    ("other_therapy", T::ROther),
];
const RECOMMENDATION_VALUES: [RecommendationKind; 5] = [
    RecommendationKind::Continue,
    RecommendationKind::Pause,
    RecommendationKind::End,
    RecommendationKind::ReExamine,
    RecommendationKind::OtherTherapy,
];
const SETTINGS: &[(&str, T)] = &[("single", T::SSingle), ("group", T::SGroup)];
const SETTING_VALUES: [Setting; 2] = [Setting::Single, Setting::Group];
const YES_NO: &[(&str, T)] = &[("ja", T::Yes), ("nein", T::No)];

/// Every control's path in the order of the form: the first with a problem gets the focus.
const ORDER: &[&str] = &[
    "area",
    "kind",
    "physician",
    "patient.first_name",
    "patient.last_name",
    "patient.birth_date",
    "patient.kvnr",
    "patient.insurer_ik",
    "prescription.date",
    "prescription.lanr",
    "prescription.bsnr",
    "prescription.diagnosis_group",
    "prescription.icd10[0]",
    "prescription.icd10[1]",
    "prescription.remedies[0].name",
    "prescription.remedies[0].units",
    "prescription.remedies[1].name",
    "prescription.remedies[1].units",
    "prescription.remedies[2].name",
    "prescription.remedies[2].units",
    "prescription.remedies[3].name",
    "prescription.remedies[3].units",
    "treatment.first_date",
    "treatment.last_date",
    "treatment.units_done",
    "findings",
    "goals",
    "measures",
    "course",
    "recommendation.kind",
    "recommendation.text",
    "speech.setting",
    "speech.sessions_per_week",
    "speech.home_visit",
    "compliance",
    "prognosis",
];

fn name_of<E: Copy + PartialEq>(values: &[E], names: &[(&'static str, T)], v: Option<E>) -> String {
    let i = v.and_then(|v| values.iter().position(|x| *x == v));
    i.map(|i| names[i].0.to_string()).unwrap_or_default()
}

fn pick<E: Copy>(values: &[E], names: &[(&'static str, T)], name: &str) -> Option<E> {
    names.iter().position(|(n, _)| *n == name).map(|i| values[i])
}

fn kind_text(kind: Option<ReportKind>) -> T {
    match kind {
        Some(ReportKind::Verordnungsbericht) => T::KVerordnungsbericht,
        Some(ReportKind::BesondereAnforderung) => T::KBesondere,
        _ => T::KTherapiebericht,
    }
}

fn status_text(status: ReportStatusBody) -> T {
    match status {
        ReportStatusBody::Draft => T::StDraft,
        ReportStatusBody::Queued => T::StQueued,
        ReportStatusBody::Sent => T::StSent,
        ReportStatusBody::Delivered => T::StDelivered,
        ReportStatusBody::Read => T::StRead,
        ReportStatusBody::Failed => T::StFailed,
    }
}

/// A text or number of the form, reached by its path.
enum Slot<'a> {
    Text(&'a mut String),
    Number(&'a mut Option<u32>),
}

/// `3]…` → 3.
fn index(rest: &str) -> Option<usize> {
    rest.split(']').next()?.parse().ok()
}

fn slot<'a>(f: &'a mut ReportForm, path: &str) -> Option<Slot<'a>> {
    use Slot::{Number, Text};
    Some(match path {
        "patient.first_name" => Text(&mut f.patient.first_name),
        "patient.last_name" => Text(&mut f.patient.last_name),
        "patient.birth_date" => Text(&mut f.patient.birth_date),
        "patient.kvnr" => Text(&mut f.patient.kvnr),
        "patient.insurer_ik" => Text(&mut f.patient.insurer_ik),
        "prescription.date" => Text(&mut f.prescription.date),
        "prescription.lanr" => Text(&mut f.prescription.lanr),
        "prescription.bsnr" => Text(&mut f.prescription.bsnr),
        "prescription.diagnosis_group" => Text(&mut f.prescription.diagnosis_group),
        "treatment.first_date" => Text(&mut f.treatment.first_date),
        "treatment.last_date" => Text(&mut f.treatment.last_date),
        "treatment.units_done" => Number(&mut f.treatment.units_done),
        "findings" => Text(&mut f.findings),
        "goals" => Text(&mut f.goals),
        "measures" => Text(&mut f.measures),
        "course" => Text(&mut f.course),
        "recommendation.text" => Text(&mut f.recommendation.text),
        "speech.sessions_per_week" => Number(&mut f.speech.sessions_per_week),
        "compliance" => Text(&mut f.compliance),
        "prognosis" => Text(&mut f.prognosis),
        _ => {
            if let Some(rest) = path.strip_prefix("prescription.icd10[") {
                return f.prescription.icd10.get_mut(index(rest)?).map(Text);
            }
            let rest = path.strip_prefix("prescription.remedies[")?;
            let remedy = f.prescription.remedies.get_mut(index(rest)?)?;
            if rest.ends_with("name") { Text(&mut remedy.name) } else { Number(&mut remedy.units) }
        }
    })
}

/// A choice of the form: its value on the wire, set to `new` if given.
fn choice(f: &mut ReportForm, path: &str, new: Option<&str>) -> String {
    match path {
        "kind" => {
            if let Some(new) = new {
                f.kind = pick(&KIND_VALUES, KINDS, new);
            }
            name_of(&KIND_VALUES, KINDS, f.kind)
        }
        "area" => {
            if let Some(new) = new {
                f.area = pick(&AREA_VALUES, AREAS, new);
                // A kind the new area does not have is chosen anew.
                if let (Some(kind), Some(area)) = (f.kind, f.area)
                    && !kind.allowed_in(area)
                {
                    f.kind = None;
                }
            }
            name_of(&AREA_VALUES, AREAS, f.area)
        }
        "recommendation.kind" => {
            if let Some(new) = new {
                f.recommendation.kind = pick(&RECOMMENDATION_VALUES, RECOMMENDATIONS, new);
            }
            name_of(&RECOMMENDATION_VALUES, RECOMMENDATIONS, f.recommendation.kind)
        }
        "speech.setting" => {
            if let Some(new) = new {
                f.speech.setting = pick(&SETTING_VALUES, SETTINGS, new);
            }
            name_of(&SETTING_VALUES, SETTINGS, f.speech.setting)
        }
        "speech.home_visit" => {
            if let Some(new) = new {
                f.speech.home_visit = pick(&[true, false], YES_NO, new);
            }
            name_of(&[true, false], YES_NO, f.speech.home_visit)
        }
        _ => String::new(),
    }
}

/// The form as the app holds it: two ICD-10 codes and four remedies, any of them empty.
fn padded(mut form: ReportForm) -> ReportForm {
    let p = &mut form.prescription;
    p.icd10.retain(|c| !c.trim().is_empty());
    p.icd10.resize(2, String::new());
    p.remedies.retain(|r| !blank(r));
    p.remedies.resize(4, RemedyForm::default());
    form
}

fn blank(remedy: &RemedyForm) -> bool {
    remedy.name.trim().is_empty() && remedy.units.is_none()
}

/// The form as it is saved and checked: without the empty codes and remedy rows.
fn cleaned(form: &ReportForm) -> ReportForm {
    let mut form = form.clone();
    form.prescription.icd10.retain(|c| !c.trim().is_empty());
    form.prescription.remedies.retain(|r| !blank(r));
    form
}

/// With its own PDF the report's texts may stay empty (the server's rule: the PDF carries them).
fn cover(mut form: ReportForm, own_pdf: bool) -> ReportForm {
    if own_pdf {
        for text in [
            &mut form.findings,
            &mut form.goals,
            &mut form.measures,
            &mut form.course,
            &mut form.compliance,
            &mut form.prognosis,
            &mut form.recommendation.text,
        ] {
            if text.trim().is_empty() {
                *text = "–".into();
            }
        }
    }
    form
}

/// `2,4 MB` (German) or `2.4 MB`; below a megabyte in KB. In integers: formatting a float
/// would bring the float printer into the wasm.
fn file_size(bytes: u64, lang: Lang) -> String {
    let (tenths, unit) = if bytes >= 1_000_000 {
        (bytes.div_ceil(100_000), "MB")
    } else {
        (bytes.div_ceil(100).max(1), "KB")
    };
    let point = if lang == Lang::De { ',' } else { '.' };
    format!("{}{point}{} {unit}", tenths / 10, tenths % 10)
}

/// The path the saved form names a control by: the codes and remedies count without the empty
/// ones (`None`: the control is empty and not saved).
fn wire_path(form: &ReportForm, path: &str) -> Option<String> {
    let p = &form.prescription;
    if let Some(rest) = path.strip_prefix("prescription.icd10[") {
        let i = index(rest)?;
        let filled = |c: &String| !c.trim().is_empty();
        if !p.icd10.get(i).is_some_and(filled) {
            return None;
        }
        let k = p.icd10[..i].iter().filter(|c| filled(c)).count();
        return Some(format!("prescription.icd10[{k}]"));
    }
    if let Some(rest) = path.strip_prefix("prescription.remedies[") {
        let i = index(rest)?;
        if p.remedies.get(i).is_none_or(blank) {
            return None;
        }
        let k = p.remedies[..i].iter().filter(|r| !blank(r)).count();
        let field = rest.split_once('.').map_or("", |(_, f)| f);
        return Some(format!("prescription.remedies[{k}].{field}"));
    }
    Some(path.to_string())
}

/// A problem of the whole list of codes or remedies shows at its first control.
fn group_of(path: &str) -> Option<&'static str> {
    match path {
        "prescription.icd10[0]" => Some("prescription.icd10"),
        "prescription.remedies[0].name" => Some("prescription.remedies"),
        _ => None,
    }
}

/// `prescription.icd10[0]` → `prescription-icd10-0`.
fn dom_id(path: &str) -> String {
    path.replace(['.', '['], "-").replace(']', "")
}

/// The day in the browser, which for a German practice is the German day.
fn today() -> Date {
    let now = js_sys::Date::new_0();
    time::Month::try_from(now.get_month() as u8 + 1)
        .ok()
        .and_then(|m| {
            Date::from_calendar_date(now.get_full_year() as i32, m, now.get_date() as u8).ok()
        })
        .unwrap_or(Date::MAX)
}

/// `1.234 / 4.000` (German) or `1,234 / 4,000`.
fn counter(n: usize, lang: Lang) -> String {
    let sep = if lang == Lang::De { '.' } else { ',' };
    let number = |n: usize| {
        if n >= 1000 { format!("{}{sep}{:03}", n / 1000, n % 1000) } else { n.to_string() }
    };
    format!("{} / {}", number(n), number(FREE_TEXT_MAX))
}

fn focus(id: &str) {
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = element {
        let _ = element.focus();
    }
}

// ---------------------------------------------------------------------------------------------
// The list.

#[component]
pub fn Reports() -> impl IntoView {
    let i18n = use_i18n();
    let reports = RwSignal::new(None::<Vec<ReportBody>>);
    let problem = RwSignal::new(None::<Problem>);
    let lang = i18n.0.get_untracked();
    spawn_local(async move {
        match api::reports(lang).await {
            Ok(list) => reports.set(Some(list)),
            // Not logged in: the page says so and leads to the login; a session that ended while
            // logged in leads to its page.
            Err(p) if p.session_ended() && host::logged_in() => {
                host::navigate(Page::SessionEnded.path())
            }
            Err(p) => problem.set(Some(p)),
        }
    });
    let logged_out = move || problem.with(|p| p.as_ref().is_some_and(Problem::session_ended));
    view! {
        <h1>{i18n.tr(T::ReportsTitle)}</h1>
        <p hidden=move || !logged_out()><a href=Page::Login.path() class="button">{i18n.tr(T::Login)}</a></p>
        <p>{i18n.tr(T::ReportsIntro)}</p>
        <p><a href=Page::Report.path() class="button">{i18n.tr(T::NewReport)}</a></p>
        <ProblemNotice problem />
        <p hidden=move || reports.with(|r| r.as_ref().is_none_or(|r| !r.is_empty()))>{i18n.tr(T::NoReports)}</p>
        <ReportGroup title=T::Drafts drafts=true reports />
        <ReportGroup title=T::SentReports drafts=false reports />
    }
}

/// The drafts, or the reports sent; nothing while there are none.
#[component]
fn ReportGroup(
    title: T,
    drafts: bool,
    reports: RwSignal<Option<Vec<ReportBody>>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let mine = move || {
        let list = reports.get().unwrap_or_default();
        list.into_iter()
            .filter(|r| (r.status == ReportStatusBody::Draft) == drafts)
            .collect::<Vec<_>>()
    };
    view! {
        <section hidden=move || mine().is_empty()>
            <h2>{i18n.tr(title)}</h2>
            <ul class="reports">{move || mine().into_iter().map(|r| ReportItem(ReportItemProps { r, reports })).collect_view()}</ul>
        </section>
    }
}

/// Sends a failed report again, under a new key (the server queues it anew): the list shows its
/// new status, or the problem at the report.
fn send_again(
    id: String,
    reports: RwSignal<Option<Vec<ReportBody>>>,
    pending: RwSignal<bool>,
    problem: RwSignal<String>,
    lang: Lang,
) {
    pending.set(true);
    problem.set(String::new());
    spawn_local(async move {
        let key = api::random_uuid();
        let sent = api::send_report(&id, &key, lang).await;
        pending.set(false);
        match sent {
            Ok(sent) => {
                host::refresh_session();
                reports.update(|list| {
                    let found = list.iter_mut().flatten().find(|r| r.id == sent.id);
                    if let Some(r) = found {
                        *r = sent;
                    }
                });
            }
            Err(p) if p.session_ended() => host::navigate(Page::SessionEnded.path()),
            Err(p) => problem.set(p.title),
        }
    });
}

#[component]
fn ReportItem(r: ReportBody, reports: RwSignal<Option<Vec<ReportBody>>>) -> impl IntoView {
    let i18n = use_i18n();
    let failed = r.status == ReportStatusBody::Failed;
    let (pending, problem) = (RwSignal::new(false), RwSignal::new(String::new()));
    let id = r.id.clone();
    let patient = format!("{} {}", r.form.patient.first_name, r.form.patient.last_name);
    let patient =
        if patient.trim().is_empty() { "–".to_string() } else { patient.trim().to_string() };
    let (day, clock) = german_day_and_clock(r.updated_at);
    let draft = r.status == ReportStatusBody::Draft;
    let href = if draft {
        format!("{}?id={}", Page::Report.path(), r.id)
    } else {
        format!("/api/therapy-reports/{}/pdf", r.id)
    };
    let failure = r.failure.map(|f| f.message).unwrap_or_default();
    view! {
        <li class="report">
            <p><strong>{patient.clone()}</strong>" · "{i18n.tr(kind_text(r.form.kind))}</p>
            <p>{r.physician.name.unwrap_or_default()}</p>
            <p>
                <span class="status" class:failed=r.status == ReportStatusBody::Failed>{i18n.tr(status_text(r.status))}</span>
                " · "{i18n.tr(T::LastChange)}" "{format!("{day}, {clock}")}
            </p>
            <p class="error">{failure}</p>
            <p class="actions" hidden=!failed>
                <button type="button" class="secondary" disabled=move || pending.get()
                    on:click=move |_| send_again(id.clone(), reports, pending, problem, i18n.0.get_untracked())>
                    {i18n.tr(T::SendAgain)}<span class="visually-hidden">" – "{patient.clone()}</span>
                </button>
            </p>
            <p class="error" role="alert">{move || problem.get()}</p>
            <p class="note" hidden=!r.contents_expired>{i18n.tr(T::ContentsExpired)}</p>
            <p hidden=r.contents_expired>
                <a href=href target=if draft { "_self" } else { "_blank" }>
                    {i18n.tr(if draft { T::Edit } else { T::Document })}
                    <span class="visually-hidden">" – "{patient}</span>
                </a>
            </p>
        </li>
    }
}

// ---------------------------------------------------------------------------------------------
// The form.

/// What the form holds: the report, the physician picked, where it stands, what the server said.
#[derive(Clone, Copy)]
struct Editor {
    form: RwSignal<ReportForm>,
    physician: RwSignal<Option<ReportPhysicianBody>>,
    id: RwSignal<Option<String>>,
    /// Still a draft (or new): it may change.
    draft: RwSignal<bool>,
    /// The controls left once: only their problems show, until a send is tried.
    touched: RwSignal<Vec<&'static str>>,
    attempted: RwSignal<bool>,
    /// The server's last problem, with its field messages.
    problem: RwSignal<Option<Problem>>,
    /// The draft was just saved.
    saved: RwSignal<bool>,
    pending: RwSignal<bool>,
    /// The preview's address (a blob of the PDF); empty before one.
    preview: RwSignal<String>,
    /// The practice's own PDF, sent behind a cover instead of the report texts.
    attachment: RwSignal<Option<AttachmentBody>>,
    /// Every field at fault by the domain's rules, by its path in the saved form.
    checked: Memo<Vec<FormProblem>>,
}

impl Editor {
    fn new() -> Editor {
        let form = RwSignal::new(padded(ReportForm {
            kind: Some(ReportKind::Therapiebericht),
            ..ReportForm::default()
        }));
        let today = today();
        let attachment = RwSignal::new(None::<AttachmentBody>);
        Editor {
            form,
            physician: RwSignal::new(None),
            id: RwSignal::new(None),
            draft: RwSignal::new(true),
            touched: RwSignal::new(Vec::new()),
            attempted: RwSignal::new(false),
            problem: RwSignal::new(None),
            saved: RwSignal::new(false),
            pending: RwSignal::new(false),
            preview: RwSignal::new(String::new()),
            attachment,
            checked: Memo::new(move |_| {
                let own = attachment.with(Option::is_some);
                form.with(|f| cover(cleaned(f), own).complete(today).err().unwrap_or_default())
            }),
        }
    }

    fn load(self, report: ReportBody) {
        self.draft.set(report.status == ReportStatusBody::Draft);
        let picked = !report.physician.lanr.is_empty();
        self.physician.set(picked.then_some(report.physician));
        self.form.set(padded(report.form));
        self.attachment.set(report.attachment);
        self.id.set(Some(report.id));
    }

    fn get(self, path: &'static str) -> String {
        self.form.track();
        self.form.update_untracked(|f| match slot(f, path) {
            Some(Slot::Text(text)) => text.clone(),
            Some(Slot::Number(n)) => n.map(|n| n.to_string()).unwrap_or_default(),
            None => choice(f, path, None),
        })
    }

    fn set(self, path: &'static str, value: String) {
        self.saved.set(false);
        self.form.update(|f| match slot(f, path) {
            Some(Slot::Text(text)) => *text = value,
            Some(Slot::Number(n)) => {
                let digits: String = value.chars().filter(char::is_ascii_digit).take(4).collect();
                *n = digits.parse().ok();
            }
            None => {
                choice(f, path, Some(&value));
            }
        });
        // What the server said of this field no longer holds.
        let wire = self.form.with_untracked(|f| wire_path(f, path));
        self.problem.update(|p| {
            if let Some(p) = p {
                p.errors.retain(|e| Some(&e.field) != wire.as_ref());
            }
        });
    }

    fn touch(self, path: &'static str) {
        if !self.touched.with_untracked(|t| t.contains(&path)) {
            self.touched.update(|t| t.push(path));
        }
    }

    /// The problem to show at a control: the domain's rule first, then the server's word; only
    /// once the control was left or a send was tried.
    fn error(self, path: &'static str, lang: Lang) -> Option<String> {
        if !self.attempted.get() && !self.touched.with(|t| t.contains(&path)) {
            return None;
        }
        if path == "physician" {
            if self.physician.with(Option::is_none) {
                return Some(T::PhysicianMissing).map(|t| crate::i18n::text(lang, t).to_string());
            }
            return self.problem.with(|p| p.as_ref()?.field("physician"));
        }
        let wire = self.form.with(|f| wire_path(f, path));
        let group = group_of(path);
        let at = |p: &str| Some(p) == wire.as_deref() || Some(p) == group;
        self.checked
            .with(|problems| {
                problems.iter().find(|p| at(&p.path)).map(|p| p.error.message(lang).to_string())
            })
            .or_else(|| {
                self.problem.with(|p| {
                    let p = p.as_ref()?;
                    p.errors.iter().find(|e| at(&e.field)).map(|e| e.message.clone())
                })
            })
    }

    /// After a send or preview was refused: every problem shows, the first control at fault
    /// gets the focus.
    fn show_problems(self, lang: Lang) {
        self.attempted.set(true);
        if let Some(path) = ORDER.iter().find(|path| self.error(path, lang).is_some()) {
            let id = dom_id(path);
            set_timeout(move || focus(&id), std::time::Duration::from_millis(0));
        }
    }

    fn draft_body(self) -> ReportDraftBody {
        let physician = self.physician.with_untracked(|p| {
            p.as_ref()
                .map(|p| PhysicianRefBody { lanr: p.lanr.clone(), bsnr: p.bsnr.clone() })
                .unwrap_or_default()
        });
        ReportDraftBody { form: self.form.with_untracked(cleaned), physician, corrects: None }
    }

    /// Saves the report: a new draft with POST, then with PUT. The address names the draft from
    /// then on, so a reload finds it.
    async fn store(self, lang: Lang) -> Result<String, Problem> {
        let id = self.id.get_untracked();
        let saved = api::save_report(id.as_deref(), &self.draft_body(), lang).await?;
        if id.is_none()
            && let Some(history) = web_sys::window().and_then(|w| w.history().ok())
        {
            let address = format!("{}?id={}", Page::Report.path(), saved.id);
            let _ =
                history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&address));
        }
        self.id.set(Some(saved.id.clone()));
        Ok(saved.id)
    }

    /// A problem of a request: the session's end leads to its page, field messages to the
    /// fields, the rest shows above the form.
    fn refused(self, problem: Problem, lang: Lang, navigate: &impl Fn(&str)) {
        if problem.session_ended() {
            return navigate(Page::SessionEnded.path());
        }
        if problem.status == 409 {
            self.draft.set(false);
        }
        let fields = !problem.errors.is_empty();
        self.problem.set(Some(problem));
        if fields {
            self.show_problems(lang);
        }
    }
}

#[component]
pub fn Report() -> impl IntoView {
    ReportEditor()
}

/// What a button of the form does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Save,
    Preview,
    Send,
    Delete,
}

/// Runs a button's action: saves first (every action but deleting), then previews, sends or
/// deletes. One function for all four, so the wasm holds one copy of the request code.
fn act(ed: Editor, action: Action, lang: Lang, go: impl Fn(&str) + 'static) {
    ed.saved.set(false);
    if action == Action::Send
        && (!ed.checked.with_untracked(Vec::is_empty)
            || ed.physician.with_untracked(Option::is_none))
    {
        let title = crate::i18n::text(lang, T::CheckFields).to_string();
        ed.problem.set(Some(Problem { status: 422, title, ..Problem::default() }));
        ed.show_problems(lang);
        return;
    }
    let id = ed.id.get_untracked();
    if action == Action::Delete {
        let sure = web_sys::window()
            .and_then(|w| w.confirm_with_message(crate::i18n::text(lang, T::ConfirmDelete)).ok());
        if id.is_none() || sure != Some(true) {
            return;
        }
    }
    ed.pending.set(true);
    spawn_local(async move {
        let stored = match (action, id) {
            (Action::Delete, Some(id)) => Ok(id),
            _ => ed.store(lang).await,
        };
        let result = match stored {
            Err(p) => Err(p),
            Ok(id) => match action {
                Action::Save => Ok(()),
                Action::Delete => api::delete_report(&id, lang).await,
                Action::Preview => api::report_pdf(&id, lang).await.map(|blob| {
                    let url = api::object_url(&blob);
                    if let Some(window) = web_sys::window() {
                        let _ = window.open_with_url_and_target(&url, "_blank");
                    }
                    ed.preview.set(url);
                }),
                Action::Send => {
                    // One key for this click: a retry after a lost answer does not send twice.
                    let key = api::random_uuid();
                    let mut attempt = 0;
                    loop {
                        let sent = api::send_report(&id, &key, lang).await.map(drop);
                        attempt += 1;
                        match sent {
                            Err(p) if (p.status == 0 || p.status >= 500) && attempt < 3 => {
                                gloo_timers::future::TimeoutFuture::new(1000).await;
                            }
                            sent => break sent,
                        }
                    }
                }
            },
        };
        ed.pending.set(false);
        match result {
            Ok(()) => {
                ed.problem.set(None);
                host::refresh_session();
                match action {
                    Action::Save => ed.saved.set(true),
                    Action::Preview => {}
                    Action::Send | Action::Delete => go(Page::Reports.path()),
                }
            }
            Err(p) => ed.refused(p, lang, &go),
        }
    });
}

#[component]
fn ReportEditor() -> impl IntoView {
    let i18n = use_i18n();
    let ed = Editor::new();
    let go = host::navigate;
    let lang = move || i18n.0.get_untracked();
    // The practice's stamp, or why it is not there.
    let (stamp, practice_problem) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let query = RwSignal::new(String::new());
    if let Some(id) = host::query_id() {
        spawn_local(async move {
            match api::report(&id, lang()).await {
                Ok(report) => {
                    query.set(report.physician.name.clone().unwrap_or_default());
                    ed.load(report);
                }
                Err(p) => ed.refused(p, lang(), &go),
            }
        });
    }
    spawn_local(async move {
        match api::practice(lang()).await {
            Ok(p) => {
                stamp.set(format!("{}\n{}\n{} {}\nIK {}", p.name, p.strasse, p.plz, p.ort, p.ik))
            }
            Err(p) => practice_problem.set(p.title),
        }
    });
    let button = move |action: Action, label: T, class: &'static str| {
        let hidden = move || match action {
            Action::Send => {
                !ed.draft.get()
                    || ed
                        .physician
                        .with(|p| p.as_ref().is_some_and(|p| p.earztbrief == Some(false)))
            }
            Action::Delete => !ed.draft.get() || ed.id.with(Option::is_none),
            _ => !ed.draft.get(),
        };
        view! {
            <button type="button" class=class hidden=hidden disabled=move || ed.pending.get()
                on:click=move |_| act(ed, action, lang(), go)>{i18n.tr(label)}</button>
        }
    };
    view! {
        <h1>{move || if ed.id.get().is_some() { i18n.t(T::EditReport) } else { i18n.t(T::NewReport) }}</h1>
        <p><a href=Page::Reports.path()>{i18n.tr(T::ToList)}</a></p>
        <ProblemNotice problem=ed.problem />
        <p class="note" hidden=move || ed.draft.get()>{i18n.tr(T::NotADraft)}</p>
        <p class="note">{i18n.tr(T::Required)}</p>
        <form class="report-form" novalidate on:submit=|ev| ev.prevent_default()>
            <Group ed legend=T::ReportKindTitle specs=KIND_BLOCK />
            <section class="block" aria-labelledby="practice-title">
                <h2 id="practice-title">{i18n.tr(T::PracticeTitle)}</h2>
                <p class="hint">{i18n.tr(T::PracticeHint)}</p>
                <p class="stamp">{stamp}</p>
                <p class="problem" hidden=move || practice_problem.with(String::is_empty)>{practice_problem}</p>
            </section>
            <section class="block" aria-labelledby="physician-title">
                <h2 id="physician-title">{i18n.tr(T::PhysicianTitle)}</h2>
                <PhysicianPicker ed query />
            </section>
            <Group ed legend=T::PatientTitle specs=PATIENT />
            <Group ed legend=T::PrescriptionTitle specs=PRESCRIPTION />
            <Group ed legend=T::TreatmentTitle specs=TREATMENT />
            <OwnPdf ed />
            <Group ed legend=T::ReportTextTitle specs=TEXTS />
            <Group ed legend=T::RecommendationTitle specs=RECOMMENDATION />
            <Group ed legend=T::SpeechTitle specs=SPEECH />
            <Group ed legend=T::SpecialTitle specs=SPECIAL />
            <p role="status" class="ok notice">{move || if ed.saved.get() { i18n.t(T::DraftSaved) } else { "" }}</p>
            <div class="actions">
                {button(Action::Save, T::SaveDraft, "")}
                {button(Action::Preview, T::Preview, "secondary")}
                {button(Action::Send, T::SendReport, "")}
                {button(Action::Delete, T::Delete, "secondary")}
            </div>
            <p hidden=move || ed.preview.with(String::is_empty)>
                <a href=move || ed.preview.get() target="_blank">{i18n.tr(T::OpenPreview)}</a>
            </p>
        </form>
    }
}

/// One control of the form: its path, label, hint, kind (`text`, `date`, `textarea`, `select`
/// with its options), whether it may stay empty, whether it takes digits, and its row number.
#[derive(Clone, Copy)]
struct Spec {
    path: &'static str,
    label: T,
    hint: Option<T>,
    kind: &'static str,
    options: &'static [(&'static str, T)],
    optional: bool,
    numeric: bool,
    n: u8,
}

const fn text(path: &'static str, label: T) -> Spec {
    Spec {
        path,
        label,
        hint: None,
        kind: "text",
        options: &[],
        optional: false,
        numeric: false,
        n: 0,
    }
}

impl Spec {
    const fn hint(self, hint: T) -> Spec {
        Spec { hint: Some(hint), ..self }
    }
    const fn kind(self, kind: &'static str) -> Spec {
        Spec { kind, ..self }
    }
    const fn select(self, options: &'static [(&'static str, T)]) -> Spec {
        Spec { kind: "select", options, ..self }
    }
    const fn optional(self) -> Spec {
        Spec { optional: true, ..self }
    }
    const fn numeric(self) -> Spec {
        Spec { numeric: true, ..self }
    }
    const fn n(self, n: u8) -> Spec {
        Spec { n, ..self }
    }
}

const KIND_BLOCK: &[Spec] = &[
    text("area", T::AreaLabel).select(AREAS),
    text("kind", T::ReportKindLabel).hint(T::KindHint).select(KINDS),
];
const PATIENT: &[Spec] = &[
    text("patient.first_name", T::FirstName),
    text("patient.last_name", T::LastName),
    text("patient.birth_date", T::BirthDate).kind("date"),
    text("patient.kvnr", T::Kvnr).hint(T::KvnrHint),
    text("patient.insurer_ik", T::InsurerIk).hint(T::InsurerIkHint).numeric(),
];
const PRESCRIPTION: &[Spec] = &[
    text("prescription.date", T::PrescriptionDate).kind("date"),
    text("prescription.lanr", T::Lanr).hint(T::LanrHint).numeric(),
    text("prescription.bsnr", T::Bsnr).hint(T::BsnrHint).numeric(),
    text("prescription.diagnosis_group", T::DiagnosisGroup).hint(T::DiagnosisGroupHint),
    text("prescription.icd10[0]", T::Icd1).hint(T::IcdHint),
    text("prescription.icd10[1]", T::Icd2).optional(),
    text("prescription.remedies[0].name", T::Remedy).hint(T::RemedyHint).n(1),
    text("prescription.remedies[0].units", T::Units).numeric().n(1),
    text("prescription.remedies[1].name", T::Remedy).optional().n(2),
    text("prescription.remedies[1].units", T::Units).numeric().optional().n(2),
    text("prescription.remedies[2].name", T::Remedy).optional().n(3),
    text("prescription.remedies[2].units", T::Units).numeric().optional().n(3),
    text("prescription.remedies[3].name", T::Remedy).optional().n(4),
    text("prescription.remedies[3].units", T::Units).numeric().optional().n(4),
];
const TREATMENT: &[Spec] = &[
    text("treatment.first_date", T::FirstTreatment).kind("date"),
    text("treatment.last_date", T::LastTreatment).kind("date"),
    text("treatment.units_done", T::UnitsDone).numeric(),
];
const TEXTS: &[Spec] = &[
    text("findings", T::Findings).kind("textarea"),
    text("goals", T::Goals).kind("textarea"),
    text("measures", T::Measures).kind("textarea"),
    text("course", T::Course).kind("textarea"),
];
const RECOMMENDATION: &[Spec] = &[
    text("recommendation.kind", T::RecommendationTitle).select(RECOMMENDATIONS),
    text("recommendation.text", T::RecommendationText)
        .hint(T::RecommendationTextHint)
        .kind("textarea")
        .optional(),
];
const SPEECH: &[Spec] = &[
    text("speech.setting", T::Setting).select(SETTINGS),
    text("speech.sessions_per_week", T::SessionsPerWeek).numeric(),
    text("speech.home_visit", T::HomeVisit).select(YES_NO),
];
const SPECIAL: &[Spec] = &[
    text("compliance", T::Compliance).kind("textarea"),
    text("prognosis", T::Prognosis).kind("textarea"),
];

/// A block of the form with its legend.
#[component]
fn Group(ed: Editor, legend: T, specs: &'static [Spec]) -> impl IntoView {
    let i18n = use_i18n();
    // The speech and special blocks belong to their kind of report only.
    let hidden = move || {
        let kind = ed.form.with(|f| f.kind);
        match legend {
            T::SpeechTitle => kind != Some(ReportKind::Verordnungsbericht),
            T::SpecialTitle => kind != Some(ReportKind::BesondereAnforderung),
            _ => false,
        }
    };
    view! {
        <fieldset hidden=hidden>
            <legend>{i18n.tr(legend)}</legend>
            {specs.iter().map(|&spec| Control(ControlProps { ed, spec })).collect_view()}
        </fieldset>
    }
}

/// A labelled control of the report (input, text area with its counter, or choice) with its hint
/// and its problem, both announced with it. One component for all, reaching its value by path.
#[component]
fn Control(ed: Editor, spec: Spec) -> impl IntoView {
    let Spec { path, label, hint, kind, options, optional, numeric, n } = spec;
    let i18n = use_i18n();
    let id = dom_id(path);
    let error = Memo::new(move |_| ed.error(path, i18n.lang()));
    let textarea = kind == "textarea";
    let described = {
        let id = id.clone();
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(format!("{id}-hint"));
            }
            if textarea {
                ids.push(format!("{id}-count"));
            }
            if error.with(Option::is_some) {
                ids.push(format!("{id}-error"));
            }
            ids.join(" ")
        }
    };
    let invalid = move || error.with(Option::is_some).to_string();
    let input = move |ev| ed.set(path, event_target_value(&ev));
    let blur = move |_| ed.touch(path);
    let readonly = move || !ed.draft.get();
    let control = match kind {
        "textarea" => EitherOf3::A(view! {
            <textarea id=id.clone() name=id.clone() rows="6" required=!optional readonly=readonly
                prop:value=move || ed.get(path) on:input=input on:blur=blur
                aria-invalid=invalid aria-describedby=described></textarea>
        }),
        "select" => EitherOf3::B(view! {
            <select id=id.clone() name=id.clone() required=!optional disabled=readonly
                on:change=input on:blur=blur aria-invalid=invalid aria-describedby=described>
                <option value="" prop:selected=move || ed.get(path).is_empty()>{i18n.tr(T::Choose)}</option>
                {options.iter().map(|&(name, text)| view! {
                    <option value=name
                        disabled=move || path == "kind" && ed.form.with(|f| {
                            let kind = pick(&KIND_VALUES, KINDS, name);
                            matches!((kind, f.area), (Some(k), Some(a)) if !k.allowed_in(a))
                        })
                        prop:selected=move || ed.get(path) == name>{i18n.tr(text)}</option>
                }).collect_view()}
            </select>
        }),
        _ => EitherOf3::C(view! {
            <input id=id.clone() name=id.clone() type=kind required=!optional readonly=readonly
                autocomplete="off" inputmode=numeric.then_some("numeric")
                prop:value=move || ed.get(path) on:input=input on:blur=blur
                aria-invalid=invalid aria-describedby=described />
        }),
    };
    let number = if n > 0 { format!(" {n}") } else { String::new() };
    view! {
        <div class="field">
            <label for=id.clone()>{i18n.tr(label)}{number}{(!optional).then_some(" *")}</label>
            {hint.map(|hint| view! { <p class="hint" id=format!("{id}-hint")>{i18n.tr(hint)}</p> })}
            {control}
            {textarea.then(|| view! {
                <p class="counter" id=format!("{id}-count")>
                    {move || counter(ed.get(path).trim().chars().count(), i18n.lang())}
                </p>
            })}
            <p class="error" id=format!("{id}-error")>{move || error.get().unwrap_or_default()}</p>
        </div>
    }
}

/// The physician the report goes to, searched by name, LANR, BSNR or postcode: a combo box whose
/// results are chosen with the arrow keys and Enter (or a click).
#[component]
fn PhysicianPicker(ed: Editor, query: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let found = RwSignal::new(Vec::<PhysicianBody>::new());
    let open = RwSignal::new(false);
    let active = RwSignal::new(None::<usize>);
    let answered = RwSignal::new(false);
    let search_problem = RwSignal::new(String::new());
    let asked = StoredValue::new(0u32);
    let error = Memo::new(move |_| {
        ed.touched.track();
        ed.error("physician", i18n.lang())
            .or_else(|| Some(search_problem.get()).filter(|s| !s.is_empty()))
    });
    let search = move |ev| {
        let q: String = event_target_value(&ev);
        query.set(q.clone());
        let n = asked.get_value() + 1;
        asked.set_value(n);
        answered.set(false);
        if q.trim().chars().count() < 2 {
            found.set(Vec::new());
            open.set(false);
            return;
        }
        let lang = i18n.0.get_untracked();
        spawn_local(async move {
            // Asked once the typing pauses; an answer to an older question is dropped.
            gloo_timers::future::TimeoutFuture::new(250).await;
            if asked.get_value() != n {
                return;
            }
            let result = api::physicians(&q, lang).await;
            if asked.get_value() != n {
                return;
            }
            match result {
                Ok(list) => {
                    search_problem.set(String::new());
                    active.set(None);
                    open.set(!list.is_empty());
                    found.set(list);
                    answered.set(true);
                }
                Err(p) if p.status == 422 => found.set(Vec::new()),
                Err(p) => search_problem.set(p.title),
            }
        });
    };
    let choose = move |i: usize| {
        let Some(p) = found.with_untracked(|f| f.get(i).cloned()) else { return };
        query.set(p.name.clone());
        open.set(false);
        answered.set(false);
        ed.physician.set(Some(ReportPhysicianBody {
            lanr: p.lanr,
            bsnr: p.bsnr,
            name: Some(p.name),
            earztbrief: Some(p.earztbrief),
        }));
        ed.problem.update(|p| {
            if let Some(p) = p {
                p.errors.retain(|e| e.field != "physician");
            }
        });
    };
    let keys = move |ev: leptos::ev::KeyboardEvent| {
        let n = found.with_untracked(Vec::len);
        let at = active.get_untracked();
        match ev.key().as_str() {
            "ArrowDown" if n > 0 => {
                ev.prevent_default();
                open.set(true);
                active.set(Some(at.map_or(0, |i| (i + 1) % n)));
            }
            "ArrowUp" if n > 0 => {
                ev.prevent_default();
                open.set(true);
                active.set(Some(at.map_or(n - 1, |i| (i + n - 1) % n)));
            }
            "Enter" => {
                ev.prevent_default();
                if let (true, Some(i)) = (open.get_untracked(), at) {
                    choose(i);
                }
            }
            "Escape" => open.set(false),
            _ => {}
        }
    };
    let described = move || {
        let mut ids = String::from("physician-hint physician-chosen");
        if error.with(Option::is_some) {
            ids.push_str(" physician-error");
        }
        ids
    };
    let option_id = |i: usize| format!("physician-option-{i}");
    let chosen = move || {
        ed.physician.with(|p| {
            p.as_ref().map(|p| {
                let name = p.name.clone().unwrap_or_default();
                format!("{name} · LANR {} · BSNR {}", p.lanr, p.bsnr)
            })
        })
    };
    let no_letter =
        move || ed.physician.with(|p| p.as_ref().is_some_and(|p| p.earztbrief == Some(false)));
    view! {
        <div class="field combo">
            <label for="physician">{i18n.tr(T::PhysicianSearch)}" *"</label>
            <p class="hint" id="physician-hint">{i18n.tr(T::PhysicianHint)}</p>
            <input id="physician" name="physician" type="text" role="combobox" autocomplete="off"
                aria-autocomplete="list" aria-controls="physician-results"
                aria-expanded=move || open.get().to_string()
                aria-activedescendant=move || active.get().filter(|_| open.get()).map(option_id)
                aria-invalid=move || error.with(Option::is_some).to_string()
                aria-describedby=described
                readonly=move || !ed.draft.get()
                prop:value=move || query.get()
                on:input=search on:keydown=keys on:blur=move |_| ed.touch("physician") />
            <ul id="physician-results" role="listbox" aria-label=move || i18n.t(T::PhysicianResults).to_string() hidden=move || !open.get()>
                {move || found.get().into_iter().enumerate().map(|(i, p)| {
                    let no_letter = !p.earztbrief;
                    view! {
                        <li role="option" id=option_id(i)
                            aria-selected=move || (active.get() == Some(i)).to_string()
                            on:mousedown=|ev| ev.prevent_default()
                            on:click=move |_| choose(i)>
                            <strong>{p.name}</strong>{format!(" – {} {} · LANR {}", p.plz, p.ort, p.lanr)}
                            " "<span class="badge warn" hidden=!no_letter>{i18n.tr(T::NoEarztbrief)}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p role="status" class="note">
                {move || (answered.get() && found.with(Vec::is_empty)).then(|| i18n.t(T::NoPhysicianFound))}
            </p>
            <div id="physician-chosen">
                <p hidden=move || chosen().is_none()>
                    {i18n.tr(T::PhysicianChosen)}" "<strong>{chosen}</strong>" "
                    <span class="badge warn" hidden=move || !no_letter()>{i18n.tr(T::NoEarztbrief)}</span>
                </p>
                <p class="note" hidden=move || !no_letter()>{i18n.tr(T::PrintInstead)}</p>
            </div>
            <p class="error" id="physician-error">{move || error.get().unwrap_or_default()}</p>
        </div>
    }
}

/// The practice's own PDF instead of the report texts: chosen with a labelled file input,
/// uploaded at once (saving the draft first) with its progress, replaced or removed. The API's
/// problem (too large, not a PDF, encrypted, too many pages) shows at the field.
#[component]
fn OwnPdf(ed: Editor) -> impl IntoView {
    let i18n = use_i18n();
    // The file on its way: its name and size.
    let chosen = RwSignal::new(None::<(String, u64)>);
    // Percent sent.
    let progress = RwSignal::new(None::<u32>);
    let error = RwSignal::new(String::new());
    let input = NodeRef::<leptos::html::Input>::new();
    let lang = move || i18n.0.get_untracked();
    let pick = move |_| {
        let Some(element) = input.get_untracked() else { return };
        let Some(file) = element.files().and_then(|f| f.get(0)) else { return };
        // The same file again is a new choice.
        element.set_value("");
        upload(ed, file, chosen, progress, error, lang());
    };
    let replace = move |_| {
        if let Some(element) = input.get_untracked() {
            element.click();
        }
    };
    let remove = move |_| {
        let Some(id) = ed.id.get_untracked() else { return };
        ed.pending.set(true);
        error.set(String::new());
        spawn_local(async move {
            let result = api::remove_attachment(&id, lang()).await;
            ed.pending.set(false);
            match result {
                Ok(report) => {
                    ed.attachment.set(report.attachment);
                    set_timeout(|| focus("attachment"), std::time::Duration::from_millis(0));
                }
                Err(p) => shown_at_field(ed, p, error, lang()),
            }
        });
    };
    let described = move || {
        let mut ids = String::from("attachment-hint attachment-state");
        if error.with(|e| !e.is_empty()) {
            ids.push_str(" attachment-error");
        }
        ids
    };
    let has = move || ed.attachment.with(Option::is_some);
    let uploaded = move || {
        ed.attachment.get().map(|a| {
            let size = file_size(a.bytes, i18n.lang());
            format!("{} ({size}, {} {})", a.name, a.pages, i18n.t(T::OwnPdfPages))
        })
    };
    let on_way = move || {
        chosen.get().map(|(name, bytes)| format!("{name} ({})", file_size(bytes, i18n.lang())))
    };
    view! {
        <fieldset class="own-pdf" hidden=move || !ed.draft.get() && !has()>
            <legend>{i18n.tr(T::OwnPdfTitle)}</legend>
            <p class="hint" id="attachment-hint">{i18n.tr(T::OwnPdfHint)}</p>
            <div class="field" hidden=move || !ed.draft.get()>
                <label for="attachment">{i18n.tr(T::OwnPdfLabel)}</label>
                <input id="attachment" name="attachment" type="file" accept="application/pdf,.pdf"
                    node_ref=input disabled=move || ed.pending.get()
                    aria-invalid=move || error.with(|e| !e.is_empty()).to_string()
                    aria-describedby=described on:change=pick />
            </div>
            <div id="attachment-state" role="status">
                <p hidden=move || progress.with(Option::is_none)>
                    {on_way}" – "{i18n.tr(T::OwnPdfUploading)}" "
                    <progress max="100" value=move || progress.get().unwrap_or(0).to_string()
                        aria-label=move || i18n.t(T::OwnPdfUploading).to_string()></progress>
                </p>
                <p hidden=move || !has()>{i18n.tr(T::OwnPdfUploaded)}" "<strong class="attachment-name">{uploaded}</strong></p>
            </div>
            <p class="error" id="attachment-error">{move || error.get()}</p>
            <p class="actions" hidden=move || !has() || !ed.draft.get()>
                <button type="button" class="secondary" disabled=move || ed.pending.get() on:click=replace>{i18n.tr(T::OwnPdfReplace)}</button>
                <button type="button" class="secondary" disabled=move || ed.pending.get() on:click=remove>{i18n.tr(T::OwnPdfRemove)}</button>
            </p>
        </fieldset>
    }
}

/// Saves the draft (an upload needs its id), then uploads the file.
fn upload(
    ed: Editor,
    file: web_sys::File,
    chosen: RwSignal<Option<(String, u64)>>,
    progress: RwSignal<Option<u32>>,
    error: RwSignal<String>,
    lang: Lang,
) {
    chosen.set(Some((file.name(), file.size() as u64)));
    error.set(String::new());
    progress.set(Some(0));
    ed.pending.set(true);
    spawn_local(async move {
        let result = match ed.store(lang).await {
            Ok(id) => {
                api::upload_attachment(&id, &file, lang, move |share| progress.set(Some(share)))
                    .await
            }
            Err(p) => Err(p),
        };
        ed.pending.set(false);
        progress.set(None);
        chosen.set(None);
        match result {
            Ok(report) => {
                ed.attachment.set(report.attachment);
                host::refresh_session();
            }
            Err(p) => shown_at_field(ed, p, error, lang),
        }
    });
}

/// A problem of the upload: the file's at the field (and the focus there, once the field is
/// enabled again), the rest as the form shows any.
fn shown_at_field(ed: Editor, problem: Problem, error: RwSignal<String>, lang: Lang) {
    let message = match problem.field("attachment") {
        Some(message) => message,
        None if problem.session_ended() || !problem.errors.is_empty() || problem.status == 409 => {
            return ed.refused(problem, lang, &host::navigate);
        }
        None => problem.title,
    };
    error.set(message);
    set_timeout(|| focus("attachment"), std::time::Duration::from_millis(0));
}
