#!/usr/bin/env python3
"""An example client of the portal's machine API (FHIR R4, SMART Backend Services).

Pharmacy or practice software asks whether a patient is exempt from co-payments
(Zuzahlungsbefreiung, § 62 SGB V), and checks the signed proof that comes with the answer.
It needs only PyJWT and cryptography (pip install pyjwt cryptography) and the standard library.

    # 1. Make a key pair (kept in key.pem) and print the public JWKS; the insurer's back office
    #    registers it: portal clients add <IK> --jwks jwks.json  ->  prints the client id.
    python3 client.py jwks --key key.pem --kid my-pharmacy-2026 > jwks.json

    # 2. Get a token, ask for a KVNR, print the status, check the proof.
    python3 client.py ask --base https://portal.example --key key.pem --kid my-pharmacy-2026 \\
        --client-id <client id> --kvnr A123456780 [--dispensing-date 2026-03-14]

Exit codes of `ask`: 0 answered and the proof is genuine and in the audit log; 1 otherwise.
See docs/machine-api.md.
"""

import argparse
import base64
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

KVID_10 = "http://fhir.de/sid/gkv/kvid-10"
ZUZAHLUNGSSTATUS = "http://fhir.de/StructureDefinition/gkv/zuzahlungsstatus"
SCOPE = "system/Coverage.rs"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def load_or_make_key(path):
    """The client's P-256 private key from a PEM file; made (mode 600) if there is none."""
    try:
        with open(path, "rb") as file:
            return serialization.load_pem_private_key(file.read(), password=None)
    except FileNotFoundError:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
            file.write(pem)
        return key


def public_jwks(key, kid):
    """The public half as a JWKS: what the insurer registers for this client."""
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": "ES256"})
    return {"keys": [jwk]}


def call(method, url, data=None, headers=None):
    """(status, parsed JSON body) of an HTTP request; error statuses are answers too."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def get_token(base, key, kid, client_id):
    """An access token (5 minutes) for a fresh client assertion (RFC 7523, private_key_jwt)."""
    _, smart = call("GET", f"{base}/fhir/.well-known/smart-configuration")
    # `aud` is the token endpoint exactly as the portal names it (its public address).
    token_url = smart["token_endpoint"]
    now = int(time.time())
    assertion = jwt.encode(
        {
            "iss": client_id,
            "sub": client_id,
            "aud": token_url,
            "iat": now,
            "exp": now + 240,  # at most 5 minutes ahead
            "jti": str(uuid.uuid4()),  # new for every assertion: each works once
        },
        key,
        algorithm="ES256",
        headers={"kid": kid},
    )
    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion,
            "scope": SCOPE,
        }
    ).encode()
    # Sent to the portal as reached (--base), which is the token endpoint's address in production.
    path = urllib.parse.urlsplit(token_url).path
    status, body = call(
        "POST", f"{base}{path}", form, {"content-type": "application/x-www-form-urlencoded"}
    )
    if status != 200:
        sys.exit(f"token refused: {status} {body}")
    return body


def search(base, token, kvnr, consent, dispensing_date):
    """The Coverage search, form-encoded: the KVNR never appears in a URL."""
    params = {"beneficiary:identifier": f"{KVID_10}|{kvnr}", "einwilligung": consent}
    if dispensing_date:
        params["dispensing-date"] = dispensing_date
    return call(
        "POST",
        f"{base}/fhir/Coverage/_search",
        urllib.parse.urlencode(params).encode(),
        {
            "authorization": f"Bearer {token}",
            "accept": "application/fhir+json",
            "content-type": "application/x-www-form-urlencoded",
        },
    )


def print_status(bundle):
    coverages = [e["resource"] for e in bundle.get("entry", [])
                 if e["resource"]["resourceType"] == "Coverage"]
    if not coverages:
        print("no record: no co-payment exemption on file (kein Treffer)")
    for coverage in coverages:
        status = {}
        for extension in coverage.get("extension", []):
            if extension["url"] == ZUZAHLUNGSSTATUS:
                status = {part["url"]: part for part in extension["extension"]}
        year = coverage["period"]["start"][:4]
        if status["status"]["valueBoolean"]:
            until = status["gueltigBis"]["valueDate"]
            print(f"{year}: exempt (befreit) from {coverage['period']['start']} until {until}")
        else:
            print(f"{year}: not exempt (nicht befreit)")


def proof_of(bundle):
    """The signed proof: the Provenance's signature (application/jose), base64-decoded."""
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Provenance":
            signature = resource["signature"][0]
            assert signature["sigFormat"] == "application/jose"
            return base64.b64decode(signature["data"]).decode()
    sys.exit("the answer carries no proof")


