// A real OAuth 2.0 / OpenID Connect authorization server (oidc-provider) playing the
// bank's, for bankapi's tests: clients get JWT access tokens for the resource `bankapi`
// with the API's scopes and a `customer-number` claim, signed RS256 or ES256.
//
//   PORT=4010 node provider.mjs      issuer http://127.0.0.1:4010, JWKS at /jwks
//   POST /__rotate                   replaces both signing keys (new kids), as a key
//                                    rotation at the bank would
import http from 'node:http';
import crypto from 'node:crypto';
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
};

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
    clients: Object.entries(clients).map(([id, c]) => ({
      client_id: id,
      client_secret: c.secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: c.scope,
    })),
    jwks: { keys: [signingKey('RS256', `rsa-${generation}`), signingKey('ES256', `ec-${generation}`)] },
    scopes: [...new Set(`${STAFF} ${CUSTOMER}`.split(' '))],
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
    extraTokenClaims: (ctx, token) => {
      const c = clients[token.clientId];
      return c && c.customer ? { 'customer-number': c.customer } : undefined;
    },
  });
  provider.proxy = false;
  return provider;
}

let current = build();
http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/__rotate') {
    current = build();
    res.writeHead(204).end();
    return;
  }
  current.callback()(req, res);
}).listen(port, '127.0.0.1', () => console.log(`authorization server at ${issuer}`));
