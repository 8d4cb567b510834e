// The OpenID Connect provider of the SSO tests: the npm package oidc-provider on 127.0.0.1.
// Usage: node oidc_provider.mjs CONFIG_JSON; prints "listening <issuer>" once it accepts connections.
// CONFIG_JSON: {"port": 0, "client_id", "client_secret", "redirect_uris": [], "post_logout_redirect_uris": [],
//               "accounts": {"<login>": {"preferred_username", "name", "email"}}, "conform_id_token_claims": true}
// The dev interactions sign in any login typed; an account not listed gets preferred_username = login.
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const accounts = config.accounts || {};

const server = http.createServer();
server.listen(config.port || 0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: config.redirect_uris,
      post_logout_redirect_uris: config.post_logout_redirect_uris || [],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    }],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'] },
    // true (oidc-provider's default): a code-flow ID token carries `sub` only, the profile comes from
    // userinfo; false: the claims travel in the ID token too, as many 统一身份认证 platforms send them.
    conformIdTokenClaims: config.conform_id_token_claims !== false,
    async findAccount(ctx, id) {
      const known = accounts[id] || { preferred_username: id, name: id };
      return { accountId: id, async claims() { return { sub: id, ...known }; } };
    },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`listening ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