def check_offline(base, proof, kvnr):
    """Checks the proof with the portal's published keys, as anyone can, years later."""
    _, jwks = call("GET", f"{base}/oauth/jwks.json")
    header = jwt.get_unverified_header(proof)
    if header.get("typ") != "zuzahlungsnachweis+jwt":
        return None
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(proof, jwt.PyJWK(jwk).key, algorithms=["ES256"])
    salt = base64.urlsafe_b64decode(claims["kvnr_salt"] + "==")
    digest = hashlib.sha256(salt + kvnr.encode()).digest()
    hashed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return claims if hashed == claims["kvnr_sha256"] else None


def ask(args):
    key = load_or_make_key(args.key)
    base = args.base.rstrip("/")
    token = get_token(base, key, args.kid, args.client_id)
    print(f"token: ok, expires in {token['expires_in']} s, scope {token['scope']}")
    status, bundle = search(base, token["access_token"], args.kvnr, args.consent,
                            args.dispensing_date)
    if status != 200:
        issue = bundle["issue"][0]
        code = issue.get("details", {}).get("coding", [{}])[0].get("code")
        print(f"refused: HTTP {status}, {issue['code']} / {code}: {issue.get('diagnostics')}")
        return 1
    print(f"query {bundle['id']}: {bundle['total']} Coverage")
    print_status(bundle)
    proof = proof_of(bundle)
    claims = check_offline(base, proof, args.kvnr)
    print(f"proof, checked offline with /oauth/jwks.json: "
          f"{'genuine' if claims else 'NOT genuine'}")
    body = json.dumps({"proof": proof, "kvnr": args.kvnr}).encode()
    _, verdict = call("POST", f"{base}/api/proofs/verify", body,
                      {"content-type": "application/json"})
    print(f"proof, checked by the portal: genuine={str(verdict['genuine']).lower()} "
          f"in_audit_log={str(verdict['in_audit_log']).lower()} verdict={verdict['verdict']}")
    return 0 if claims and verdict["genuine"] and verdict["in_audit_log"] else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    keys = commands.add_parser("jwks", help="make or read the key pair, print the public JWKS")
    keys.add_argument("--key", required=True, help="PEM file of the private key (made if missing)")
    keys.add_argument("--kid", required=True, help="the key's id, as the JWKS names it")
    asking = commands.add_parser("ask", help="get a token, ask for a KVNR, check the proof")
    asking.add_argument("--base", required=True, help="the portal, e.g. https://portal.example")
    asking.add_argument("--key", required=True)
    asking.add_argument("--kid", required=True)
    asking.add_argument("--client-id", required=True, help="what `portal clients add` printed")
    asking.add_argument("--kvnr", required=True)
    asking.add_argument("--consent", default="insured_present",
                        choices=["insured_present", "representative_present"])
    asking.add_argument("--dispensing-date", help="YYYY-MM-DD, default today")
    args = parser.parse_args()
    if args.command == "jwks":
        print(json.dumps(public_jwks(load_or_make_key(args.key), args.kid), indent=2))
        return 0
    return ask(args)


if __name__ == "__main__":
    sys.exit(main())
