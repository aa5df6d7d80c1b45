// A real OAuth 2.0 / OpenID Connect authorization server (oidc-provider) playing the
// bank's, for bankapi's tests: clients get JWT access tokens for the resource `bankapi`
// with the API's scopes and a `customer-number` claim, signed RS256 or ES256.
//
// Two kinds of client:
// - machine clients (back office, teller, a customer's server) use client credentials;
// - `mobile-app` is the user-facing client: a public client using the authorization-code
//   flow with PKCE. The customer signs in at this server's own login page
//   (`/interaction/:uid`, below) and the token carries the signed-in customer's number.
//
//   PORT=4010 node provider.mjs      issuer http://127.0.0.1:4010, JWKS at /jwks
//   POST /__rotate                   replaces both signing keys (new kids), as a key
//                                    rotation at the bank would
import http from 'node:http';
import crypto from 'node:crypto';
import { URLSearchParams } from 'node:url';
import Provider, { errors } from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const STAFF = 'customer-event:read customer-event:write customer-order:read customer-order:write bank:staff';
const CUSTOMER = 'customer-event:read customer-event:write customer-order:read customer-order:write';

// client id -> what its tokens carry
const clients = {
  'backoffice': { secret: 'backoffice-secret', scope: STAFF, alg: 'RS256', ttl: 600 },
  'teller-ec': { secret: 'teller-secret', scope: STAFF, alg: 'ES256', ttl: 600 },
  'mobile-1400269': { secret: 'mobile-secret', scope: CUSTOMER, alg: 'ES256', ttl: 600, customer: '1400269' },
  'short-lived': { secret: 'short-secret', scope: CUSTOMER, alg: 'RS256', ttl: 1, customer: '1400269' },
  'mobile-app': { scope: CUSTOMER, alg: 'RS256', ttl: 600, user: true },
};
const MOBILE_REDIRECT = 'https://app.bank.example/callback';

// The bank's customers who can sign in: login -> password and customer number.
const accounts = {
  marko: { password: 'marko-password', customer: '1400269' },
  ana: { password: 'ana-password', customer: '1400054' },
};

function clientMetadata(id, c) {
  if (c.user) {
    return {
      client_id: id,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [MOBILE_REDIRECT],
      scope: `openid ${c.scope}`,
    };
  }
  return {
    client_id: id,
    client_secret: c.secret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: c.scope,
  };
}

function signingKey(alg, kid) {
  const { privateKey } = alg === 'RS256'
    ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
    : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

let generation = 0;
function build() {
  generation += 1;
  const provider = new Provider(issuer, {
    clients: Object.entries(clients).map(([id, c]) => clientMetadata(id, c)),
    cookies: { keys: ['bankapi-test-cookie-key'] },
    findAccount: (ctx, sub) => (accounts[sub]
      ? { accountId: sub, claims: async () => ({ sub }) }
      : undefined),
    pkce: { required: () => true },
    jwks: { keys: [signingKey('RS256', `rsa-${generation}`), signingKey('ES256', `ec-${generation}`)] },
    scopes: [...new Set(`openid ${STAFF} ${CUSTOMER}`.split(' '))],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:bankapi',
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource, client) => {
          if (resource !== 'urn:bankapi' && resource !== 'urn:another-api') throw new errors.InvalidTarget();
          const c = clients[client.clientId];
          return {
            scope: c.scope,
            audience: resource,
            accessTokenTTL: c.ttl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: c.alg } },
          };
        },
      },
    },
    // A user's token names the customer who signed in; a machine client's, the customer
    // it was registered for.
    extraTokenClaims: (ctx, token) => {
      if (token.accountId) return { 'customer-number': accounts[token.accountId].customer };
      const c = clients[token.clientId];
      return c && c.customer ? { 'customer-number': c.customer } : undefined;
    },
  });
  provider.proxy = false;
  return provider;
}

// The bank's login page, as a provider expects its host to supply one: GET shows the
// sign-in form (or, for the consent prompt, grants what this first-party app asked for);
// POST checks the password and tells the provider who signed in.
async function interaction(req, res, uid, action) {
  const details = await current.interactionDetails(req, res);
  if (details.uid !== uid) throw new errors.SessionNotFound('interaction mismatch');
  const { prompt, params, session } = details;
  if (req.method === 'GET' && prompt.name === 'consent') {
    const grant = details.grantId
      ? await current.Grant.find(details.grantId)
      : new current.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    for (const [resource, scopes] of Object.entries(prompt.details.missingResourceScopes || {})) {
      grant.addResourceScope(resource, scopes.join(' '));
    }
    const grantId = await grant.save();
    await current.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method === 'GET' && prompt.name === 'login') {
    loginPage(res, uid, 200, '');
    return;
  }
  if (req.method === 'POST' && action === 'login' && prompt.name === 'login') {
    const form = new URLSearchParams(await body(req));
    const login = form.get('login') || '';
    const account = Object.hasOwn(accounts, login) ? accounts[login] : undefined;
    if (!account || form.get('password') !== account.password) {
      loginPage(res, uid, 401, 'Wrong login or password.');
      return;
    }
    await current.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    return;
  }
  res.writeHead(400, { 'content-type': 'text/plain' }).end(`unexpected ${req.method} for prompt ${prompt.name}`);
}

function loginPage(res, uid, status, message) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><title>Sign in</title><p>${message}</p>
<form method="post" action="/interaction/${uid}/login">
<input name="login"><input name="password" type="password"><button>Sign in</button></form>`);
}

function body(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { data += chunk; if (data.length > 10000) req.destroy(); });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

let current = build();
http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/__rotate') {
    current = build();
    res.writeHead(204).end();
    return;
  }
  const step = /^\/interaction\/([\w-]+)(?:\/(\w+))?$/.exec(req.url);
  if (step) {
    interaction(req, res, step[1], step[2]).catch((error) => {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
    return;
  }
  current.callback()(req, res);
}).listen(port, '127.0.0.1', () => console.log(`authorization server at ${issuer}`));
