//! A cached JSON Web Key Set, fetched from the authorization server and refreshed when it
//! is old or when a token names a key id we have not seen (the server rotated its keys).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::{Mutex, RwLock};

use super::verify::TokenError;

/// Keys are re-read at least this often.
const MAX_AGE: Duration = Duration::from_secs(600);
/// An unknown `kid` triggers a refresh at most this often, so random key ids in forged
/// tokens cannot turn us into a load generator against the authorization server.
const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(5);
/// A JWKS fetch gives up after this long.
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Default)]
struct Cached {
    keys: HashMap<String, (DecodingKey, Algorithm)>,
    /// Keys without a `kid`, usable only when the token names none either.
    anonymous: Vec<(DecodingKey, Algorithm)>,
    fetched_at: Option<Instant>,
}

/// The JWKS of one URL.
pub struct JwksCache {
    url: String,
    client: reqwest::Client,
    cached: RwLock<Cached>,
    last_attempt: Mutex<Option<Instant>>,
    /// Counts the key sets loaded, so that what was verified with an earlier set (and
    /// remembered, see `TokenVerifier`) is checked again against the new one: a key the
    /// server withdrew stops counting at once.
    generation: AtomicU64,
}

impl JwksCache {
    /// A cache for `url`; nothing is fetched yet.
    pub fn new(url: &str) -> anyhow::Result<Self> {
        url::Url::parse(url).map_err(|e| anyhow::anyhow!("BANKAPI_AUTH_JWKS_URL {url:?}: {e}"))?;
        Ok(Self {
            url: url.to_owned(),
            client: reqwest::Client::builder().timeout(FETCH_TIMEOUT).build()?,
            cached: RwLock::new(Cached::default()),
            last_attempt: Mutex::new(None),
            generation: AtomicU64::new(0),
        })
    }

    /// The key for a token's `kid` and `alg`, refreshing once if it is unknown or stale.
    ///
    /// Only one request refreshes at a time and the others never queue behind it: they
    /// answer from the keys already cached (a slow authorization server must not stall
    /// tokens whose keys we know). Only before the very first successful fetch do they
    /// wait, since there is nothing to answer from.
    pub async fn key_for(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<(DecodingKey, Algorithm), TokenError> {
        let (never_fetched, stale) = {
            let cached = self.cached.read().await;
            (
                cached.fetched_at.is_none(),
                cached.fetched_at.is_none_or(|at| at.elapsed() > MAX_AGE),
            )
        };
        if stale || self.lookup(kid, alg).await.is_none() {
            let guard = if never_fetched {
                Some(self.last_attempt.lock().await)
            } else {
                self.last_attempt.try_lock().ok()
            };
            if let Some(mut last) = guard
                && last.is_none_or(|at| at.elapsed() >= MIN_REFRESH_INTERVAL)
            {
                if let Err(error) = self.refresh().await {
                    tracing::warn!(%error, url = %self.url, "JWKS refresh failed");
                }
                // Measured from the end of the fetch, so a slow server cannot be asked
                // back to back.
                *last = Some(Instant::now());
            }
        }
        self.lookup(kid, alg).await.ok_or_else(|| {
            TokenError::NoKey(format!(
                "no key {kid:?} for {alg:?} in the authorization server's JWKS"
            ))
        })
    }

    /// Fetches the key set ahead of the first request, counting as a refresh attempt.
    pub async fn warm_up(&self) -> anyhow::Result<()> {
        let mut last = self.last_attempt.lock().await;
        let result = self.refresh().await;
        *last = Some(Instant::now());
        result
    }

    async fn lookup(&self, kid: Option<&str>, alg: Algorithm) -> Option<(DecodingKey, Algorithm)> {
        let cached = self.cached.read().await;
        match kid {
            Some(kid) => cached.keys.get(kid).filter(|(_, a)| *a == alg).cloned(),
            None => cached.anonymous.iter().find(|(_, a)| *a == alg).cloned(),
        }
    }

    /// Fetches the key set now.
    pub async fn refresh(&self) -> anyhow::Result<()> {
        let set: JwkSet = self
            .client
            .get(&self.url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let mut fresh = Cached {
            fetched_at: Some(Instant::now()),
            ..Cached::default()
        };
        for jwk in &set.keys {
            // Keys published for encryption never verify signatures.
            let for_signing = jwk
                .common
                .public_key_use
                .as_ref()
                .is_none_or(|u| matches!(u, PublicKeyUse::Signature));
            let Some(alg) = algorithm_of(jwk).filter(|_| for_signing) else {
                continue;
            };
            let Ok(key) = DecodingKey::from_jwk(jwk) else {
                continue;
            };
            match &jwk.common.key_id {
                Some(kid) => {
                    fresh.keys.insert(kid.clone(), (key, alg));
                }
                None => fresh.anonymous.push((key, alg)),
            }
        }
        tracing::info!(keys = fresh.keys.len() + fresh.anonymous.len(), url = %self.url, "JWKS loaded");
        *self.cached.write().await = fresh;
        self.generation.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// Which key set is current: changes whenever a set is loaded.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }
}

/// The signing algorithm a key is for: its `alg`, or what its type implies. Symmetric
/// keys are never taken from a JWKS.
fn algorithm_of(jwk: &jsonwebtoken::jwk::Jwk) -> Option<Algorithm> {
    if let Some(alg) = jwk.common.key_algorithm {
        let alg: Algorithm = alg.to_string().parse().ok()?;
        return (!matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512))
            .then_some(alg);
    }
    match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => Some(Algorithm::ES256),
            EllipticCurve::P384 => Some(Algorithm::ES384),
            _ => None,
        },
        AlgorithmParameters::OctetKeyPair(_) => Some(Algorithm::EdDSA),
        _ => None,
    }
}
