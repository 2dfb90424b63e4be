use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING,
    EcdsaKeyPair, KeyPair as _, UnparsedPublicKey,
};

use super::*;

fn hex(text: &str) -> Vec<u8> {
    let text: String = text.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

/// DER of `SEQUENCE { INTEGER r, INTEGER s }` from the integers' content bytes as given.
fn der(r: &[u8], s: &[u8]) -> Vec<u8> {
    let mut body = vec![0x02, r.len() as u8];
    body.extend_from_slice(r);
    body.extend_from_slice(&[0x02, s.len() as u8]);
    body.extend_from_slice(s);
    let mut der = vec![0x30, body.len() as u8];
    der.extend(body);
    der
}

// RFC 6979, A.2.5: ECDSA over P-256 with SHA-256, the message "sample".
const RFC6979_UX: &str = "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6";
const RFC6979_UY: &str = "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299";
const RFC6979_R: &str = "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716";
const RFC6979_S: &str = "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8";

#[test]
fn the_rfc_6979_signature_in_der_becomes_r_and_s_and_verifies_as_jose() {
    let (r, s) = (hex(RFC6979_R), hex(RFC6979_S));
    // Both have the top bit set: DER puts a zero byte before each (0x21 = 33 bytes).
    let mut with_sign_bytes = vec![0];
    with_sign_bytes.extend(&r);
    let mut s_with_sign_byte = vec![0];
    s_with_sign_byte.extend(&s);
    let der = der(&with_sign_bytes, &s_with_sign_byte);
    assert_eq!(&der[..5], &[0x30, 0x46, 0x02, 0x21, 0x00]);

    let jose = jose_signature(&der).unwrap();
    assert_eq!(&jose[..32], &r[..]);
    assert_eq!(&jose[32..], &s[..]);
    let mut point = vec![0x04];
    point.extend(hex(RFC6979_UX));
    point.extend(hex(RFC6979_UY));
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
        .verify(b"sample", &jose)
        .expect("the RFC's signature verifies in JOSE form");
}

#[test]
fn short_integers_are_padded_to_32_bytes_each() {
    // r = 0x0100 (two bytes), s = 0x80 (needs its sign byte).
    let jose = jose_signature(&der(&[0x01, 0x00], &[0x00, 0x80])).unwrap();
    let mut expected = [0u8; 64];
    expected[30] = 0x01;
    expected[63] = 0x80;
    assert_eq!(jose, expected);
}

#[test]
fn ring_signatures_in_der_convert_to_what_the_fixed_form_verifies() {
    let random = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &random).unwrap();
    let der_signer =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &random).unwrap();
    let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, der_signer.public_key().as_ref());
    // Enough signatures that some r or s has a leading zero byte (each about 1 in 256) or none
    // needs the sign byte; every one converts and verifies.
    for i in 0..400u32 {
        let message = format!("eyJhbGciOiJFUzI1NiJ9.{i}");
        let der = der_signer.sign(&random, message.as_bytes()).unwrap();
        let jose =
            jose_signature(der.as_ref()).unwrap_or_else(|e| panic!("{e}: {:?}", der.as_ref()));
        public.verify(message.as_bytes(), &jose).expect("verifies");
    }
}

#[test]
fn what_is_not_strict_der_of_two_positive_integers_is_refused() {
    let r = hex(RFC6979_R);
    let mut signed_r = vec![0];
    signed_r.extend(&r);
    let good = der(&signed_r, &[0x01]);
    assert!(jose_signature(&good).is_ok());
    let refused = |bytes: &[u8]| jose_signature(bytes).unwrap_err();
    // r without its sign byte reads as negative.
    assert_eq!(refused(&der(&r, &[0x01])), Malformed("a negative integer"));
    assert_eq!(
        refused(&der(&[0x00, 0x01], &[0x01])),
        Malformed("an integer not minimally encoded")
    );
    assert_eq!(refused(&der(&[0x00], &[0x01])), Malformed("a zero integer"));
    assert_eq!(refused(&der(&[], &[0x01])), Malformed("an empty integer"));
    let mut long = vec![0x01];
    long.extend(&r);
    assert_eq!(refused(&der(&long, &[0x01])), Malformed("an integer longer than 32 bytes"));
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(jose_signature(&trailing).is_err());
    let mut inner_trailing = der(&signed_r, &[0x01, 0x02]);
    inner_trailing[1] += 1;
    inner_trailing.push(0);
    assert_eq!(refused(&inner_trailing), Malformed("bytes after s"));
    assert!(jose_signature(&good[..good.len() - 1]).is_err());
    assert!(jose_signature(&[]).is_err());
    // Already r ‖ s, as a caller might mistake it for DER.
    assert!(jose_signature(&[0x11; 64]).is_err());
}

