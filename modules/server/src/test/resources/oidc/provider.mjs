// A real OpenID Connect provider for SsoIT (oidc-provider 9, panva): one public client with PKCE (S256
// only), three people and their groups in the ID token's "groups" claim, a plain login page.
//   node provider.mjs <port> <redirect uri> <post-logout redirect uri>
import http from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const redirectUri = process.argv[3];
const postLogoutUri = process.argv[4];

const PEOPLE = { // password for everyone: "password"
  alice: { name: 'Alice Admin', email: 'alice@example.test', groups: ['codex-admins'] },
  bob: { name: 'Bob Analyst', email: 'bob@example.test', groups: ['codex-analytics'] },
  carol: { name: 'Carol Nogroups', email: 'carol@example.test', groups: ['marketing'] },
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'codex-ledger',
    token_endpoint_auth_method: 'none',
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [postLogoutUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'], groups: ['groups'] },
  conformIdTokenClaims: false, // the groups go in the ID token, not only to userinfo
  async findAccount(ctx, id) {
    const person = PEOPLE[id];
    return person && { accountId: id, claims: async () => ({ sub: id, preferred_username: id, ...person }) };
  },
  async loadExistingGrant(ctx) { // no consent screen: the client is the organisation's own
    const id = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (id) return ctx.oidc.provider.Grant.find(id);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  },
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['sso-it-cookie-key'] },
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (uid, error) => `<!DOCTYPE html><html><head><title>Sign-in</title></head><body>
<h1>Sign-in</h1>${error ? `<p id="error">${escape(error)}</p>` : ''}
<form id="login-form" method="post" action="/interaction/${escape(uid)}">
<input id="username" type="text" name="login" autofocus required>
<input id="password" type="password" name="password" required>
<button id="submit" type="submit">Sign-in</button></form></body></html>`;

const callback = provider.callback();
http.createServer(async (req, res) => {
  if (!req.url.startsWith('/interaction/')) return callback(req, res);
  try {
    const { uid, prompt } = await provider.interactionDetails(req, res);
    if (req.method === 'POST') {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      const body = new URLSearchParams(raw);
      const login = body.get('login');
      if (prompt.name === 'login' && PEOPLE[login] && body.get('password') === 'password') {
        return await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
      }
      res.statusCode = 401;
    }
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.end(page(uid, req.method === 'POST' ? 'Invalid username or password' : ''));
  } catch (err) {
    res.statusCode = 400;
    res.end(`interaction error: ${err.message}`);
  }
}).listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on http://127.0.0.1:${port}`));
