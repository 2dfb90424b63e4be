//! The eTherapiebericht: the physicians a report can go to.

use serde::{Deserialize, Serialize};

/// One physician at one practice site (`GET /api/physicians`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhysicianBody {
    /// Lebenslange Arztnummer, 9 digits.
    pub lanr: String,
    /// Betriebsstättennummer, 9 digits.
    pub bsnr: String,
    pub name: String,
    pub plz: String,
    pub ort: String,
    /// The practice receives eArztbriefe over KIM; without, the app offers a letter to print.
    pub earztbrief: bool,
}
