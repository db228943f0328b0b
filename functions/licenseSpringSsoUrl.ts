import { app } from '@azure/functions';
import '../shared/startupCheck';
import { brokerHandler } from '../shared/http/brokerHandler';
import { singleValuedQuery } from '../shared/http/requestInput';
import { parseInput } from '../shared/http/validation';
import { broker, requestSchemas } from '../shared/lazyParts';

/**
 * LicenseSpring SSO URL: single-use sign-in material, signed upstream and never cached. The query
 * is read from the URL, not `request.query`: the host folds a repeated parameter into one entry,
 * and a repeat must be refused.
 */
export const licenseSpringSsoUrlHandler = brokerHandler({ cacheControl: 'no-store', operation: 'licenseSpringSsoUrl' }, async (call) => {
  const query = parseInput(requestSchemas().licenseSpringSsoQuerySchema, singleValuedQuery(new URL(call.request.url).searchParams));
  call.authorize({ product: query.product, customerAccountCode: query.customer_account_code });
  call.chargeMint();
  const answer = await broker().licenseSpring.getSsoUrl(
    { product: query.product, customerAccountCode: query.customer_account_code, responseType: query.response_type },
    call.requestId,
  );
  call.issued({ secret: answer.url });
  return {
    status: 200,
    jsonBody: {
      url: answer.url,
      ...(answer.openid_configuration === undefined ? {} : { openid_configuration: answer.openid_configuration }),
      ...(answer.alternate_urls === undefined ? {} : { alternate_urls: answer.alternate_urls }),
    },
  };
});

app.http('licenseSpringSsoUrl', {
  methods: ['GET'],
  route: 'licensespring/sso-url',
  authLevel: 'anonymous',
  handler: licenseSpringSsoUrlHandler,
});