// A P-256 key made with `openssl ecparam -name prime256v1 -genkey`, its public key exported with
// `openssl ec -pubout -outform DER`, and the point as `openssl ec -text` prints it.
const OPENSSL_SPKI: &str = "3059301306072a8648ce3d020106082a8648ce3d03010703420004114fa9956d7c689081b5f690b408ca61845dc835235c872b6bb2f945d89c6fc9e56ccf249b3f07e5471faf0ffae27a8a9ecc9581d26b3e3af1fc0ae354e5a6f5";
const OPENSSL_POINT: &str = "04:11:4f:a9:95:6d:7c:68:90:81:b5:f6:90:b4:08:ca:61:84:5d:c8:35:23:5c:87:2b:6b:b2:f9:45:d8:9c:6f:c9:e5:6c:cf:24:9b:3f:07:e5:47:1f:af:0f:fa:e2:7a:8a:9e:cc:95:81:d2:6b:3e:3a:f1:fc:0a:e3:54:e5:a6:f5";

#[test]
fn the_jwk_of_an_spki_carries_the_points_coordinates() {
    let (kid, jwk) = jwk_of_spki(TOKEN_KEY_PREFIX, &hex(OPENSSL_SPKI)).unwrap();
    let point = hex(OPENSSL_POINT);
    let json = serde_json::to_value(&jwk).unwrap();
    assert_eq!(json["kty"], "EC");
    assert_eq!(json["crv"], "P-256");
    assert_eq!(json["alg"], "ES256");
    assert_eq!(json["use"], "sig");
    assert_eq!(json["kid"], kid.as_str());
    assert_eq!(URL_SAFE_NO_PAD.decode(json["x"].as_str().unwrap()).unwrap(), &point[1..33]);
    assert_eq!(URL_SAFE_NO_PAD.decode(json["y"].as_str().unwrap()).unwrap(), &point[33..]);
    assert_eq!(kid, key_id(TOKEN_KEY_PREFIX, &point));
    assert!(kid.starts_with("es256-") && kid.len() == "es256-".len() + 16, "{kid}");
}

#[test]
fn other_keys_than_p256_are_refused() {
    // secp384r1, from openssl the same way.
    let p384 = hex(
        "3076301006072a8648ce3d020106052b81040022036200045c9157f9e141eed030ed14e7320473d970d215bc21de7dd55159c8f8890f215533d5fc3357d9407ef38badfc9f9f7b20b7a56a89b3da73b676ac2abbc1d898ebc981bc36b6566069a0acedb125cadca6f1207c03975440bdb1ea4656b92a64d3",
    );
    assert!(jwk_of_spki(TOKEN_KEY_PREFIX, &p384).is_err());
    let spki = hex(OPENSSL_SPKI);
    assert!(jwk_of_spki(TOKEN_KEY_PREFIX, &spki[..spki.len() - 1]).is_err());
    let mut compressed = spki.clone();
    compressed[26] = 0x02;
    assert!(jwk_of_spki(TOKEN_KEY_PREFIX, &compressed).is_err());
    assert!(jwk_of_spki(TOKEN_KEY_PREFIX, &[]).is_err());
}

/// The KMS key is named and published as the local key file would name and publish the same
/// key: a `kid` and the JWKS do not depend on where the key is kept.
#[test]
fn the_kid_and_jwk_are_those_the_key_file_gives_the_same_key() {
    use portal_store_embedded::FileTokenKey;
    assert_eq!(TOKEN_KEY_PREFIX, portal_store_embedded::TOKEN_KEY_PREFIX);
    assert_eq!(PROOF_KEY_PREFIX, portal_store_embedded::PROOF_KEY_PREFIX);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token-key.pk8");
    let random = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &random).unwrap();
    std::fs::write(&path, pkcs8.as_ref()).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &random)
        .unwrap();
    let mut spki = P256_SPKI_PREFIX.to_vec();
    spki.extend_from_slice(pair.public_key().as_ref());

    for (prefix, file) in [
        (TOKEN_KEY_PREFIX, FileTokenKey::open_or_create(&path).unwrap()),
        (PROOF_KEY_PREFIX, FileTokenKey::open_or_create_as(&path, PROOF_KEY_PREFIX).unwrap()),
    ] {
        let (kid, jwk) = jwk_of_spki(prefix, &spki).unwrap();
        assert_eq!(kid, file.key_id());
        let from_file = serde_json::to_value(file.public_keys()).unwrap();
        let ours = serde_json::to_value(JwkSet { keys: vec![jwk] }).unwrap();
        assert_eq!(ours, from_file, "{prefix}");
    }
}
