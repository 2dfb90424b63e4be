//! `portal import providers|exemptions FILE`: the import use case with a progress bar on a
//! terminal and every rejected row on stderr as it is found.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use portal_core::import::{
    ImportObserver, ImportReport, Progress, RejectedRow, import_exemptions, import_physicians,
    import_providers,
};
use portal_domain::Lang;

use crate::stores::Stores;

#[derive(Debug, Clone, Copy)]
pub enum What {
    Providers,
    Physicians,
    Exemptions { replace_year: Option<i32> },
}

pub async fn run(
    stores: &Stores,
    what: What,
    path: &Path,
    lang: Lang,
) -> anyhow::Result<ImportReport> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let input = BufReader::with_capacity(256 * 1024, file);
    let mut observer = Terminal::new(size, lang);
    let report = match what {
        What::Providers => import_providers(stores.providers.as_ref(), input, &mut observer).await,
        What::Physicians => {
            import_physicians(stores.physicians.as_ref(), input, &mut observer).await
        }
        What::Exemptions { replace_year } => {
            import_exemptions(stores.exemptions.as_ref(), input, replace_year, &mut observer).await
        }
    };
    observer.bar.finish_and_clear();
    report.map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.describe(lang)))
}

struct Terminal {
    bar: ProgressBar,
    lang: Lang,
}

impl Terminal {
    fn new(size: u64, lang: Lang) -> Terminal {
        // indicatif draws only when stderr is a terminal, so logs and pipes stay clean.
        let bar = ProgressBar::new(size);
        let template = "{bar:40.cyan/blue} {bytes}/{total_bytes} {msg} ({eta})";
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        Terminal { bar, lang }
    }
}

impl ImportObserver for Terminal {
    fn rejected(&mut self, row: &RejectedRow) {
        let line = row.describe(self.lang);
        self.bar.suspend(|| eprintln!("{line}"));
    }

    fn progress(&mut self, progress: Progress) {
        self.bar.set_position(progress.bytes_read);
        self.bar.set_message(match self.lang {
            Lang::De => format!("{} Zeilen", progress.rows_imported),
            Lang::En => format!("{} rows", progress.rows_imported),
        });
    }
}
