//! A software passkey: what a platform authenticator and its browser answer to WebAuthn
//! options, built here from the specification (CBOR by hand, ECDSA P-256 with the `p256`
//! crate), independent of the server's WebAuthn library. The tests and the load bench use it
//! to register passkeys and sign assertions; the browser tests use Chromium's own virtual
//! authenticator instead.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use p256::ecdsa::{Signature, SigningKey, signature::Signer as _};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// Authenticator data flags (WebAuthn §6.1).
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

pub struct SoftPasskey {
    key: SigningKey,
    pub credential_id: Vec<u8>,
    /// The user handle the registration options named (the account's id).
    pub user_handle: Vec<u8>,
    pub rp_id: String,
    pub origin: String,
    /// The signature counter; `None` answers 0 always, as synced passkeys do.
    pub counter: Option<u32>,
    /// Whether the user is said to be verified (UV flag).
    pub verified: bool,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .expect("base64url from the server")
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("random bytes");
    bytes
}

/// A CBOR item header (RFC 8949 §3): major type and length or value.
fn cbor_head(out: &mut Vec<u8>, major: u8, n: usize) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend([m | 24, n as u8]),
        _ => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
    }
}

fn cbor_text(out: &mut Vec<u8>, s: &str) {
    cbor_head(out, 3, s.len());
    out.extend(s.as_bytes());
}

fn cbor_bytes(out: &mut Vec<u8>, b: &[u8]) {
    cbor_head(out, 2, b.len());
    out.extend(b);
}

/// A small integer key or value: -24..=23.
fn cbor_int(out: &mut Vec<u8>, i: i8) {
    if i >= 0 {
        cbor_head(out, 0, i as usize);
    } else {
        cbor_head(out, 1, (-1 - i as i16) as usize);
    }
}

/// An ECDSA signature in ASN.1 DER, as WebAuthn carries it.
fn der(signature: &Signature) -> Vec<u8> {
    let bytes = signature.to_bytes();
    let int = |half: &[u8]| {
        let trimmed: Vec<u8> = half.iter().copied().skip_while(|b| *b == 0).collect();
        let mut v = Vec::new();
        if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
            v.push(0);
        }
        v.extend(trimmed);
        let mut out = vec![0x02, v.len() as u8];
        out.extend(v);
        out
    };
    let (r, s) = (int(&bytes[..32]), int(&bytes[32..]));
    let mut out = vec![0x30, (r.len() + s.len()) as u8];
    out.extend(r);
    out.extend(s);
    out
}

impl SoftPasskey {
    /// Answers registration options (`publicKey` as the server sent it) from `origin`: the
    /// new passkey and the credential JSON a browser's `toJSON()` would give.
    pub fn register(options: &Value, origin: &str) -> (Self, Value) {
        let key = SigningKey::from_slice(&random::<32>()).expect("a P-256 key");
        let rp_id = options["rp"]["id"].as_str().expect("rp.id").to_owned();
        let passkey = Self {
            key,
            credential_id: random::<32>().to_vec(),
            user_handle: unb64(options["user"]["id"].as_str().expect("user.id")),
            rp_id,
            origin: origin.to_owned(),
            counter: Some(0),
            verified: true,
        };
        let client_data = passkey.client_data("webauthn.create", options);
        let point = passkey.key.verifying_key().to_sec1_bytes();
        let (x, y) = (&point[1..33], &point[33..65]);
        // The credential's public key as COSE_Key (RFC 9053): EC2, ES256, P-256, x, y.
        let mut cose = Vec::new();
        cbor_head(&mut cose, 5, 5);
        for (k, v) in [(1, 2), (3, -7), (-1, 1)] {
            cbor_int(&mut cose, k);
            cbor_int(&mut cose, v);
        }
        cbor_int(&mut cose, -2);
        cbor_bytes(&mut cose, x);
        cbor_int(&mut cose, -3);
        cbor_bytes(&mut cose, y);
        let mut auth_data = passkey.auth_data_head(UP | UV | AT, 0);
        auth_data.extend([0u8; 16]); // AAGUID: none
        auth_data.extend((passkey.credential_id.len() as u16).to_be_bytes());
        auth_data.extend(&passkey.credential_id);
        auth_data.extend(cose);
        let mut attestation = Vec::new();
        cbor_head(&mut attestation, 5, 3);
        cbor_text(&mut attestation, "fmt");
        cbor_text(&mut attestation, "none");
        cbor_text(&mut attestation, "attStmt");
        cbor_head(&mut attestation, 5, 0);
        cbor_text(&mut attestation, "authData");
        cbor_bytes(&mut attestation, &auth_data);
        let credential = json!({
            "id": b64(&passkey.credential_id),
            "rawId": b64(&passkey.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64(&client_data),
                "attestationObject": b64(&attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        });
        (passkey, credential)
    }

    /// Signs request options (`publicKey` as the server sent it): the assertion JSON.
    pub fn assert(&mut self, options: &Value) -> Value {
        let counter = match &mut self.counter {
            Some(c) => {
                *c += 1;
                *c
            }
            None => 0,
        };
        self.assert_with_counter(options, counter)
    }

    /// An assertion with this exact counter (a cloned authenticator's, say).
    pub fn assert_with_counter(&self, options: &Value, counter: u32) -> Value {
        let flags = if self.verified { UP | UV } else { UP };
        let auth_data = self.auth_data_head(flags, counter);
        let client_data = self.client_data("webauthn.get", options);
        let mut signed = auth_data.clone();
        signed.extend(Sha256::digest(&client_data));
        let signature: Signature = self.key.sign(&signed);
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(&der(&signature)),
                "userHandle": b64(&self.user_handle),
            },
            "clientExtensionResults": {},
        })
    }

    fn auth_data_head(&self, flags: u8, counter: u32) -> Vec<u8> {
        let mut data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend(counter.to_be_bytes());
        data
    }

    fn client_data(&self, kind: &str, options: &Value) -> Vec<u8> {
        let challenge = options["challenge"].as_str().expect("challenge");
        serde_json::to_vec(&json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        }))
        .expect("client data")
    }
}
