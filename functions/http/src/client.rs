//! Who is asking, for the per-client rations: the address a trusted proxy names, or the
//! connection's peer.

use std::net::{Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
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
        let header = state.client_address_header.as_deref();
        let from_proxy = proxy_header(&parts.headers, header, state.origin_secret.as_deref())
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

/// The header `name` a trusted proxy sets, on requests that carry the secret the proxy adds (the
/// settings refuse a header without a secret; without one, nobody's word is taken).
pub(crate) fn proxy_header<'h>(
    headers: &'h HeaderMap,
    name: Option<&str>,
    secret: Option<&str>,
) -> Option<&'h HeaderValue> {
    let (name, secret) = (name?, secret?);
    let sent = headers.get(ORIGIN_VERIFY)?;
    bool::from(sent.as_bytes().ct_eq(secret.as_bytes())).then(|| headers.get(name)).flatten()
}
