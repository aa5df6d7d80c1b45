//! The provider's tokens past the first accepted ones: refused ones (audience, issuer,
//! expiry, forgery), a key rotation without restart, a customer signed in through the
//! mobile app, and failed sign-ins.

use super::*;

#[tokio::test]
async fn tokens_for_another_audience_or_issuer_expired_or_forged_are_refused() {
    let server = AuthorizationServer::start().await;
    let app = server.bankapi(None).await;

    let elsewhere = server
        .token(
            "backoffice",
            "backoffice-secret",
            ALL_SCOPES,
            "urn:another-api",
        )
        .await;
    assert_eq!(
        status(&app, MARKO, &elsewhere).await,
        401,
        "another audience"
    );

    let good = server
        .token("backoffice", "backoffice-secret", STAFF_SCOPES, AUDIENCE)
        .await;
    let strict = server
        .bankapi(Some("https://login.another-bank.example"))
        .await;
    assert_eq!(status(&strict, MARKO, &good).await, 401, "another issuer");

    // alg none: the real token's claims, no signature.
    let parts: Vec<&str> = good.split('.').collect();
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"at+jwt","kid":"rsa-1"}"#),
        parts[1]
    );
    assert_eq!(status(&app, MARKO, &none).await, 401, "alg none");
    // Signed by a key the server never published, under a kid it does publish.
    let forged = {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(include_bytes!(
            "../../fixtures/rsa2-private.pem"
        ))
        .expect("fixture key");
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some("rsa-1".into());
        jsonwebtoken::encode(&header, &claims, &key).expect("sign")
    };
    assert_eq!(
        status(&app, MARKO, &forged).await,
        401,
        "unknown signing key"
    );

    let short = server
        .token("short-lived", "short-secret", ALL_SCOPES, AUDIENCE)
        .await;
    assert_eq!(status(&app, MARKO, &short).await, 200, "fresh");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(status(&app, MARKO, &short).await, 401, "expired");
    assert_eq!(
        status(&app, MARKO, &good).await,
        200,
        "the good token still works"
    );
}

#[tokio::test]
async fn a_key_rotation_at_the_server_needs_no_restart() {
    let server = AuthorizationServer::start().await;
    let app = server.bankapi(None).await;
    let before = server
        .token("backoffice", "backoffice-secret", STAFF_SCOPES, AUDIENCE)
        .await;
    assert_eq!(status(&app, MARKO, &before).await, 200);
    server.rotate_keys().await;
    let after = server
        .token("backoffice", "backoffice-secret", STAFF_SCOPES, AUDIENCE)
        .await;
    assert_ne!(header(&before)["kid"], header(&after)["kid"], "new kid");
    // bankapi refetches the JWKS for an unknown kid at most every 5 s (so that made-up
    // kids cannot make it hammer the server); a real rotation is never that close to the
    // previous fetch, here the start-up one.
    tokio::time::sleep(Duration::from_millis(5200)).await;
    assert_eq!(
        status(&app, MARKO, &after).await,
        200,
        "the new key is fetched"
    );
    // The old key is gone from the server's JWKS, so its tokens no longer verify.
    assert_eq!(status(&app, MARKO, &before).await, 401, "the retired key");
}

#[tokio::test]
async fn a_customer_signed_in_through_the_mobile_app_acts_as_themselves_only() {
    let server = AuthorizationServer::start().await;
    let app = server.bankapi(None).await;
    let marko = server
        .sign_in("marko", "marko-password", &format!("openid {ALL_SCOPES}"))
        .await
        .expect("Marko signs in");
    assert_eq!(header(&marko)["alg"], "RS256");
    assert_eq!(claims(&marko)["sub"], "marko");
    assert_eq!(claims(&marko)["customer-number"], "1400269");

    let own = app.get_ok("/customer-event/events", &marko).await;
    assert_eq!(own["total-count"], 2298);
    assert_eq!(status(&app, ANA, &marko).await, 404);
    let ordered = app
        .post_json(
            "/customer-order/card-activations",
            &marko,
            &serde_json::json!({"card-id": "C0000000202"}),
        )
        .await;
    assert_eq!(
        ordered.status(),
        202,
        "the signed-in customer orders for themselves"
    );

    // Another customer signing in on the same app gets her own customer, not Marko's.
    let ana = server
        .sign_in("ana", "ana-password", &format!("openid {ALL_SCOPES}"))
        .await
        .expect("Ana signs in");
    assert_eq!(claims(&ana)["customer-number"], "1400054");
    assert_eq!(status(&app, ANA, &ana).await, 200);
    assert_eq!(status(&app, MARKO, &ana).await, 404);

    // The customer consents to fewer scopes: the token carries only those.
    let read_only = server
        .sign_in("marko", "marko-password", "openid customer-event:read")
        .await
        .expect("Marko signs in for reading");
    assert_eq!(status(&app, MARKO, &read_only).await, 200);
    let refused = app
        .post_json(
            "/customer-event/communication-events",
            &read_only,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(refused.status(), 403, "no write scope");
}

#[tokio::test]
async fn a_wrong_password_or_a_code_without_its_verifier_gets_no_token() {
    let server = AuthorizationServer::start().await;
    let wrong = server
        .sign_in("marko", "guess", &format!("openid {ALL_SCOPES}"))
        .await;
    assert!(
        wrong.as_ref().is_err_and(|why| why.starts_with("401")),
        "{wrong:?}"
    );
    // An intercepted code is useless without the app's PKCE verifier.
    let (code, verifier) = server
        .authorize("marko", "marko-password", &format!("openid {ALL_SCOPES}"))
        .await
        .expect("Marko signs in");
    let guessed = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let stolen = server.exchange(&code, &guessed).await;
    assert!(
        stolen
            .as_ref()
            .is_err_and(|why| why.contains("invalid_grant")),
        "{stolen:?}"
    );
    // The app itself, holding the verifier, can still redeem it, once.
    assert!(server.exchange(&code, &verifier).await.is_ok());
    let replayed = server.exchange(&code, &verifier).await;
    assert!(replayed.is_err(), "a code is redeemed once: {replayed:?}");
}
