//! The content folder (`PORTAL_CONTENT_DIR`, default `content`): read for `portal serve`, and
//! checked by `portal content check`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use portal_core::Tenants;
use portal_core::content::{self, ContentFile, ContentLibrary, ContentSet};
use portal_domain::Lang;

/// `pages/*.md` and `tenants/<slug>/*.md` under `dir`, in name order; paths relative to `dir`.
/// A folder that does not exist holds no pages.
pub fn read_set(dir: &Path) -> anyhow::Result<ContentSet> {
    let mut set = ContentSet { pages: read_pages(dir, "pages")?, tenants: BTreeMap::new() };
    let tenants = dir.join("tenants");
    if tenants.is_dir() {
        for entry in sorted_entries(&tenants)? {
            if entry.is_dir() {
                let name = entry.file_name().unwrap_or_default().to_string_lossy().to_string();
                let files = read_pages(dir, &format!("tenants/{name}"))?;
                set.tenants.insert(name, files);
            }
        }
    }
    Ok(set)
}

fn sorted_entries(dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("cannot read {}", dir.display()))?;
    entries.sort();
    Ok(entries)
}

fn read_pages(dir: &Path, folder: &str) -> anyhow::Result<Vec<ContentFile>> {
    let path = dir.join(folder);
    if !path.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in sorted_entries(&path)? {
        let name = entry.file_name().unwrap_or_default().to_string_lossy().to_string();
        // Every Markdown file is a page; anything else (an image, a note) is not read.
        if !entry.is_file() || !name.ends_with(".md") {
            continue;
        }
        let text = std::fs::read_to_string(&entry)
            .with_context(|| format!("cannot read {} (UTF-8 Markdown)", entry.display()))?;
        files.push(ContentFile { path: format!("{folder}/{name}"), text });
    }
    Ok(files)
}

/// Every tenant's pages from `dir`; a problem in any page stops the start with the list.
pub fn libraries(
    dir: &Path,
    tenants: &Tenants,
) -> anyhow::Result<BTreeMap<String, ContentLibrary>> {
    let set = read_set(dir)?;
    if set.pages.is_empty() && set.tenants.is_empty() {
        tracing::warn!(dir = %dir.display(), "no information pages: the content folder is empty or missing");
    }
    ContentLibrary::for_tenants(&set, tenants.iter().map(|t| t.slug.as_str())).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(|p| p.message(Lang::En)).collect();
        anyhow::anyhow!(
            "the information pages in {} are not usable (`portal content check`):\n{}",
            dir.display(),
            list.join("\n")
        )
    })
}

/// `portal content check DIR`: the report, and whether all is well.
pub fn check(dir: &Path, lang: Lang) -> anyhow::Result<(String, bool)> {
    if !dir.is_dir() {
        anyhow::bail!("{} is not a folder", dir.display());
    }
    let set = read_set(dir)?;
    let count = set.pages.len() + set.tenants.values().map(Vec::len).sum::<usize>();
    let problems = content::check(&set);
    if problems.is_empty() {
        let report = match lang {
            Lang::De => format!("{count} Seiten geprüft: alles in Ordnung."),
            Lang::En => format!("{count} pages checked: all is well."),
        };
        return Ok((report, count > 0));
    }
    let mut report: Vec<String> = problems.iter().map(|p| p.message(lang)).collect();
    report.push(match lang {
        Lang::De => format!("{} Fehler in {count} Seiten.", problems.len()),
        Lang::En => format!("{} problems in {count} pages.", problems.len()),
    });
    Ok((report.join("\n"), false))
}
