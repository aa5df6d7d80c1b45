//! Token verification: signature, `exp`, `nbf`, `iss` and `aud`, with keys from a shared
//! secret (development), a PEM public key, or the bank's JWKS endpoint.

use std::path::Path;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use quick_cache::sync::Cache;
use serde::Deserialize;

use super::jwks::JwksCache;
use super::principal::Principal;
use crate::config::Settings;
use crate::domain::CustomerNumber;

enum KeySource {
    Shared(DecodingKey),
    PublicKey {
        key: DecodingKey,
        algorithms: Vec<Algorithm>,
    },
    Jwks(JwksCache),
}

/// How long a verified token is taken on trust before it is verified again, at most
/// (never past its `exp`). A new JWKS key set ends every verdict at once (see
/// `JwksCache::generation`); this bounds what nothing here can see change.
const REMEMBER: Duration = Duration::from_secs(60);
/// Verified tokens remembered at once: a client sends the same token on every request
/// until it renews it, so a few thousand cover every client that is calling now.
const REMEMBERED_TOKENS: usize = 4096;

/// Verifies access tokens; one per application, shared by every request.
pub struct TokenVerifier {
    source: KeySource,
    issuer: String,
    audience: String,
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    leeway: u64,
    /// Tokens that passed, with who they speak for and until when that holds. A client
    /// sends the same token with every request, and checking it (base64, the signature,
    /// two JSON documents, the validation's sets) cost about a tenth of the CPU of an
    /// event POST. The key is the whole token, so a token is only ever trusted for what
    /// its own signature proved.
    verified: Cache<String, Verified>,
}

/// A token's verdict while it stands.
#[derive(Clone)]
struct Verified {
    principal: Principal,
    until: Instant,
    /// The key set it was verified with ([`TokenVerifier::keys_generation`]).
    keys: u64,
}

/// Why a token was refused. Never carries the token itself.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Signature, claims or format.
    #[error("{0}")]
    Invalid(String),
    /// No key to check it with (unknown `kid`, JWKS unreachable).
    #[error("no key to verify it: {0}")]
    NoKey(String),
}

impl From<jsonwebtoken::errors::Error> for TokenError {
    fn from(error: jsonwebtoken::errors::Error) -> Self {
        Self::Invalid(error.to_string())
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ScopeClaim {
    Spaced(String),
    List(Vec<String>),
}

#[derive(Deserialize)]
struct Claims {
    /// Required by the validation, so always there once `decode` passed; read as a
    /// number of any form, so that no token the validation accepts fails here.
    exp: f64,
    sub: Option<String>,
    client_id: Option<String>,
    azp: Option<String>,
    scope: Option<ScopeClaim>,
    scp: Option<ScopeClaim>,
    #[serde(rename = "customer-number", alias = "customer_number")]
    customer_number: Option<String>,
}

impl TokenVerifier {
    /// Builds the verifier the settings ask for: JWKS URL, else public key file, else
    /// shared secret. `None` when nothing is configured.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Option<Self>> {
        let source = if let Some(url) = &settings.auth_jwks_url {
            KeySource::Jwks(JwksCache::new(url)?)
        } else if let Some(path) = &settings.auth_public_key_file {
            let (key, algorithms) = read_public_key(path)?;
            KeySource::PublicKey { key, algorithms }
        } else if let Some(secret) = &settings.auth_hs256_secret {
            anyhow::ensure!(
                secret.expose().len() >= 32,
                "BANKAPI_AUTH_HS256_SECRET must be at least 32 characters"
            );
            KeySource::Shared(DecodingKey::from_secret(secret.expose().as_bytes()))
        } else {
            return Ok(None);
        };
        Ok(Some(Self {
            source,
            issuer: settings.auth_issuer.clone(),
            audience: settings.auth_audience.clone(),
            leeway: settings.auth_leeway_seconds,
            verified: Cache::new(REMEMBERED_TOKENS),
        }))
    }

    /// What kind of keys this verifier uses, for the start-up log.
    pub fn describe(&self) -> &'static str {
        match self.source {
            KeySource::Shared(_) => "HS256 shared secret (development only)",
            KeySource::PublicKey { .. } => "public key file",
            KeySource::Jwks(_) => "JWKS endpoint",
        }
    }

