//! Who is asking, for the per-client rations: the address a trusted proxy names, or the
//! connection's peer.

use std::net::{Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use portal_domain::ClientAddress;
use subtle::ConstantTimeEq as _;

use crate::AppState;

/// The header a proxy in front sends only to prove that the request came through it.
pub const ORIGIN_VERIFY: &str = "x-origin-verify";

/// The client's address. Never fails: a request whose address cannot be told shares one ration
/// with all such requests.
#[derive(Debug, Clone, Copy)]
pub struct Client(pub ClientAddress);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let from_proxy = state
            .client_address_header
            .as_deref()
            .filter(|_| came_through_proxy(&parts.headers, state.origin_secret.as_deref()))
            .and_then(|name| parts.headers.get(name))
            .and_then(|value| value.to_str().ok())
            .and_then(ClientAddress::parse);
        let peer = || {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| ClientAddress::of(info.0.ip()))
        };
        Ok(Client(
            from_proxy.or_else(peer).unwrap_or(ClientAddress::of(Ipv4Addr::UNSPECIFIED.into())),
        ))
    }
}

/// Only requests that carry the secret the proxy adds (the settings refuse a header without a
/// secret; without one, nobody's word is taken).
pub(crate) fn came_through_proxy(headers: &HeaderMap, secret: Option<&str>) -> bool {
    let Some(secret) = secret else { return false };
    headers
        .get(ORIGIN_VERIFY)
        .is_some_and(|sent| bool::from(sent.as_bytes().ct_eq(secret.as_bytes())))
}
