//! The ids of stored things, as types: a letter's, a challenge's and a query's are ULIDs (they
//! sort by creation); a session is known to the store only by the SHA-256 of its cookie. Each is
//! parsed once, where it enters (a request, a stored row), and cannot hold anything else.

use std::fmt;

use ulid::Ulid;

macro_rules! ulid_id {
    ($(#[doc = $doc:literal])* $name:ident) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Ulid);

        impl $name {
            /// A new id, later than every one made before in this process.
            pub fn new() -> $name {
                $name(next_ulid())
            }

            /// `None` for anything but a ULID (a 3 kB string, say, that DynamoDB would refuse as
            /// a key).
            pub fn parse(text: &str) -> Option<$name> {
                Ulid::from_string(text).ok().map($name)
            }
        }

        impl Default for $name {
            fn default() -> $name {
                $name::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

ulid_id! {
    /// A letter: names its outbox file and is the message's idempotency key.
    LetterId
}
ulid_id! {
    /// A proof-of-work challenge.
    ChallengeId
}
ulid_id! {
    /// A therapy report: names it in the API, in the KIM message's id and in the logs.
    ReportId
}
ulid_id! {
    /// An answered exemption query: printed on the result, kept in the audit log.
    QueryId
}
ulid_id! {
    /// A registered client of the machine API (its OAuth2 `client_id`).
    ClientId
}

/// Ids sort in the order they were made, also within one millisecond (a registration makes two
/// letters): ULIDs from one monotonic generator.
fn next_ulid() -> Ulid {
    static GENERATOR: std::sync::Mutex<Option<ulid::Generator>> = std::sync::Mutex::new(None);
    let mut generator = GENERATOR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let generator = generator.get_or_insert_with(ulid::Generator::new);
    generator.generate().unwrap_or_else(|_| Ulid::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_made_in_order_and_read_back_only_from_their_own_form() {
        let (first, second) = (LetterId::new(), LetterId::new());
        assert!(first < second);
        assert_eq!(LetterId::parse(&first.to_string()), Some(first));
        assert_eq!(ChallengeId::parse(&"x".repeat(3000)), None);
        assert_eq!(QueryId::parse("01JD"), None);
    }
}
