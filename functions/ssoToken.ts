import { app } from '@azure/functions';
import '../shared/startupCheck';
import { brokerHandler } from '../shared/http/brokerHandler';
import { readJsonObjectBody } from '../shared/http/requestInput';
import { parseInput } from '../shared/http/validation';
import { broker, requestSchemas } from '../shared/lazyParts';

/** APIM Get SSO Token: a developer-portal sign-in URL valid 5 minutes. */
export const ssoTokenHandler = brokerHandler({ cacheControl: 'no-store', operation: 'ssoToken' }, async (call) => {
  const { ssoTokenPathSchema, ssoTokenBodySchema } = requestSchemas();
  const { service } = parseInput(ssoTokenPathSchema, call.request.params);
  call.authorize({ service });
  parseInput(ssoTokenBodySchema, await readJsonObjectBody(call.request));
  const token = await broker().apimTokens.ssoToken(service, call);
  call.issued({ secret: token.redirectUri, expiresOn: token.expiresOn, cache: token.cache });
  return {
    status: 200,
    headers: { 'x-cache': token.cache },
    jsonBody: { redirectUri: token.redirectUri, expiresOn: token.expiresOn.toISOString() },
  };
});

app.http('ssoToken', {
  methods: ['POST'],
  route: 'apim/{service}/sso-token',
  authLevel: 'anonymous',
  handler: ssoTokenHandler,
});