    /// Fetches the JWKS ahead of the first request, if that is the key source.
    pub async fn warm_up(&self) {
        if let KeySource::Jwks(cache) = &self.source
            && let Err(error) = cache.warm_up().await
        {
            tracing::warn!(%error, "could not fetch the JWKS at start-up; will retry on demand");
        }
    }

    /// Checks `token` and returns who it speaks for: from memory if it passed less than
    /// [`REMEMBER`] ago and has not expired since.
    pub async fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        if let Some(known) = self.verified.get(token) {
            if Instant::now() < known.until && known.keys == self.keys_generation() {
                return Ok(known.principal);
            }
            self.verified.remove(token);
        }
        // Read before the check: a key set loaded during it makes the verdict stale.
        let keys = self.keys_generation();
        let (principal, expires) = self.check(token).await?;
        let now = chrono::Utc::now().timestamp();
        let left = expires
            .saturating_add(self.leeway as i64)
            .saturating_sub(now);
        if left > 0 {
            let until = Instant::now() + REMEMBER.min(Duration::from_secs(left as u64));
            self.verified.insert(
                token.to_owned(),
                Verified {
                    principal: principal.clone(),
                    until,
                    keys,
                },
            );
        }
        Ok(principal)
    }

    /// Which key set verdicts were reached with: a JWKS changes it with every load; a
    /// secret or a key file never changes while the process runs.
    fn keys_generation(&self) -> u64 {
        match &self.source {
            KeySource::Jwks(cache) => cache.generation(),
            KeySource::Shared(_) | KeySource::PublicKey { .. } => 0,
        }
    }

    /// The full check: signature, then claims. Also returns the token's `exp`.
    async fn check(&self, token: &str) -> Result<(Principal, i64), TokenError> {
        let header = jsonwebtoken::decode_header(token)?;
        let (key, algorithms) = match &self.source {
            KeySource::Shared(key) => (key.clone(), vec![Algorithm::HS256]),
            KeySource::PublicKey { key, algorithms } => (key.clone(), algorithms.clone()),
            KeySource::Jwks(cache) => {
                let (key, algorithm) = cache.key_for(header.kid.as_deref(), header.alg).await?;
                (key, vec![algorithm])
            }
        };
        if !algorithms.contains(&header.alg) {
            return Err(TokenError::Invalid(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let mut validation = Validation::new(header.alg);
        validation.algorithms = algorithms;
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)?.claims;
        // Saturating: an `exp` beyond i64 is "far in the future", and REMEMBER caps it.
        let expires = claims.exp as i64;
        Ok((principal_from(claims)?, expires))
    }
}

fn principal_from(claims: Claims) -> Result<Principal, TokenError> {
    let subject = claims
        .sub
        .filter(|s| !s.is_empty())
        .ok_or_else(|| TokenError::Invalid("the token has no subject".into()))?;
    let scopes = match claims.scope.or(claims.scp) {
        Some(ScopeClaim::Spaced(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(ScopeClaim::List(list)) => list,
        None => Vec::new(),
    };
    let customer_number = claims
        .customer_number
        .map(|raw| CustomerNumber::parse("customer-number", &raw))
        .transpose()
        .map_err(|e| TokenError::Invalid(format!("customer-number claim: {}", e.message)))?;
    Ok(Principal {
        subject,
        client: claims.client_id.or(claims.azp),
        customer_number,
        scopes,
    })
}

fn read_public_key(path: &Path) -> anyhow::Result<(DecodingKey, Vec<Algorithm>)> {
    let pem = std::fs::read(path).map_err(|e| {
        anyhow::anyhow!(
            "cannot read BANKAPI_AUTH_PUBLIC_KEY_FILE {}: {e}",
            path.display()
        )
    })?;
    if let Ok(key) = DecodingKey::from_rsa_pem(&pem) {
        use Algorithm::*;
        return Ok((key, vec![RS256, RS384, RS512, PS256, PS384, PS512]));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(&pem) {
        return Ok((key, vec![Algorithm::ES256, Algorithm::ES384]));
    }
    anyhow::bail!(
        "{} holds neither an RSA nor an EC public key in PEM form",
        path.display()
    )
}
