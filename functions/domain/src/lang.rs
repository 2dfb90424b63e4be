/// The languages the portal speaks. German is the default for every user-facing text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    De,
    En,
}

impl Lang {
    /// Picks the language from an `Accept-Language` header: the supported tag with the highest
    /// weight wins, German when none is supported.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(Lang, f32)> = None;
        for entry in header.split(',') {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("de") => Lang::De,
                Some("en") => Lang::En,
                _ => continue,
            };
            if weight > 0.0 && best.is_none_or(|(_, w)| weight > w) {
                best = Some((lang, weight));
            }
        }
        best.map(|(lang, _)| lang).unwrap_or_default()
    }

    pub fn tag(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }
}

/// A count with its noun in the number German and English need: "1 Zeile", "3 Zeilen".
pub fn counted(n: u64, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

/// An error a person gets to see: a stable machine `code` and a message in their language.
pub trait UserFacing {
    /// A stable word for programs (`invalid_kvnr`); never changes once published.
    fn code(&self) -> &'static str;
    /// One sentence for people, in plain words.
    fn message(&self, lang: Lang) -> &'static str;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_is_the_default_without_a_supported_language() {
        assert_eq!(Lang::from_accept_language(""), Lang::De);
        assert_eq!(Lang::from_accept_language("fr-FR, it"), Lang::De);
    }

    #[test]
    fn the_highest_weighted_supported_language_wins() {
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr, en;q=0.5, de;q=0.8"), Lang::De);
        assert_eq!(Lang::from_accept_language("de;q=0.1, EN-us;q=0.7"), Lang::En);
        assert_eq!(Lang::from_accept_language("en;q=0, de;q=0.2"), Lang::De);
    }
}
