//! What proves the second factor in a request: a code, a recovery code or a passkey's answer,
//! read from the body's fields (for the second step, removals and password changes alike).

use portal_core::accounts::SecondFactorProof;
use portal_wire::{PasskeyAnswer, WebAuthnJson};

use crate::errors::RequestError;

/// A code or a recovery code, exactly one of them.
pub(crate) fn proof_of<'a>(
    code: Option<&'a str>,
    recovery_code: Option<&'a str>,
) -> Result<SecondFactorProof<'a>, RequestError> {
    match (code, recovery_code) {
        (Some(code), None) => Ok(SecondFactorProof::Code(code)),
        (None, Some(recovery)) => Ok(SecondFactorProof::RecoveryCode(recovery)),
        _ => Err(RequestError::FieldRequired("code")),
    }
}

/// A passkey's answer: the ceremony's state and the browser's credential, both needed.
pub(crate) fn passkey_proof(answer: &PasskeyAnswer) -> Result<SecondFactorProof<'_>, RequestError> {
    passkey_of(&answer.state, &answer.credential)
}

pub(crate) fn passkey_of<'a>(
    state: &'a str,
    credential: &'a WebAuthnJson,
) -> Result<SecondFactorProof<'a>, RequestError> {
    let (state, credential) = passkey_answer(state, credential)?;
    Ok(SecondFactorProof::Passkey { state, credential })
}

/// The ceremony's state and the browser's credential (as JSON text), both needed.
pub(crate) fn passkey_answer<'a>(
    state: &'a str,
    credential: &'a WebAuthnJson,
) -> Result<(&'a str, &'a str), RequestError> {
    if state.trim().is_empty() {
        return Err(RequestError::FieldRequired("state"));
    }
    if !credential.is_object() {
        return Err(RequestError::FieldRequired("credential"));
    }
    Ok((state, credential.get()))
}
